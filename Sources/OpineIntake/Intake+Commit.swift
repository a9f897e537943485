#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore

/// Committing a taken upload: the store's transaction renames the staged folder into place, then the upload is
/// removed from the drop directory. (Groups of staged uploads: `Intake+Group.swift`.)
extension Intake {
    /// Commits an exact re-send or a conflict found before any byte was copied (no files to place), then removes
    /// the upload or quarantines it. Throws `FilesNeeded` when the case changed so that the files must be copied.
    func finish(_ commit: IntakeCommit, uploadPath: String) throws -> Outcome {
        // With no files the store never places any: it throws `FilesNeeded` instead.
        let outcome = try store.commitIntake(
            commit, now: clock(), place: { _ in }, beforeCommit: { try FaultInjection.check(.commit, store.path) })
        if case .conflict(let rejection) = outcome {
            let name = String(uploadPath[uploadPath.index(after: uploadPath.lastIndex(of: "/")!)...])
            return quarantine(name: name, path: uploadPath, rejection: rejection, submissionID: commit.manifest.submissionID)
        }
        if case .updated = outcome { announce() }
        removeTaken([uploadPath])
        return logged(outcome, commit)
    }

    /// Logs what a commit came to (no patient data) and says it as intake's outcome.
    func logged(_ outcome: IntakeOutcome, _ commit: IntakeCommit) -> Outcome {
        switch outcome {
        case .stored(let caseID, let priority):
            let level: Logger.Level = priority == .emergency ? .critical : .notice
            logger.log(level: level, "case stored", metadata: [
                "case": "\(caseID)", "priority": "\(priority.rawValue)", "files": "\(commit.files.count)",
                "bytes": "\(commit.totalBytes)",
            ])
            return .stored(caseID: caseID, priority: priority)
        case .duplicate(let original, let matchedBy):
            logger.notice("duplicate upload removed", metadata: ["case": "\(original)", "matched_by": "\(matchedBy.rawValue)"])
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
        var description: String { "\(path) already exists; it is set aside and the commit tried again" }
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
    func setAside(_ path: String) throws {
        try FileOperations.makeDirectory(configuration.orphanedDirectory)
        let name = (path as NSString).lastPathComponent + "-" + Timestamps.compactTime(clock()) + "-" + UUID().uuidString.prefix(8)
        try store.recordRepair(.setAside, ["folder": name])
        try FileOperations.renameNoReplace(path, configuration.orphanedDirectory + "/" + name)
        logger.warning("set aside a store folder that had no committed case", metadata: ["folder": "\(name)"])
    }
}
