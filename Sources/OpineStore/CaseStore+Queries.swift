import Foundation
import GRDB
import OpineCore

/// Which cases `opine list` shows; the defaults give the first page of the open queue.
public struct CaseFilter: Sendable {
    /// Empty means the open states (received, triaged, awaiting_information, reviewed).
    public var states: [CaseState] = []
    /// Only cases waiting for the patient since at least this long before now (`opine list --stale DAYS`).
    public var waitingSince: Date?
    /// Only responded cases with a follow-up question no addendum has answered.
    public var followUpPending = false
    /// Only cases the image checks flagged (`opine list --flagged`).
    public var flagged = false
    /// Only cases of this priority.
    public var priority: Priority?
    /// Only cases assigned to this reviewer.
    public var assignee: String?
    /// Only cases nobody is assigned to.
    public var unassigned = false
    /// Only cases of this submission id (a re-send of a final case makes a second one).
    public var submissionID: String?
    /// The most to list in one page.
    public var limit = 50
    /// How many to skip, for paging.
    public var offset = 0

    /// A filter for the first page of open cases.
    public init() {}
}

/// One line of the queue.
public struct CaseSummary: Codable, Sendable, FetchableRecord {
    /// The case id.
    public var id: String
    /// Where the case is in review.
    public var state: CaseState
    /// Its current priority.
    public var priority: Priority
    /// The reviewer assigned at triage, if any.
    public var assignee: String?
    /// The spine regions the case concerns.
    public var regions: [String]
    /// When opined stored the case (RFC 3339).
    public var receivedAt: String
    /// When the case last changed (RFC 3339).
    public var updatedAt: String
    /// When its turnaround clock started (receipt, moved later by waits for the patient); due times count from it.
    public var clockStartedAt: String?
    /// When it became responded or withdrawn; nil while open.
    public var closedAt: String?
    /// What the image checks flagged; nil when nothing.
    public var flags: [CaseFlag]?

    enum CodingKeys: String, CodingKey {
        case id, state, priority, assignee, regions
        case receivedAt = "received_at", updatedAt = "updated_at", clockStartedAt = "clock_started_at", closedAt = "closed_at", flags
    }
}

/// What `opine stats` reports: case counts, the oldest waiting case, rejections and the webhook backlog.
public struct CaseStats: Codable, Sendable {
    /// Cases per state, every state present (zero when none).
    public var byState: [String: Int]
    /// Cases per current priority, every priority present.
    public var byPriority: [String: Int]
    /// Open (not final) cases per priority; the daemon's `STATUS=` line counts emergencies from it.
    public var openByPriority: [String: Int]
    /// The open case received first, if any case is open.
    public var oldestWaiting: CaseSummary?
    /// Uploads quarantined with a reason.
    public var rejected: Int
    /// Uploads removed as duplicates of an existing case.
    public var duplicates: Int
    /// Webhook deliveries not yet delivered: pending, failed (retrying) and dead (needing `opine redeliver`).
    public var webhooks: DeliveryBacklog

    enum CodingKeys: String, CodingKey {
        case byState = "by_state", byPriority = "by_priority", openByPriority = "open_by_priority"
        case oldestWaiting = "oldest_waiting", rejected, duplicates, webhooks
    }
}

extension CaseStore {
    /// Emergency first, then oldest. Each filter combination reads an index in order, so the first page is as fast
    /// on a million cases as on ten.
    public func list(_ filter: CaseFilter) throws -> [CaseSummary] {
        try pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            var index = ""
            let states = filter.states.isEmpty ? CaseState.open : filter.states
            if states == CaseState.open {
                // Without statistics the planner may prefer cases_by_state and sort every open case; the partial
                // index is already in queue order, so pin it (unless an assignee filter has a better index).
                if filter.assignee == nil, !filter.unassigned, filter.submissionID == nil { index = "INDEXED BY cases_open_queue" }
                // Spelled exactly as in the partial index's WHERE so SQLite uses it.
                conditions.append("state IN ('received','triaged','awaiting_information','reviewed')")
            } else if states.count < CaseState.allCases.count {
                conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
                for state in states { _ = arguments.append(contentsOf: [state.rawValue]) }
            }
            if let since = filter.waitingSince {
                conditions.append("state = 'awaiting_information' AND awaiting_since <= ?")
                _ = arguments.append(contentsOf: [Timestamps.format(since)])
            }
            if filter.followUpPending { conditions.append("follow_up_since IS NOT NULL") }
            if filter.flagged { conditions.append("flags IS NOT NULL") }
            if let priority = filter.priority {
                conditions.append("priority_rank = ?")
                _ = arguments.append(contentsOf: [priority.rank])
            }
            if let assignee = filter.assignee {
                conditions.append("assignee = ?")
                _ = arguments.append(contentsOf: [assignee])
            }
            if filter.unassigned { conditions.append("assignee IS NULL") }
            if let submissionID = filter.submissionID {
                conditions.append("submission_id = ?")
                _ = arguments.append(contentsOf: [submissionID])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [filter.limit, filter.offset])
            return try CaseSummary.fetchAll(db, sql: """
                SELECT id, state, priority, assignee, regions, received_at, updated_at, clock_started_at, closed_at, flags FROM cases \(index)
                \(whereClause) ORDER BY priority_rank, seq LIMIT ? OFFSET ?
                """, arguments: arguments)
        }
    }

    /// The whole case row; throws `caseNotFound` for an unknown id.
    public func caseRecord(_ id: String) throws -> CaseRecord {
        guard let record = try pool.read({ db in try CaseRecord.filter(CaseRecord.Columns.id == id).fetchOne(db) }) else {
            throw StoreError.caseNotFound(id)
        }
        return record
    }

    /// The case's stored files, by path; empty for an unknown id.
    public func files(of id: String) throws -> [CaseFileRecord] {
        try pool.read { db in try CaseFileRecord.filter(CaseFileRecord.Columns.caseID == id).order(CaseFileRecord.Columns.path).fetchAll(db) }
    }

    /// Letters without their bytes.
    public func letters(of id: String) throws -> [LetterRecord] {
        try pool.read { db in
            try LetterRecord.fetchAll(db, sql: """
                SELECT id, case_id, created_at, actor, file_name, media_type, size, sha256, x'' AS content
                FROM letters WHERE case_id = ? ORDER BY id
                """, arguments: [id])
        }
    }

    /// The case's audit events, oldest first; throws `caseNotFound` for an unknown id.
    public func history(of id: String) throws -> [EventRecord] {
        try pool.read { db in
            guard try CaseRecord.filter(CaseRecord.Columns.id == id).fetchCount(db) > 0 else { throw StoreError.caseNotFound(id) }
            return try EventRecord.filter(EventRecord.Columns.caseID == id).order(EventRecord.Columns.id).fetchAll(db)
        }
    }

    /// Rejections and duplicates, newest first, one page.
    public func rejections(limit: Int, offset: Int = 0) throws -> [RejectionRecord] {
        try pool.read { db in
            try RejectionRecord.order(RejectionRecord.Columns.id.desc).limit(limit, offset: offset).fetchAll(db)
        }
    }

    /// Outbox events in the order written, all of them or one case's.
    public func outbox(caseID: String? = nil) throws -> [OutboxRecord] {
        try pool.read { db in
            var request = OutboxRecord.order(OutboxRecord.Columns.id)
            if let caseID { request = request.filter(OutboxRecord.Columns.caseID == caseID) }
            return try request.fetchAll(db)
        }
    }

    /// Counts for `opine stats` and the daemon's status line, read from a few summary rows, not by scanning cases.
    public func stats() throws -> CaseStats {
        try pool.read { db in try stats(db) }
    }

    func stats(_ db: Database) throws -> CaseStats {
        do {
            var byState: [String: Int] = Dictionary(uniqueKeysWithValues: CaseState.allCases.map { ($0.rawValue, 0) })
            var byPriority: [String: Int] = Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0.rawValue, 0) })
            var openByPriority = byPriority
            // Kept by triggers (migration v6-case-counts): a few rows whatever the number of cases.
            for row in try Row.fetchAll(db, sql: "SELECT state, priority_rank, n FROM case_counts WHERE n > 0") {
                let state: String = row["state"]
                let rank: Int = row["priority_rank"]
                guard Priority.allCases.indices.contains(rank) else { continue }
                let priority = Priority.allCases[rank].rawValue
                let count: Int = row["n"]
                byState[state, default: 0] += count
                byPriority[priority, default: 0] += count
                if CaseState(rawValue: state).map({ !$0.isFinal }) ?? false { openByPriority[priority, default: 0] += count }
            }
            // The oldest open case of each priority is one seek on the open-queue index; the oldest of those three
            // wins. (ORDER BY seq alone would walk every closed case first on a long-running practice.)
            let oldest = try Priority.allCases.compactMap { priority in
                try Row.fetchOne(db, sql: """
                    SELECT seq, id, state, priority, assignee, regions, received_at, updated_at FROM cases
                    WHERE state IN ('received','triaged','awaiting_information','reviewed') AND priority_rank = ? ORDER BY seq LIMIT 1
                    """, arguments: [priority.rank])
            }.min { ($0["seq"] as Int64) < ($1["seq"] as Int64) }.map { try CaseSummary(row: $0) }
            let rejected = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rejections WHERE code <> 'duplicate'") ?? 0
            let duplicates = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rejections WHERE code = 'duplicate'") ?? 0
            return CaseStats(
                byState: byState, byPriority: byPriority, openByPriority: openByPriority, oldestWaiting: oldest,
                rejected: rejected, duplicates: duplicates, webhooks: try deliveryBacklog(db))
        }
    }
}
