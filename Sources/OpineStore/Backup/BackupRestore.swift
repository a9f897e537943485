#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import GRDB
import OpineCore

/// What `opine restore` wrote and found.
public struct RestoreSummary: Sendable {
    /// The target directory.
    public var directory: String
    /// Files restored (the manifest not counted).
    public var members: Int
    /// Bytes restored.
    public var bytes: Int64
    /// The manifest, as read.
    public var manifest: BackupManifest
    /// `opine verify`'s checks of the restored database and files, with the manifest's audit head among them.
    public var report: IntegrityReport
    /// The restored chain's head (after migrations).
    public var auditHead: AuditHead
    /// `DIR/opine.toml`, when the archive held a configuration.
    public var configuration: String?
    /// The restored state directory.
    public var stateDirectory: String { directory + "/" + BackupLayout.state }
    /// The restored spool directory.
    public var spoolDirectory: String { directory + "/" + BackupLayout.spool }
}

/// The target of a restore is not empty, or cannot be made; nothing was written.
public struct RestoreRefusal: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do.
    public var description: String
}

/// Restoring a backup archive written by `CaseStore.backup`.
public enum BackupRestore {
    /// Restores the archive at `archive` into `directory`, which must be empty or absent: `state/` (the database and
    /// `cases/`), `spool/` (`rejected/`, and an empty `drop/`) and `opine.toml`. Every member's path and kind is judged
    /// before a byte is written, every member's SHA-256 is checked against the manifest (an `IntegrityError` naming
    /// the member, with everything written removed), then the database is opened with the store (which migrates it)
    /// and checked as `opine verify` checks, files included, and against the manifest's audit head.
    public static func restore(from archive: String, into directory: String) throws -> RestoreSummary {
        let created = try prepareTarget(directory)
        let fd = try ArchiveIO.openForReading(archive)
        defer { close(fd) }
        let extraction: Extraction
        do {
            extraction = try Extraction(reader: ArchiveReader(fd: fd, display: archive), directory: directory).run()
        } catch {
            clear(directory, remove: created)
            throw error
        }
        for folder in [BackupLayout.spool, BackupLayout.spool + "/drop", BackupLayout.rejected, BackupLayout.state, BackupLayout.cases] {
            try ArchiveIO.makeDirectory(directory + "/" + folder)
        }
        let store = try CaseStore(path: directory + "/" + BackupLayout.database, mode: .existing)
        var report = try store.verify(casesDirectory: directory + "/" + BackupLayout.cases)
        if let head = AuditHead(parsing: extraction.manifest.auditHead), let problem = try store.headProblem(head) {
            report.problems.append(problem)
        }
        let head = try store.auditHead()
        _ = try? store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try store.pool.close()
        return RestoreSummary(
            directory: directory, members: extraction.members.count, bytes: extraction.bytes, manifest: extraction.manifest,
            report: report, auditHead: head,
            configuration: extraction.members[BackupLayout.configuration] == nil ? nil : directory + "/" + BackupLayout.configuration)
    }

    /// Creates `directory` or accepts it empty; true when it was created here.
    private static func prepareTarget(_ directory: String) throws -> Bool {
        guard let info = ArchiveIO.lstatInfo(directory) else {
            guard mkdir(directory, 0o750) == 0 else {
                throw RestoreRefusal(description: "\(directory.escapedForDisplay): cannot create the restore folder (\(String(cString: strerror(errno)))); its parent must exist and be writable")
            }
            return true
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw RestoreRefusal(description: "\(directory.escapedForDisplay) exists and is not a folder; restore into a new or empty folder")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? ["?"]
        guard entries.isEmpty else {
            throw RestoreRefusal(description: "\(directory.escapedForDisplay) is not empty; restore never writes over anything: choose a new or empty folder")
        }
        return false
    }

    /// Removes what a failed restore wrote (the folder was empty or new, so all of it).
    private static func clear(_ directory: String, remove: Bool) {
        if remove {
            try? FileManager.default.removeItem(atPath: directory)
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }
}

/// Reads every member into the target, judging each first and hashing each as it is written.
private struct Extraction {
    let reader: ArchiveReader
    let directory: String
    var members: [String: BackupManifest.Entry] = [:]
    var bytes: Int64 = 0
    var manifest = BackupManifest(createdAt: "", opineVersion: "", schemaVersion: 0, auditHead: "", cases: 0, rejectedFolders: 0,
                                  skipped: [], redactedEndpoints: [], members: [])

    init(reader: ArchiveReader, directory: String) {
        self.reader = reader
        self.directory = directory
    }

    func run() throws -> Extraction {
        var state = self
        var sawManifest = false
        while let header = try reader.next() {
            let member: BackupLayout.Member
            switch BackupLayout.check(header) {
            case .success(let kind): member = kind
            case .failure(let refusal): throw IntegrityError(description: "\(refusal); the archive is damaged or not an Opine backup, and nothing was restored")
            }
            guard !sawManifest else {
                throw IntegrityError(description: "archive member \(header.path.escapedForDisplay) comes after the manifest; nothing was restored")
            }
            if member == .manifest {
                let data = Data(try reader.readAll(limit: BackupLayout.maxManifestBytes))
                // Checked before the rest is decoded: another layout may differ in any other key.
                if let refusal = try JSONDecoder().decode(BackupManifest.Identity.self, from: data).refusal {
                    throw IntegrityError(description: "\(refusal); nothing was restored")
                }
                state.manifest = try JSONDecoder().decode(BackupManifest.self, from: data)
                sawManifest = true
            } else if header.kind == .directory {
                try state.makeParents(of: header.path + "/.")
            } else {
                try state.writeFile(header, mode: member == .database ? 0o660 : 0o640)
            }
        }
        guard sawManifest else { throw IntegrityError(description: "the archive has no \(BackupLayout.manifest) (it is truncated, or not an Opine backup); nothing was restored") }
        if let mismatch = state.manifest.mismatch(with: state.members) {
            throw IntegrityError(description: "\(mismatch); the archive is damaged, and nothing was restored")
        }
        return state
    }

    private mutating func writeFile(_ header: TarHeader, mode: mode_t) throws {
        let path = directory + "/" + header.path
        do { try makeParents(of: header.path) } catch {
            throw IntegrityError(description: "archive member \(header.path.escapedForDisplay) lies under a name that is a file, not a folder; nothing was restored")
        }
        let fd: Int32
        do { fd = try ArchiveIO.createExclusive(path, mode: mode) } catch {
            throw IntegrityError(description: "archive member \(header.path.escapedForDisplay) appears twice, or its folder is a file; nothing was restored")
        }
        defer { close(fd) }
        var hasher = SHA256()
        try reader.readData { chunk in
            hasher.update(bufferPointer: chunk)
            try ArchiveIO.writeAll(fd, chunk, display: path)
        }
        try ArchiveIO.sync(fd, display: path)
        members[header.path] = BackupManifest.Entry(path: header.path, size: header.size, sha256: Hex.lowercase(hasher.finalize()))
        bytes += header.size
    }

    /// Creates each folder above `relative` inside the target; an existing one must be a real folder (never a link).
    private func makeParents(of relative: String) throws {
        var path = directory
        for component in relative.split(separator: "/").dropLast() {
            path += "/" + component
            try ArchiveIO.makeDirectory(path)
        }
    }
}
