#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import OpineCore
import OpineStore

/// Taking uploads in groups: several small bundles staged one after another, made durable at one point and committed
/// in one transaction, then removed from the drop directory with one directory sync. A burst of small uploads then
/// pays for one flush and one commit per group instead of per upload; a group of one is the ordinary take.
extension Intake {
    /// Takes `uploads` as one group and says what became of each, in order. `heartbeat` is beaten on every chunk
    /// copied; `fileByFile` makes the group durable file by file instead of with `syncfs`, which would also wait for
    /// what another lane is writing (the express lane, where an emergency must never wait for a study).
    /// `deferDeletion` lets small taken uploads wait, renamed aside, until intake is idle (`TakenUploads`).
    func take(
        _ uploads: [(name: String, look: UploadLook?)], heartbeat: Heartbeat?, fileByFile: Bool = false, deferDeletion: Bool = false
    ) -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: uploads.count)
        var staged: [(index: Int, upload: Staged)] = []
        // Opened before anything is written, so `syncfs` reports any writeback error on the file system since.
        let syncer = Result { try StagingSync(staging: configuration.stagingDirectory) }
        for (index, upload) in uploads.enumerated() {
            switch prepare(upload.name, look: upload.look, heartbeat: heartbeat ?? self.heartbeat) {
            case .done(let outcome): outcomes[index] = outcome
            case .staged(let ready): staged.append((index, ready))
            }
        }
        if !staged.isEmpty {
            let results = finishGroup(staged.map(\.upload), syncer: syncer, fileByFile: fileByFile, deferDeletion: deferDeletion)
            for (position, result) in results.enumerated() { outcomes[staged[position].index] = result }
        }
        let all = outcomes.map { $0 ?? .vanished }
        all.forEach(note)
        return all
    }

    /// Makes the staged uploads durable, commits them together and removes them from the drop directory. A failure
    /// before the commit leaves every upload of the group waiting, to be tried again; the staging folders are removed.
    private func finishGroup(_ group: [Staged], syncer: Result<StagingSync, Error>, fileByFile: Bool, deferDeletion: Bool) -> [Outcome] {
        var placed = Set<Int>()
        defer {
            for (index, upload) in group.enumerated() where !placed.contains(index) {
                try? FileOperations.removeTree(upload.directory)
            }
        }
        let outcomes: [IntakeOutcome]
        do {
            try makeDurable(group, syncer: syncer, fileByFile: fileByFile)
            outcomes = try commitGroup(group, placed: &placed)
        } catch {
            return group.map { retryLater($0.name, error) }
        }
        var results: [Outcome] = []
        var taken: [(path: String, small: Bool)] = []
        for (upload, outcome) in zip(group, outcomes) {
            if case .conflict(let rejection) = outcome {
                if rejection.code == .supplementUnknownCase, mayWaitForCase(upload.path) {
                    noteWaiting(upload.name)
                    results.append(.waitingForCase)
                    continue
                }
                results.append(quarantine(name: upload.name, path: upload.path, rejection: rejection, submissionID: upload.commit.manifest.submissionID))
                continue
            }
            results.append(logged(outcome, upload.commit))
            taken.append((upload.path, upload.commit.totalBytes <= limits.expressLaneMaxBytes))
        }
        if outcomes.contains(where: { if case .duplicate = $0 { false } else { true } }) { announce() }
        removeTaken(taken.map(\.path), deferring: deferDeletion ? Set(taken.filter(\.small).map(\.path)) : [])
        return results
    }

    /// One durability point for the whole group: file by file for a small single bundle, and for a group of small
    /// bundles in the express lane (see `take`); `syncfs` for anything larger, in either lane, where thousands of
    /// fsyncs would cost more than waiting for the other lane's writes.
    private func makeDurable(_ group: [Staged], syncer: Result<StagingSync, Error>, fileByFile: Bool) throws {
        let syncer = try syncer.get()
        let files = group.reduce(0) { $0 + $1.commit.files.count }, bytes = group.reduce(0) { $0 + $1.commit.totalBytes }
        let perFile = (fileByFile || group.count == 1)
            && StagingSync.isSmall(files: files, bytes: bytes, limits: limits, bundles: group.count)
        if perFile {
            try syncer.finish(files: group.flatMap(\.files), directories: group.flatMap(\.directories))
        } else {
            try syncer.finish()
        }
    }

    /// Commits the group in one transaction, each staged folder renamed into the store inside it and the store's
    /// folder synced once. If the transaction fails, the folders renamed so far are removed (or, for a second try,
    /// moved back to staging) before any other lane can commit (see `CaseStore.commitIntakeGroup`). A folder already
    /// at a target (a leftover of an attempt
    /// that died between its rename and its commit) rolls the transaction back; it is set aside out here and the
    /// commit tried once more.
    private func commitGroup(_ group: [Staged], placed: inout Set<Int>) throws -> [IntakeOutcome] {
        // Each attempt may find one leftover (a killed attempt can leave several files of a supplement): cleared and
        // tried again, as long as each attempt finds a new one.
        var cleared = Set<String>()
        while true {
            var moves = PlacedMoves()
            do {
                let outcomes = try store.commitIntakeGroup(
                    group.map(\.commit), now: clock(),
                    place: { index, placement in try moves.place(placement, from: group[index].directory, index: index, cases: configuration.casesDirectory) },
                    afterPlacing: { try moves.sync(cases: configuration.casesDirectory) },
                    beforeCommit: { try FaultInjection.check(.commit, store.path) },
                    undoPlacing: { error in
                        // Only an occupied target keeps the staged files for a second try; after any other failure
                        // (a failed fsync among them) nothing staged is trusted: the uploads still hold the files.
                        moves.undo(keepingStaged: error is FolderOccupied)
                    })
                placed.formUnion(moves.indices)
                return outcomes
            } catch let occupied as FolderOccupied where cleared.insert(occupied.path).inserted {
                try clearLeftover(occupied)
            }
        }
    }

    /// A supplement for a submission that is not a case yet waits while it is younger than `intake.supplement_wait`
    /// (counted from its arrival in the drop directory, which a rename stamps as the inode's change time): the
    /// submission it names may still be arriving or being copied, and intake takes the newest first.
    func mayWaitForCase(_ path: String) -> Bool {
        guard let info = FileOperations.lstat(path) else { return false }
        let arrived = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
        return clock().timeIntervalSince1970 - arrived < limits.supplementWaitSeconds
    }

    /// Renames each taken upload to a hidden name (the loop ignores it; start-up removes a leftover), makes the
    /// renames durable with one sync of the drop directory, then deletes them, or, for those in `deferring`, leaves
    /// the deletion for when intake is idle. A failure only leaves a leftover: the cases are safe, and the next take
    /// of a leftover under its own name finds it an exact re-send.
    func removeTaken(_ paths: [String], deferring: Set<String> = []) {
        guard !paths.isEmpty else { return }
        var hidden: [(path: String, later: Bool)] = []
        for path in paths {
            let target = configuration.dropDirectory + "/" + Self.takenPrefix + UUID().uuidString.lowercased()
            do {
                try FileOperations.renameNoReplace(path, target)
                hidden.append((target, deferring.contains(path)))
            } catch {
                let name = (path as NSString).lastPathComponent
                logger.warning("case stored but the upload could not be removed", metadata: [
                    "upload": "\(LogSafe.upload(name))", "error": "\(LogSafe.error(error, upload: name, in: configuration))",
                ])
            }
        }
        do {
            try FileOperations.syncDirectory(configuration.dropDirectory)
        } catch {
            logger.warning("case stored but the upload's removal could not be made durable", metadata: ["error": "\(error)"])
        }
        for (path, later) in hidden where !(later && taken.keep(path)) {
            taken.delete(path)
        }
    }
}
