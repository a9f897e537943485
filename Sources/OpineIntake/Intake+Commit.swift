#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore

/// Committing a taken upload: the store's transaction renames the staged folder into place, then the upload is
/// removed from the drop directory.
extension Intake {
    /// Commits the case (its files renamed into the store inside the transaction), then removes the upload.
    func finish(_ commit: IntakeCommit, staged: String, uploadPath: String) throws -> Outcome {
        let outcome = try commitPlacing(commit, staged: staged)
        switch outcome {
        case .conflict(let rejection):
            let name = String(uploadPath[uploadPath.index(after: uploadPath.lastIndex(of: "/")!)...])
            return quarantine(name: name, path: uploadPath, rejection: rejection, submissionID: commit.manifest.submissionID)
        case .stored, .updated:
            announce()
        case .duplicate:
            break
        }
        do {
            try removeTakenUpload(uploadPath)
        } catch {
            // The case is safe; the leftover upload will be recognised as a duplicate and removed next time.
            logger.warning("case stored but the upload could not be removed", metadata: ["error": "\(error)"])
        }
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
            return .rejected(rejection.code)  // Quarantined above; not reached.
        }
    }

    /// The store's transaction only renames the staged folder into place. A folder already at the target (for a
    /// case id with no row, so a leftover of an attempt whose commit failed) comes back as `FolderOccupied`: the
    /// transaction has rolled back, the folder is set aside out here, and the commit is tried once more.
    private func commitPlacing(_ commit: IntakeCommit, staged: String) throws -> IntakeOutcome {
        var setAsideOnce = false
        while true {
            var placed: String?
            do {
                return try store.commitIntake(commit, now: clock(), place: { caseID in
                    let target = configuration.casesDirectory + "/" + caseID
                    try place(staged, at: target)
                    placed = target
                    try FileOperations.syncDirectory(configuration.casesDirectory)
                }, beforeCommit: { try FaultInjection.check(.commit, store.path) })
            } catch let occupied as FolderOccupied where !setAsideOnce {
                setAsideOnce = true
                try setAside(occupied.path)
            } catch {
                if let placed { try? FileOperations.removeTree(placed) }
                throw error
            }
        }
    }

    /// A store folder already stands where a new case's files must go.
    struct FolderOccupied: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) already exists; it is set aside and the commit tried again" }
    }

    /// Renames the staged folder to the case's folder, never over an existing one.
    private func place(_ staged: String, at target: String) throws {
        do {
            try FileOperations.renameNoReplace(staged, target)
        } catch where error.code == EEXIST {
            throw FolderOccupied(path: target)
        }
    }

    /// Uploads being deleted carry this prefix: hidden, so the loop ignores them, and removed again at start-up.
    static let takenPrefix = ".opine-taken-"

    /// Renames a taken upload to a hidden name first (atomic), then deletes it: a crash in the middle of deleting a
    /// directory must never leave a half-deleted upload that looks like a bundle still arriving.
    private func removeTakenUpload(_ path: String) throws {
        try FileOperations.removeTreeAtomically(path, hiddenName: Self.takenPrefix + UUID().uuidString.lowercased())
    }

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
