import Foundation

/// How long something is kept before the purge removes it: for ever, or a time after its clock starts.
public enum RetentionPeriod: Sendable, Equatable {
    /// Never removed by the purge.
    case keep
    /// Removed once this many seconds have passed since its clock started (0: at the next purge).
    case after(TimeInterval)

    /// Whether something whose clock started at `start` is due for removal at `now`.
    func isDue(since start: Date, now: Date) -> Bool {
        guard case .after(let seconds) = self else { return false }
        return now.timeIntervalSince(start) >= seconds
    }

    /// The period in days, as the settings give it; nil when kept.
    public var days: Double? {
        guard case .after(let seconds) = self else { return nil }
        return seconds / 86400
    }

    /// When something whose clock started at `start` becomes due; nil when kept.
    public func dueAt(since start: Date) -> Date? {
        guard case .after(let seconds) = self else { return nil }
        return start.addingTimeInterval(seconds)
    }

    /// The latest start that can be due at `now`; nil when kept.
    func cutoff(now: Date) -> Date? {
        guard case .after(let seconds) = self else { return nil }
        return now.addingTimeInterval(-seconds)
    }
}

/// Which retention rule removed something, stored as a tombstone's `detail.rule`.
public enum RetentionRule: String, Codable, Sendable, CaseIterable {
    /// A refused upload in `rejected/`, after `retention.rejected_uploads` from its rejection.
    case rejectedUpload = "rejected_upload"
    /// A withdrawn case's files and patient fields, after `retention.withdrawn_cases` from its last activity.
    case withdrawnCase = "withdrawn_case"
    /// A responded case's files and patient fields, after `retention.responded_cases` from its last activity.
    case respondedCase = "responded_case"
    /// Webhook delivery attempts, after `retention.delivery_attempts` from the attempt.
    case deliveryAttempts = "delivery_attempts"
    /// A set-aside folder in `orphaned/`, after `retention.orphaned_folders` from when it was last written.
    case orphanedFolder = "orphaned_folder"
}

/// What the store knows of a final case, for the policy to judge.
public struct ClosedCaseFacts: Sendable, Equatable {
    /// The case id.
    public var id: String
    /// Its state now; only responded and withdrawn cases can be purged.
    public var state: CaseState
    /// When it became responded or withdrawn (`closed_at`).
    public var closedAt: Date
    /// The latest event that moved the conversation on (an update, follow-up question, supplement, addendum, note),
    /// if later than the close: it restarts the clock.
    public var lastActivity: Date?
    /// Under legal hold (`opine hold`): never purged until released.
    public var held: Bool
    /// A follow-up question waits for an addendum: the conversation is not over.
    public var followUpPending: Bool

    /// Describes one final case.
    public init(id: String, state: CaseState, closedAt: Date, lastActivity: Date? = nil, held: Bool = false, followUpPending: Bool = false) {
        self.id = id
        self.state = state
        self.closedAt = closedAt
        self.lastActivity = lastActivity
        self.held = held
        self.followUpPending = followUpPending
    }

    /// When its retention clock started: the close, or any later activity.
    public var clockStart: Date { max(closedAt, lastActivity ?? closedAt) }
}

/// What one removal takes away.
public enum RetentionSubject: Sendable, Equatable, Hashable {
    /// A case's stored files, with its patient fields scrubbed from the database.
    case caseFiles(caseID: String)
    /// A refused upload's quarantine folder (`rejections.id`).
    case rejectedUpload(id: Int64)
    /// A set-aside folder in `orphaned/`, by name.
    case orphanedFolder(name: String)
}

/// One removal the policy decided, with the rule that decides it.
public struct Removal: Sendable, Equatable {
    /// What goes.
    public var subject: RetentionSubject
    /// Which rule removes it.
    public var rule: RetentionRule
    /// When its clock started, for the listing.
    public var since: Date

    /// Describes one removal.
    public init(subject: RetentionSubject, rule: RetentionRule, since: Date) {
        self.subject = subject
        self.rule = rule
        self.since = since
    }
}

/// How long Opine keeps patient data after it stops being needed (the `retention.*` settings). Given facts about
/// the candidates and the time, it returns the removals to make; the store writes their tombstones and the edge
/// removes the files.
public struct RetentionPolicy: Sendable, Equatable {
    /// Refused uploads in `rejected/`, from the rejection (default 30 days).
    public var rejectedUploads = RetentionPeriod.after(30 * 86400)
    /// Withdrawn cases' files, from the withdrawal or later activity (default 90 days).
    public var withdrawnCases = RetentionPeriod.after(90 * 86400)
    /// Responded cases' files, from the response or later activity (default: kept).
    public var respondedCases = RetentionPeriod.keep
    /// Webhook delivery attempts, from the attempt (default 90 days).
    public var deliveryAttempts = RetentionPeriod.after(90 * 86400)
    /// Set-aside folders in `orphaned/` (default: kept, since one may be the only copy of an upload).
    public var orphanedFolders = RetentionPeriod.keep

    /// The documented defaults.
    public init() {}

    /// The period that applies to a final case in `state`; nil for an open case, which is never purged.
    public func period(for state: CaseState) -> (RetentionPeriod, RetentionRule)? {
        switch state {
        case .withdrawn: (withdrawnCases, .withdrawnCase)
        case .responded: (respondedCases, .respondedCase)
        default: nil
        }
    }

    /// A final case closed after this cannot be due at `now` (activity only moves a clock later), so the store
    /// reads only cases closed up to it; nil when both case rules keep.
    public func closedCutoff(now: Date) -> Date? {
        [withdrawnCases.cutoff(now: now), respondedCases.cutoff(now: now)].compactMap { $0 }.max()
    }

    /// Rejections at or before this are due; nil when kept.
    public func rejectionCutoff(now: Date) -> Date? { rejectedUploads.cutoff(now: now) }

    /// Delivery attempts started before this are removed; nil when kept.
    public func attemptCutoff(now: Date) -> Date? { deliveryAttempts.cutoff(now: now) }

    /// The removal due for this case at `now`, if any: never while open, held, or with a follow-up question waiting.
    public func decide(_ facts: ClosedCaseFacts, now: Date) -> Removal? {
        guard !facts.held, !facts.followUpPending, let (period, rule) = period(for: facts.state),
              period.isDue(since: facts.clockStart, now: now) else { return nil }
        return Removal(subject: .caseFiles(caseID: facts.id), rule: rule, since: facts.clockStart)
    }

    /// The removal due for a refused upload rejected at `at`, if any.
    public func decideRejection(id: Int64, at: Date, now: Date) -> Removal? {
        guard rejectedUploads.isDue(since: at, now: now) else { return nil }
        return Removal(subject: .rejectedUpload(id: id), rule: .rejectedUpload, since: at)
    }

    /// The removal due for a set-aside folder last written at `writtenAt`, if any.
    public func decideOrphaned(name: String, writtenAt: Date, now: Date) -> Removal? {
        guard orphanedFolders.isDue(since: writtenAt, now: now) else { return nil }
        return Removal(subject: .orphanedFolder(name: name), rule: .orphanedFolder, since: writtenAt)
    }

    /// Every removal due at `now` among the candidates, cases first (oldest clock first), then rejections, then
    /// set-aside folders.
    public func removals(
        cases: [ClosedCaseFacts], rejections: [(id: Int64, at: Date)], orphaned: [(name: String, writtenAt: Date)], now: Date
    ) -> [Removal] {
        cases.compactMap { decide($0, now: now) }.sorted { $0.since < $1.since }
            + rejections.compactMap { decideRejection(id: $0.id, at: $0.at, now: now) }
            + orphaned.compactMap { decideOrphaned(name: $0.name, writtenAt: $0.writtenAt, now: now) }
    }
}

extension RetentionSubject: CustomStringConvertible {
    /// `case C-20261126-0007`, `rejected upload 12`, `orphaned folder NAME`, for messages.
    public var description: String {
        switch self {
        case .caseFiles(let id): "case \(id)"
        case .rejectedUpload(let id): "rejected upload \(id)"
        case .orphanedFolder(let name): "orphaned folder \(name.escapedForDisplay)"
        }
    }
}
