import Foundation
import GRDB
import OpineCore

public struct CaseFilter: Sendable {
    /// Empty means the open states (received, triaged, reviewed).
    public var states: [CaseState] = []
    public var priority: Priority?
    public var assignee: String?
    public var limit = 50
    public var offset = 0

    public init() {}
}

/// One line of the queue.
public struct CaseSummary: Codable, Sendable, FetchableRecord {
    public var id: String
    public var state: CaseState
    public var priority: Priority
    public var assignee: String?
    public var regions: [String]
    public var receivedAt: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, state, priority, assignee, regions
        case receivedAt = "received_at", updatedAt = "updated_at"
    }
}

public struct CaseStats: Codable, Sendable {
    public var byState: [String: Int]
    public var byPriority: [String: Int]
    public var openByPriority: [String: Int]
    public var oldestWaiting: CaseSummary?
    public var rejected: Int
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
                if filter.assignee == nil { index = "INDEXED BY cases_open_queue" }
                // Spelled exactly as in the partial index's WHERE so SQLite uses it.
                conditions.append("state IN ('received','triaged','reviewed')")
            } else if states.count < CaseState.allCases.count {
                conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
                for state in states { _ = arguments.append(contentsOf: [state.rawValue]) }
            }
            if let priority = filter.priority {
                conditions.append("priority_rank = ?")
                _ = arguments.append(contentsOf: [priority.rank])
            }
            if let assignee = filter.assignee {
                conditions.append("assignee = ?")
                _ = arguments.append(contentsOf: [assignee])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [filter.limit, filter.offset])
            return try CaseSummary.fetchAll(db, sql: """
                SELECT id, state, priority, assignee, regions, received_at, updated_at FROM cases \(index)
                \(whereClause) ORDER BY priority_rank, seq LIMIT ? OFFSET ?
                """, arguments: arguments)
        }
    }

    public func caseRecord(_ id: String) throws -> CaseRecord {
        guard let record = try pool.read({ db in try CaseRecord.filter(CaseRecord.Columns.id == id).fetchOne(db) }) else {
            throw StoreError.caseNotFound(id)
        }
        return record
    }

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

    public func history(of id: String) throws -> [EventRecord] {
        try pool.read { db in
            guard try CaseRecord.filter(CaseRecord.Columns.id == id).fetchCount(db) > 0 else { throw StoreError.caseNotFound(id) }
            return try EventRecord.filter(EventRecord.Columns.caseID == id).order(EventRecord.Columns.id).fetchAll(db)
        }
    }

    public func rejections(limit: Int, offset: Int = 0) throws -> [RejectionRecord] {
        try pool.read { db in
            try RejectionRecord.order(RejectionRecord.Columns.id.desc).limit(limit, offset: offset).fetchAll(db)
        }
    }

    public func outbox(caseID: String? = nil) throws -> [OutboxRecord] {
        try pool.read { db in
            var request = OutboxRecord.order(OutboxRecord.Columns.id)
            if let caseID { request = request.filter(OutboxRecord.Columns.caseID == caseID) }
            return try request.fetchAll(db)
        }
    }

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
                    WHERE state IN ('received','triaged','reviewed') AND priority_rank = ? ORDER BY seq LIMIT 1
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
