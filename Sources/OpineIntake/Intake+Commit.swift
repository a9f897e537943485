#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore

/// Committing taken uploads (`Intake+Group.swift`): what a commit came to, renaming a staged folder into place, and
/// setting a leftover aside.
extension Intake {
    /// Logs what a commit came to (no patient data) and says it as intake's outcome.
    func logged(_ outcome: IntakeOutcome, _ commit: IntakeCommit) -> Outcome {
        switch outcome {
        case .stored(let caseID, let priority):
            let level: Logger.Level = priority == .emergency ? .critical : .notice
            logger.log(level: level, "case stored", metadata: [
                "case": "\(caseID)", "priority": "\(priority.rawValue)", "files": "\(commit.files.count)",
                "bytes": "\(commit.totalBytes)", "upload": "\(UploadDigest.of(displayedName: commit.uploadName))",
            ])
            return .stored(caseID: caseID, priority: priority)
        case .duplicate(let original, let matchedBy):
            logger.notice("duplicate upload removed", metadata: [
                "case": "\(original)", "matched_by": "\(matchedBy.rawValue)", "upload": "\(UploadDigest.of(displayedName: commit.uploadName))",
            ])
            return .duplicate(of: original)
        case .updated(let caseID, let priority, let changes):
            let level: Logger.Level = priority == .emergency ? .critical : .notice
            logger.log(level: level, "case updated by a re-send", metadata: [
                "case": "\(caseID)", "priority": "\(priority.rawValue)", "changed": "\(changes.map(\.rawValue).joined(separator: ","))",
            ])
            return .updated(caseID: caseID, priority: priority)
        case .conflict(let rejection):
            return .rejected(rejection.code)  // Quarantined by the caller before it logs.
        }
    }

    /// A store folder already stands where a new case's files must go.
    struct FolderOccupied: Error, CustomStringConvertible {
        var path: String
        /// For a supplement's file: the case and the SHA-256 the file placed there must have. A file there that a
        /// committed case does not list is a leftover of an attempt that died before its commit.
        var leftover: (caseID: String, sha256: String)? = nil
        var description: String {
            // A supplement's file name is the patient's: only the case is named.
            if let leftover { return "a leftover file stands where a file of \(leftover.caseID) must go; it is cleared and the commit tried again" }
            return "\(path) already exists; it is set aside and the commit tried again"
        }
    }

    /// Clears a leftover in a case's folder where a supplement's file must go: deleted when it is byte for byte the
    /// file about to be placed (a copy of what the upload, still in the drop directory, holds), else set aside.
    func clearLeftover(_ occupied: FolderOccupied) throws {
        guard let leftover = occupied.leftover, FileOperations.isRegular(FileOperations.lstat(occupied.path) ?? stat()),
              CaseStore.sha256(ofFileAt: occupied.path)?.0 == leftover.sha256
        else { return try setAside(occupied.path, label: occupied.leftover.map { $0.caseID + "-file" }) }
        try store.recordRepair(.copyRemoved, ["case": leftover.caseID, "leftover": "supplement file"], caseID: leftover.caseID)
        try FileOperations.removeTree(occupied.path)
        logger.notice("removed a leftover copy of a supplement's file", metadata: ["case": "\(leftover.caseID)"])
    }

    /// Renames the staged folder to the case's folder, never over an existing one.
    func place(_ staged: String, at target: String) throws {
        do {
            try FileOperations.renameNoReplace(staged, target)
        } catch where error.code == EEXIST {
            throw FolderOccupied(path: target)
        }
    }

    /// Uploads being deleted carry this prefix: hidden, so the loop ignores them, and removed again at start-up.
    static let takenPrefix = ".opine-taken-"

    /// Keeps a leftover store folder instead of deleting it: nothing a patient sent is ever destroyed by a guess.
    /// (Start-up removes it later, once a committed case is proven to hold the same files.)
    /// `label` names it in `orphaned/` instead of its own name (a supplement's file name is the patient's).
    func setAside(_ path: String, label: String? = nil) throws {
        try FileOperations.makeDirectory(configuration.orphanedDirectory)
        let name = (label ?? (path as NSString).lastPathComponent) + "-" + Timestamps.compactTime(clock()) + "-" + UUID().uuidString.prefix(8)
        try store.recordRepair(.setAside, ["folder": name])
        try FileOperations.renameNoReplace(path, configuration.orphanedDirectory + "/" + name)
        logger.warning("set aside a store folder that had no committed case", metadata: ["folder": "\(LogSafe.orphanedFolder(name))"])
    }
}
