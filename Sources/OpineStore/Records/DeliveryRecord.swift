import Foundation
import GRDB
import OpineCore

/// One event for one endpoint, from fan-out until it is delivered or dead.
public struct DeliveryRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "deliveries"

    /// Core's `DeliveryState`, under the name the CLI and tests use.
    public typealias State = DeliveryState

    /// The row id, nil until inserted; `opine deliveries` and `opine redeliver` name deliveries by it.
    public var id: Int64?
    /// The outbox event being delivered.
    public var outboxID: Int64
    /// The endpoint's configured name.
    public var endpoint: String
    /// The case id, or `rejection:<id>`: one endpoint gets one case's events in order.
    public var orderingKey: String
    /// The send order (`FanOutPolicy.rank`): emergencies first, then by the case's priority.
    public var priorityRank: Int
    /// Where the delivery stands.
    public var state: State
    /// Attempts in the current round (an operator's replay starts a new round; history keeps every attempt).
    public var attempts: Int
    /// Unix seconds; nil once delivered or dead.
    public var nextAttemptAt: Double?
    /// When fan-out created the delivery (RFC 3339).
    public var createdAt: String
    /// When it was delivered or died (RFC 3339); nil while open.
    public var finishedAt: String?
    /// The HTTP status of the last attempt, if the receiver answered.
    public var lastStatus: Int?
    /// The last attempt's error, or why a held delivery died with an earlier one.
    public var lastError: String?

    /// The table's columns: the one list that Codable, queries and the fast decoder below use.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, endpoint, state, attempts
        /// Columns named as the properties, in snake_case.
        case outboxID = "outbox_id", orderingKey = "ordering_key", priorityRank = "priority_rank"
        /// Columns named as the properties, in snake_case.
        case nextAttemptAt = "next_attempt_at", createdAt = "created_at", finishedAt = "finished_at"
        /// Columns named as the properties, in snake_case.
        case lastStatus = "last_status", lastError = "last_error"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Keeps the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The fields an attempt changes, for Core's `AttemptPolicy`.
    public var progress: DeliveryProgress {
        get {
            DeliveryProgress(
                state: state, attempts: attempts, nextAttemptAt: nextAttemptAt, finishedAt: finishedAt, lastStatus: lastStatus,
                lastError: lastError)
        }
        set {
            state = newValue.state
            attempts = newValue.attempts
            nextAttemptAt = newValue.nextAttemptAt
            finishedAt = newValue.finishedAt
            lastStatus = newValue.lastStatus
            lastError = newValue.lastError
        }
    }
}

extension DeliveryState: DatabaseValueConvertible {}

extension DeliveryRecord {
    /// Read by column, not through `Decodable`: the delivery worker decodes thousands a second.
    public init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        outboxID = try row.decode(forColumn: Columns.outboxID)
        endpoint = try row.decode(forColumn: Columns.endpoint)
        orderingKey = try row.decode(forColumn: Columns.orderingKey)
        priorityRank = try row.decode(forColumn: Columns.priorityRank)
        state = try row.decode(forColumn: Columns.state)
        attempts = try row.decode(forColumn: Columns.attempts)
        nextAttemptAt = try row.decode(forColumn: Columns.nextAttemptAt)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        finishedAt = try row.decode(forColumn: Columns.finishedAt)
        lastStatus = try row.decode(forColumn: Columns.lastStatus)
        lastError = try row.decode(forColumn: Columns.lastError)
    }
}

/// One try at sending a delivery: when, how it ended, how long it took, what the receiver began to say.
public struct DeliveryAttemptRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "delivery_attempts"
    /// The row id, nil until inserted.
    public var id: Int64?
    /// The delivery this attempt was for.
    public var deliveryID: Int64
    /// When the attempt started (RFC 3339).
    public var startedAt: String
    /// How long the attempt took, in milliseconds.
    public var durationMs: Int
    /// The HTTP status, if the receiver answered.
    public var status: Int?
    /// The transport's error (a timeout, a refused connection, a cut response), if any.
    public var error: String?
    /// The first bytes of the response body, as text with anything unprintable escaped.
    public var responseExcerpt: String?

    /// The table's columns: the one list that Codable, queries and the fast decoder below use.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, status, error
        /// Columns named as the properties, in snake_case.
        case deliveryID = "delivery_id", startedAt = "started_at", durationMs = "duration_ms", responseExcerpt = "response_excerpt"
    }

    /// Keeps the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Query columns.
    public typealias Columns = CodingKeys
}
