#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore

/// Quarantine: a refused upload is moved aside with its reason before it is recorded, so nothing is lost if the
/// database write fails.
extension Intake {
    /// Moves the upload to `rejected/<time>-<name>/` beside a reason.json, then records it. If any step fails the
    /// upload is put back and judged again later; if it cannot be put back, the next start records the folder from
    /// its reason.json (see `Reconciler`). Without a `submissionID`, one is read leniently from the upload's
    /// manifest (`LenientSubmission`), so the uploader can match the refusal to the upload.
    func quarantine(name: String, path: String, rejection: Rejection, submissionID: String?) -> Outcome {
        let now = clock()
        let submissionID = submissionID ?? LenientSubmission.read(path, limits: limits, today: now)
        let rejectionID = RejectionID.make(at: now)
        var folder: (path: String, name: String)?
        var movedTo: String?
        do {
            let made = try uniqueFolder(in: configuration.rejectedDirectory, base: "\(Timestamps.compactTime(now))-\(Self.safeName(name))")
            folder = made
            let reason = QuarantineReason(
                code: rejection.code.rawValue, message: rejection.message, at: Timestamps.format(now),
                upload: name.escapedForDisplay, submissionID: submissionID, rejectionID: rejectionID, entry: rejection.entry,
                field: rejection.field)
            try FileOperations.writeDurably(Array(try reason.encoded()), to: made.path + "/" + QuarantineReason.fileName)
            let isDirectory = FileOperations.lstat(path).map(FileOperations.isDirectory) ?? false
            let target = made.path + "/" + (isDirectory ? "upload" : name.lowercased().hasSuffix(".zip") ? "upload.zip" : "upload.file")
            try FileOperations.renameNoReplace(path, target)
            movedTo = target
            try FileOperations.syncDirectory(made.path)
            try FileOperations.syncDirectory(configuration.dropDirectory)
            let id = try store.recordRejection(reason.record(quarantine: made.name)) {
                try FaultInjection.check(.commit, store.path)
            }
            announce()
            logger.warning("upload rejected", metadata: [
                "reason": "\(rejection.code.rawValue)", "rejection": "\(id)", "rejection_id": "\(rejectionID)",
                "upload": "\(LogSafe.upload(name))",
            ])
            return .rejected(rejection.code)
        } catch {
            // Put things back as they were, so the upload is judged again from the drop directory. If the upload
            // cannot be moved back, its folder stays and the next start records it from reason.json.
            let restored = movedTo.map { (try? FileOperations.renameNoReplace($0, path)) != nil } ?? true
            if restored, let folder { try? FileOperations.removeTree(folder.path) }
            let message = LogSafe.error(error, upload: name, in: configuration)
            logger.error("could not quarantine a rejected upload; it stays and will be tried again", metadata: [
                "upload": "\(LogSafe.upload(name))", "reason": "\(rejection.code.rawValue)", "error": "\(message)",
            ])
            return .retryLater(message, diskFull: Self.isDiskFull(error))
        }
    }

    private func uniqueFolder(in parent: String, base: String) throws -> (path: String, name: String) {
        for attempt in 1...1000 {
            let name = attempt == 1 ? base : "\(base)-\(attempt)"
            let path = parent + "/" + name
            try FaultInjection.check(.mkdir, path)
            if Glibc.mkdir(path, 0o750) == 0 { return (path, name) }
            if errno != EEXIST { throw FileOperations.fail("mkdir", path) }
        }
        throw IOFailure(operation: "mkdir", path: parent + "/" + base, code: EEXIST)
    }

    /// The upload's name reduced to characters that are safe in a path and a terminal.
    static func safeName(_ name: String) -> String {
        let mapped = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        })
        let trimmed = mapped.drop(while: { $0 == "." })
        return trimmed.isEmpty ? "upload" : String(trimmed.prefix(80))
    }
}

/// `reason.json` in a quarantine folder: enough to record the rejection even if the database write was lost.
struct QuarantineReason: Codable, Equatable {
    static let fileName = "reason.json"
    var code: String
    var message: String
    var at: String
    var upload: String
    var submissionID: String?
    /// The refusal's `RejectionID`; absent in a reason.json written before rejection ids existed.
    var rejectionID: String?
    /// The file at fault, by its path within the upload.
    var entry: String?
    /// The manifest field path at fault.
    var field: String?

    enum CodingKeys: String, CodingKey {
        case code, message, at, upload, entry, field
        case submissionID = "submission_id", rejectionID = "rejection_id"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    func record(quarantine: String) -> RejectionRecord {
        RejectionRecord(
            at: at, uploadName: upload, submissionID: submissionID, code: code, message: message,
            quarantine: quarantine, duplicateOf: nil, publicID: rejectionID, entry: entry, field: field)
    }
}
