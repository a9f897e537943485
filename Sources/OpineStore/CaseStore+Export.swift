import Crypto
import Foundation
import GRDB
import OpineCore

/// What `opine export` copied.
public struct ExportReport: Sendable {
    /// The folder made: `<target>/<case id>`.
    public var folder: String
    /// Files copied, each proven equal to the bytes recorded at intake.
    public var files: Int
    /// Bytes copied.
    public var bytes: Int64
}

extension CaseStore {
    /// Copies the case's stored files into `<target>/<case id>/`, keeping their folders, so a DICOM viewer can open
    /// the folder. Each file is hashed as it is copied and compared with what intake recorded (its `stored_sha256`
    /// where intake zeroed a DICOM preamble): a mismatch removes the partial copy and throws `IntegrityError`. The
    /// copy is made under a hidden name and renamed into place, so a folder with the case's name is always whole.
    public func exportFiles(of caseID: String, casesDirectory: String, to target: String) throws -> ExportReport {
        if let purged = try caseRecord(caseID).purgedAt {
            throw StoreError.notFound("the files of \(caseID) were purged at \(purged) under the retention rules; nothing is left to export")
        }
        let files = try files(of: caseID)
        let manager = FileManager.default
        let folder = (target as NSString).appendingPathComponent(caseID)
        // Only an absent folder or an empty one is replaced: never a file, a link, or a folder that cannot be read.
        var info = stat()
        if lstat(folder, &info) == 0 {
            let isFolder = info.st_mode & S_IFMT == S_IFDIR
            guard isFolder, let existing = try? manager.contentsOfDirectory(atPath: folder), existing.isEmpty else {
                throw StoreError.invalidInput("\(folder) already exists and is not an empty folder; export to another --to folder, or remove it first")
            }
        }
        let partial = (target as NSString).appendingPathComponent(".\(caseID).partial-\(getpid())")
        do {
            try manager.createDirectory(atPath: partial, withIntermediateDirectories: true)
        } catch {
            throw StoreError.invalidInput("\(target): cannot create the export folder here (may you write to it?)")
        }
        do {
            var bytes: Int64 = 0
            for file in files {
                bytes += try Self.copyChecked(file, from: casesDirectory + "/" + caseID, to: partial)
            }
            rmdir(folder)  // only an empty folder gets here; rmdir removes nothing else
            guard rename(partial, folder) == 0 else {
                throw StoreError.invalidInput("\(folder): cannot move the finished export into place (errno \(errno))")
            }
            return ExportReport(folder: folder, files: files.count, bytes: bytes)
        } catch {
            try? manager.removeItem(atPath: partial)
            throw error
        }
    }

    /// Copies one file, hashing the bytes as they go, and returns its size; throws when they differ from the record.
    private static func copyChecked(_ file: CaseFileRecord, from source: String, to destination: String) throws -> Int64 {
        guard !file.path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), !file.path.hasPrefix("/") else {
            throw IntegrityError(description: "\(file.caseID): the stored path \(file.path.escapedForDisplay) leaves the case folder; run `opine verify`")
        }
        let target = destination + "/" + file.path
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard let input = FileHandle(forReadingAtPath: source + "/" + file.path) else {
            throw IntegrityError(description: "\(file.caseID)/\(file.path.escapedForDisplay) is missing or unreadable in the store; run `opine verify`")
        }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: target, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: target) else {
            throw StoreError.invalidInput("\(target): cannot write the copy (may you write to the --to folder?)")
        }
        defer { try? output.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            try output.write(contentsOf: chunk)
            size += Int64(chunk.count)
        }
        try output.synchronize()
        guard Hex.lowercase(hasher.finalize()) == file.storedSHA256 ?? file.sha256 else {
            throw IntegrityError(description: "\(file.caseID)/\(file.path.escapedForDisplay) does not match the SHA-256 recorded at intake; nothing was exported. Run `opine verify`")
        }
        return size
    }
}
