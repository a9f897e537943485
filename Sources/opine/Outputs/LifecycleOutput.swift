import Foundation
import OpineCore
import OpineLifecycle
import OpineStore

/// A legal hold, in `opine show --json` (`hold`) and `opine hold --json`.
struct LifecycleHold: Encodable {
    /// Since when (ISO 8601, UTC).
    var since: String
    /// Who put it on.
    var by: String
    /// Why.
    var reason: String

    /// The store's hold.
    init(_ hold: CaseHold) {
        since = hold.since
        by = hold.by
        reason = hold.reason
    }
}

/// `opine hold --json` and `opine release --json`: what was recorded.
struct HoldOutput: Encodable {
    /// The case id.
    var id: String
    /// Whether the case is under hold now.
    var held: Bool
    /// The audit event's number (as in `opine history`).
    var event: Int64
    /// Who acted.
    var actor: String
    /// When (ISO 8601, UTC).
    var at: String
}

/// `opine purge --json`: what the purge removed, or with --dry-run what it would remove.
struct PurgeOutput: Encodable {
    /// Nothing was changed.
    var dryRun: Bool
    /// One entry per removal.
    var removals: [Item]
    /// Delivery attempts removed (or that would be).
    var attempts: Int
    /// Attempts started before this went (ISO 8601, UTC); null when they are kept.
    @OrNull var attemptsBefore: String?
    /// Removals an earlier, interrupted purge had tombstoned, finished now.
    var finished: [String]
    /// What failed, and why; the next purge retries it.
    var problems: [Problem]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case removals, attempts, finished, problems
        case dryRun = "dry_run", attemptsBefore = "attempts_before"
    }

    /// One removal.
    struct Item: Encodable {
        /// `case_file` (a case's files and patient fields), `rejected_upload` or `orphaned_folder`.
        var what: PurgedKind
        /// The retention rule that removes it.
        var rule: RetentionRule
        /// The case id, or the folder's name under rejected/ or orphaned/.
        var target: String
        /// The rejection's id, for a rejected upload; otherwise null.
        @OrNull var rejectionID: Int64?
        /// When its retention clock started (ISO 8601, UTC).
        var since: String

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case what, rule, target, since
            case rejectionID = "rejection_id"
        }
    }

    /// One failure.
    struct Problem: Encodable {
        /// What could not be removed.
        var subject: String
        /// Why.
        var reason: String
    }

    /// The report as JSON.
    init(_ report: PurgeReport) {
        dryRun = report.dryRun
        removals = report.items.map {
            Item(what: $0.kind, rule: $0.rule, target: $0.target, rejectionID: $0.rejectionID, since: Timestamps.format($0.since))
        }
        attempts = report.attempts
        attemptsBefore = report.attemptsBefore.map(Timestamps.format)
        finished = report.finished.map(\.description)
        problems = report.problems.map { Problem(subject: $0.subject.description, reason: $0.reason) }
    }
}

/// `opine orphaned --json`: the set-aside folders in orphaned/.
struct OrphanedOutput: Encodable {
    /// The folders, oldest first.
    var folders: [Folder]
    /// `retention.orphaned_folders` in days; null when they are kept.
    @OrNull var retentionDays: Double?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case folders
        case retentionDays = "retention_days"
    }

    /// One folder.
    struct Folder: Encodable {
        /// Its name under orphaned/.
        var name: String
        /// Its full path.
        var path: String
        /// When it was last written (ISO 8601, UTC).
        var writtenAt: String
        /// How many files it holds.
        var files: Int
        /// Their bytes.
        var bytes: Int64
        /// When the purge removes it (ISO 8601, UTC); null when set-aside folders are kept.
        @OrNull var purgeAt: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case name, path, files, bytes
            case writtenAt = "written_at", purgeAt = "purge_at"
        }
    }
}
