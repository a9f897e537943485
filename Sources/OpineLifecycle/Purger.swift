import Foundation
import OpineCore
import OpineStore

/// One thing the purge removed (or, in a dry run, would remove).
public struct PurgeItem: Sendable, Equatable {
    /// What kind of thing it is.
    public var kind: PurgedKind
    /// The rule that removes it.
    public var rule: RetentionRule
    /// The case id, the rejected upload's folder, or the set-aside folder.
    public var target: String
    /// The rejection's id, for a rejected upload.
    public var rejectionID: Int64?
    /// When its retention clock started.
    public var since: Date
}

/// What one purge did.
public struct PurgeReport: Sendable {
    /// Nothing was changed: the items are what would go.
    public var dryRun: Bool
    /// Each removal, in the order made.
    public var items: [PurgeItem] = []
    /// Delivery attempts removed (or, in a dry run, that would be), and the cutoff they started before.
    public var attempts = 0
    /// The cutoff for delivery attempts; nil when they are kept.
    public var attemptsBefore: Date?
    /// Removals an earlier purge tombstoned but did not finish (a crash), finished now.
    public var finished: [RetentionSubject] = []
    /// What could not be removed, and why; the next purge tries again.
    public var problems: [PurgeProblem] = []
}

/// A removal that failed: what (a case id, a rejection id, a set-aside folder) and why (which may name paths, so
/// opined logs only the subject).
public struct PurgeProblem: Sendable, Equatable {
    /// What it was (described as `case C-…`, `rejected upload 12`, `orphaned folder NAME`).
    public var subject: RetentionSubject
    /// The error, which may name paths.
    public var reason: String
}

/// Applies the retention policy: asks the store for candidates, lets `RetentionPolicy` decide, has the store write
/// each tombstone (and scrub a case's patient fields) in one transaction, and only then removes the files. A crash at
/// any point leaves either nothing done or a tombstoned removal the next purge finishes; `opine verify` accepts both.
public struct Purger: Sendable {
    let configuration: Configuration
    let store: CaseStore
    let actor: String
    let progress: @Sendable () -> Void
    let shouldStop: @Sendable () -> Bool

    /// Purges under `configuration.retention`, writing tombstones as `actor`; `progress` is called after each step
    /// (opined beats its heartbeat there, so a long purge keeps the watchdog fed), and the purge ends early, between
    /// two removals, once `shouldStop` says so (opined stopping): what is left is still due at the next.
    public init(
        configuration: Configuration, store: CaseStore, actor: String, progress: @escaping @Sendable () -> Void = {},
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) {
        self.configuration = configuration
        self.store = store
        self.actor = actor
        self.progress = progress
        self.shouldStop = shouldStop
    }

    /// The delivery attempts removed per transaction.
    static let attemptBatch = 5000

    /// Runs one purge at `now`; with `dryRun`, only reports what would go.
    public func run(now: Date = Date(), dryRun: Bool = false) throws -> PurgeReport {
        var report = PurgeReport(dryRun: dryRun)
        if !dryRun {
            try checkPermission()
            try finishEarlierRemovals(now: now, into: &report)
        }
        let policy = configuration.retention
        let candidates = try store.retentionCandidates(policy, now: now)
        let orphaned = policy.orphanedFolders == .keep ? [] : Folders.orphaned(in: configuration.orphanedDirectory)
        let rejections = Dictionary(uniqueKeysWithValues: candidates.rejections.map { ($0.id, $0) })
        let removals = policy.removals(
            cases: candidates.cases, rejections: candidates.rejections.map { ($0.id, $0.at) },
            orphaned: orphaned.map { ($0.name, $0.writtenAt) }, now: now)
        for removal in removals {
            if shouldStop() { return report }
            do {
                try apply(removal, rejections: rejections, now: now, dryRun: dryRun, into: &report)
            } catch {
                report.problems.append(PurgeProblem(subject: removal.subject, reason: "\(error)"))
            }
            progress()
        }
        report.attemptsBefore = policy.attemptCutoff(now: now)
        if shouldStop() { return report }
        if let cutoff = report.attemptsBefore { report.attempts = try removeAttempts(before: cutoff, now: now, dryRun: dryRun) }
        return report
    }

    /// Before any tombstone: a user who may read the spool but not unlink in it (an `opine` group member) would
    /// scrub cases and then fail to remove their files.
    private func checkPermission() throws {
        let directories = [configuration.casesDirectory, configuration.rejectedDirectory, configuration.orphanedDirectory]
        guard let (directory, owner) = Folders.notRemovable(directories) else { return }
        throw PurgePermissionError(description: """
            cannot remove files in \(directory) (it belongs to \(owner)); nothing was purged. Run it as the service \
            user: sudo -u \(owner) opine purge (anyone in the opine group may run opine purge --dry-run)
            """)
    }

    /// Makes one removal: its tombstone first, then the files. A removal whose tombstone was written is reported
    /// even when the files could not go (with the problem): the next purge finishes it.
    private func apply(
        _ removal: Removal, rejections: [Int64: RejectedFolder], now: Date, dryRun: Bool, into report: inout PurgeReport
    ) throws {
        guard let (item, remove) = try tombstone(removal, rejections: rejections, now: now, dryRun: dryRun) else { return }
        report.items.append(item)
        do { try remove?() } catch { report.problems.append(PurgeProblem(subject: removal.subject, reason: "\(error)")) }
    }

    /// Writes the removal's tombstone (not in a dry run) and returns its item with what removes its files.
    private func tombstone(
        _ removal: Removal, rejections: [Int64: RejectedFolder], now: Date, dryRun: Bool
    ) throws -> (PurgeItem, (() throws -> Void)?)? {
        switch removal.subject {
        case .caseFiles(let caseID):
            let item = PurgeItem(kind: .caseFile, rule: removal.rule, target: caseID, since: removal.since)
            if dryRun { return (item, nil) }
            guard try store.tombstoneCase(caseID, policy: configuration.retention, now: now, actor: actor) else { return nil }
            return (item, {
                try Folders.remove(caseID, in: configuration.casesDirectory)
                try store.markCaseFilesRemoved(caseID, now: now)
            })
        case .rejectedUpload(let id):
            guard let rejection = rejections[id] else { return nil }
            let kind: PurgedKind = rejection.folder == nil ? .duplicateUpload : .rejectedUpload
            let item = PurgeItem(kind: kind, rule: removal.rule, target: rejection.folder ?? "", rejectionID: id, since: removal.since)
            if dryRun { return (item, nil) }
            guard let folder = rejection.folder else {
                return try store.tombstoneRejection(rejection, digest: nil, files: 0, bytes: 0, now: now, actor: actor) ? (item, nil) : nil
            }
            guard Folders.isPlainName(folder) else { throw PurgeError(description: "the quarantine folder name is not a plain name") }
            let digest = Folders.digest(configuration.rejectedDirectory + "/" + folder, progress: progress)
            guard try store.tombstoneRejection(rejection, digest: digest.sha256, files: digest.files, bytes: digest.bytes, now: now, actor: actor)
            else { return nil }
            return (item, {
                try Folders.remove(folder, in: configuration.rejectedDirectory)
                try store.markRejectionRemoved(id, now: now)
            })
        case .orphanedFolder(let name):
            let item = PurgeItem(kind: .orphanedFolder, rule: removal.rule, target: name, since: removal.since)
            if dryRun { return (item, nil) }
            let digest = Folders.digest(configuration.orphanedDirectory + "/" + name, progress: progress)
            guard try store.tombstoneOrphaned(name, digest: digest.sha256, files: digest.files, bytes: digest.bytes, now: now, actor: actor)
            else { return nil }
            return (item, {
                try Folders.remove(name, in: configuration.orphanedDirectory)
                try store.markOrphanedRemoved(name, now: now)
            })
        }
    }

    /// Removals whose tombstones an earlier purge wrote but whose files a crash left behind.
    private func finishEarlierRemovals(now: Date, into report: inout PurgeReport) throws {
        func finish(_ name: String, in directory: String, subject: RetentionSubject, mark: () throws -> Void) {
            do {
                try Folders.remove(name, in: directory)
                try mark()
                report.finished.append(subject)
            } catch {
                report.problems.append(PurgeProblem(subject: subject, reason: "\(error)"))
            }
            progress()
        }
        for caseID in try store.casesAwaitingRemoval() {
            finish(caseID, in: configuration.casesDirectory, subject: .caseFiles(caseID: caseID)) { try store.markCaseFilesRemoved(caseID, now: now) }
        }
        for rejection in try store.rejectionsAwaitingRemoval() {
            guard let folder = rejection.folder else { try store.markRejectionRemoved(rejection.id, now: now); continue }
            finish(folder, in: configuration.rejectedDirectory, subject: .rejectedUpload(id: rejection.id)) {
                try store.markRejectionRemoved(rejection.id, now: now)
            }
        }
        for folder in try store.orphanedAwaitingRemoval() {
            finish(folder, in: configuration.orphanedDirectory, subject: .orphanedFolder(name: folder)) { try store.markOrphanedRemoved(folder, now: now) }
        }
    }

    private func removeAttempts(before cutoff: Date, now: Date, dryRun: Bool) throws -> Int {
        if dryRun { return try store.countAttempts(before: cutoff) }
        var total = 0
        while true {
            let removed = try store.removeAttempts(before: cutoff, batch: Self.attemptBatch, now: now, actor: actor)
            total += removed
            progress()
            if removed < Self.attemptBatch || shouldStop() { return total }
        }
    }
}
