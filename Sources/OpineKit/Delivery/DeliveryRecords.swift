import Foundation
import GRDB

/// One event for one endpoint, from fan-out until it is delivered or dead.
public struct DeliveryRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "deliveries"

    public enum State: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        /// Waiting for its first attempt (or replayed by an operator).
        case pending
        /// Attempted and failed; retried at `nextAttemptAt`.
        case failed
        case delivered
        /// Out of attempts, or held behind a dead delivery of the same case: needs `opine redeliver`.
        case dead
    }

    public var id: Int64?
    public var outboxID: Int64
    public var endpoint: String
    /// The case id, or `rejection:<id>`: one endpoint gets one case's events in order.
    public var orderingKey: String
    public var priorityRank: Int
    public var state: State
    /// Attempts in the current round (an operator's replay starts a new round; history keeps every attempt).
    public var attempts: Int
    /// Unix seconds; nil once delivered or dead.
    public var nextAttemptAt: Double?
    public var createdAt: String
    public var finishedAt: String?
    public var lastStatus: Int?
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, endpoint, state, attempts
        case outboxID = "outbox_id", orderingKey = "ordering_key", priorityRank = "priority_rank"
        case nextAttemptAt = "next_attempt_at", createdAt = "created_at", finishedAt = "finished_at"
        case lastStatus = "last_status", lastError = "last_error"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension DeliveryRecord {
    /// Read by column, not through `Decodable`: the delivery worker decodes thousands a second.
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        outboxID = try row.decode(forColumn: "outbox_id")
        endpoint = try row.decode(forColumn: "endpoint")
        orderingKey = try row.decode(forColumn: "ordering_key")
        priorityRank = try row.decode(forColumn: "priority_rank")
        state = try row.decode(forColumn: "state")
        attempts = try row.decode(forColumn: "attempts")
        nextAttemptAt = try row.decode(forColumn: "next_attempt_at")
        createdAt = try row.decode(forColumn: "created_at")
        finishedAt = try row.decode(forColumn: "finished_at")
        lastStatus = try row.decode(forColumn: "last_status")
        lastError = try row.decode(forColumn: "last_error")
    }
}

/// One try at sending a delivery: when, how it ended, how long it took, what the receiver began to say.
public struct DeliveryAttemptRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "delivery_attempts"
    public var id: Int64?
    public var deliveryID: Int64
    public var startedAt: String
    public var durationMs: Int
    public var status: Int?
    public var error: String?
    /// The first bytes of the response body, as text with anything unprintable escaped.
    public var responseExcerpt: String?

    enum CodingKeys: String, CodingKey {
        case id, status, error
        case deliveryID = "delivery_id", startedAt = "started_at", durationMs = "duration_ms", responseExcerpt = "response_excerpt"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
