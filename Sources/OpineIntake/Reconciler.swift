#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore

/// Start-up repair of what a crash (kill -9, power loss) can leave between intake's steps. Uploads are removed from
/// the drop directory only after their case or rejection is committed, so every repair here either finishes a step
/// from what is durable or rolls it back to "the upload is still waiting". Each repair is logged and audited, the
/// audit event written first: a crash between the two repeats the repair at the next start, never hides it.
extension Intake {
    /// Creates the service's folders and repairs what a crash left behind, before the first upload is taken.
    public func prepare() throws {
        for directory in [configuration.dropDirectory, configuration.rejectedDirectory, configuration.casesDirectory, configuration.stagingDirectory] {
            try FileOperations.makeDirectories(directory)
        }
        try cleanStaging()
        try removeTakenUploads()
        try rollBackUncommittedStoreFolders()
        try flagCasesWithoutFolders()
        try removeProvenCopies()
        try finishQuarantines()
    }

    private func entries(of directory: String) throws -> [String] {
        let fd = try FileOperations.openDirectory(directory)
        defer { close(fd) }
        return try FileOperations.listDirectory(fd, display: directory).map(\.0)
    }

    /// Unfinished staging: the uploads it was copied from are still in the drop directory. A supplement's files that
    /// a crash left renamed into a case folder without their commit are cleared first (`clearUncommittedPlacement`).
    private func cleanStaging() throws {
        let leftovers = try entries(of: configuration.stagingDirectory)
        for folder in leftovers {
            if let marker = PlacingMarker.read(from: configuration.stagingDirectory + "/" + folder) { try clearUncommittedPlacement(marker) }
        }
        try remove(leftovers, in: configuration.stagingDirectory,
                   repair: .stagingRemoved, log: "removed unfinished staging from an earlier run")
    }

    /// Uploads already stored (or found duplicate) whose deletion a crash interrupted, or that opined may not delete
    /// (an uploader's folder the opine-upload group cannot write): such a leftover holds nothing not already on its
    /// case, under a name intake never takes, so it is named in a warning and start-up goes on: opined not starting
    /// would hold up every upload, emergencies too.
    private func removeTakenUploads() throws {
        let leftovers = try entries(of: configuration.dropDirectory).filter { $0.hasPrefix(Self.takenPrefix) }
        guard !leftovers.isEmpty else { return }
        try store.recordRepair(.takenUploadRemoved, ["count": String(leftovers.count)])
        let kept = leftovers.filter { !taken.delete(configuration.dropDirectory + "/" + $0) }.count
        if kept > 0 { try store.recordRepair(.takenUploadKept, ["count": String(kept)]) }
        if kept < leftovers.count {
            logger.notice("finished removing uploads an earlier run had taken", metadata: ["count": "\(leftovers.count - kept)"])
        }
    }

    /// Removes leftovers that are safe to delete, audited first as one repair.
    private func remove(_ leftovers: [String], in directory: String, repair: RepairKind, log message: Logger.Message) throws {
        guard !leftovers.isEmpty else { return }
        try store.recordRepair(repair, ["count": String(leftovers.count)])
        for name in leftovers { try FileOperations.removeTree(directory + "/" + name) }
        logger.notice(message, metadata: ["count": "\(leftovers.count)"])
    }

    /// A store folder whose case was never committed (killed between the rename and the commit) is set aside.
    private func rollBackUncommittedStoreFolders() throws {
        let folders = try entries(of: configuration.casesDirectory)
        let committed = try store.caseIDs(in: folders)
        for folder in folders where !committed.contains(folder) {
            try setAside(configuration.casesDirectory + "/" + folder)
        }
    }

    /// A committed case whose folder is gone cannot be rebuilt (its upload was removed after the commit). Intake makes
    /// the folder durable before it commits, so only a disk that lost acknowledged writes, or a person, can cause it:
    /// the newest cases are checked, and each one found is flagged once, in the log and in its own history.
    /// `opine verify` checks every case.
    private func flagCasesWithoutFolders() throws {
        for id in try store.newestCaseIDs(100) where FileOperations.lstat(configuration.casesDirectory + "/" + id) == nil {
            guard try !store.hasRepair(.caseFolderMissing, caseID: id) else { continue }
            try store.recordRepair(.caseFolderMissing, caseID: id)
            logger.critical("a stored case has no folder; restore it from a backup (docs/operations.md)", metadata: ["case": "\(id)"])
        }
    }

    /// Proven copies being removed carry this prefix: a removal a crash cut short is finished at the next start,
    /// rather than leaving a part-deleted folder whose manifest (gone first, perhaps) can no longer prove anything.
    static let removingPrefix = ".opine-removing-"

    /// A set-aside folder is removed once a committed case is proven to hold the same submission and the same files
    /// (its upload was taken again after the crash); anything else stays for a person to look at.
    private func removeProvenCopies() throws {
        guard FileOperations.lstat(configuration.orphanedDirectory) != nil else { return }
        let folders = try entries(of: configuration.orphanedDirectory)
        // Proven and audited before they were renamed; only the deleting was left.
        for folder in folders where folder.hasPrefix(Self.removingPrefix) {
            try FileOperations.removeTree(configuration.orphanedDirectory + "/" + folder)
        }
        for folder in folders where !folder.hasPrefix(Self.removingPrefix) {
            let path = configuration.orphanedDirectory + "/" + folder
            guard case .bytes(let bytes) = FileOperations.readSmallFile(path + "/" + Manifest.fileName, limit: Manifest.maxBytes),
                  let manifest = try? Manifest.parse(bytes, limits: limits, today: clock())
            else { continue }
            let content = Admission.contentSHA256(manifest.files.map { ($0.path, $0.sha256) })
            guard let caseID = try store.caseHolding(submissionID: manifest.submissionID, contentSHA256: content, manifest: Array(bytes))
            else { continue }
            try store.recordRepair(.copyRemoved, ["folder": folder, "case": caseID])
            try FileOperations.removeTreeAtomically(path, hiddenName: Self.removingPrefix + folder)
            logger.notice("removed a set-aside copy of a stored case", metadata: ["folder": "\(LogSafe.orphanedFolder(folder))", "case": "\(caseID)"])
        }
    }

    /// A quarantine folder whose database record was lost is recorded from its reason.json; one the upload never
    /// reached is removed (the upload is still in the drop directory and is judged again).
    private func finishQuarantines() throws {
        let recorded = try store.recordedQuarantines()
        for folder in try entries(of: configuration.rejectedDirectory) where !recorded.contains(folder) {
            let path = configuration.rejectedDirectory + "/" + folder
            guard let upload = ["upload", "upload.zip", "upload.file"].first(where: { FileOperations.lstat(path + "/" + $0) != nil }) else {
                try store.recordRepair(.quarantineUnfilledRemoved, ["folder": folder])
                try FileOperations.removeTree(path)
                logger.notice("removed a quarantine folder an earlier run left unfilled", metadata: ["folder": "\(LogSafe.quarantineFolder(folder))"])
                continue
            }
            guard let data = FileManager.default.contents(atPath: path + "/" + QuarantineReason.fileName),
                  let written = try? JSONDecoder().decode(QuarantineReason.self, from: data),
                  let reason = try written.repaired(now: clock(), isHeld: store.holdsRejectionID)
            else {
                try returnToDrop(path + "/" + upload, folder: folder)
                continue
            }
            // What was checked again is written back first (a fresh id for a copied folder, one written before ids,
            // or one that is not an id), so reason.json, the row and the webhook name the same refusal.
            if reason != written {
                try FileOperations.writeDurably(Array(try reason.encoded()), to: path + "/" + QuarantineReason.fileName)
            }
            try store.recordRepair(.rejectionRecorded, ["folder": folder])
            let id = try store.recordRejection(reason.record(quarantine: folder))
            logger.notice("recorded a rejection an earlier run could not", metadata: [
                "rejection": "\(id)", "rejection_id": "\(reason.rejectionID ?? "")", "reason": "\(reason.code)",
            ])
        }
    }

    /// An unrecorded upload whose reason.json cannot be read is judged again rather than deleted: reason.json is
    /// written and synced before the upload is moved in, so only a damaged disk or a person gets here.
    private func returnToDrop(_ upload: String, folder: String) throws {
        let suffix = upload.hasSuffix(".zip") ? ".zip" : ""
        var target = configuration.dropDirectory + "/" + folder + suffix
        if FileOperations.lstat(target) != nil {
            target = configuration.dropDirectory + "/" + folder + "-" + UUID().uuidString.prefix(8).lowercased() + suffix
        }
        try store.recordRepair(.quarantineReturned, ["folder": folder])
        try FileOperations.renameNoReplace(upload, target)
        try FileOperations.syncDirectory(configuration.dropDirectory)
        try FileOperations.removeTree(configuration.rejectedDirectory + "/" + folder)
        logger.warning("returned an upload whose quarantine reason could not be read; it is judged again",
                       metadata: ["folder": "\(LogSafe.quarantineFolder(folder))"])
    }

    /// Each file a marker lists that stands in its case folder with no recorded row is a leftover of a commit that
    /// never happened: removed when it is byte for byte the file the upload (still in the drop directory) holds, else
    /// set aside for a person; empty folders it leaves are removed.
    private func clearUncommittedPlacement(_ marker: PlacingMarker) throws {
        let folder = configuration.casesDirectory + "/" + marker.caseID
        for file in marker.files {
            let path = folder + "/" + file.path
            guard FileOperations.lstat(path) != nil, try !store.caseHasFile(marker.caseID, path: file.path) else { continue }
            try clearLeftover(FolderOccupied(path: path, leftover: (marker.caseID, file.sha256)))
            var parent = (path as NSString).deletingLastPathComponent
            while parent.count > folder.count, rmdir(parent) == 0 { parent = (parent as NSString).deletingLastPathComponent }
        }
    }
}
