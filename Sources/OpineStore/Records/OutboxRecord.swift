import GRDB
import OpineCore

/// A notification to send, written in the same transaction as the change it announces.
public struct OutboxRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "outbox"
    /// The row id, nil until inserted; outbox order is the order changes happened.
    public var id: Int64?
    /// The event type, sent as the webhook's `type`.
    public var type: NotificationType
    /// The case the event announces; nil for `bundle.rejected`.
    public var caseID: String?
    /// The rejection a `bundle.rejected` announces.
    public var rejectionID: Int64?
    /// When the change happened (RFC 3339); sent as the webhook's `timestamp`.
    public var createdAt: String
    /// `NotificationData` as JSON: the webhook's `data` object as of the change. No patient data.
    public var data: String
    /// `msg_…`, set when the event is fanned out to its endpoints; the same on every attempt to every endpoint.
    public var webhookID: String?
    /// The send order Core gave the event when it was written (`FanOutPolicy.rank`), so fan-out need not decode
    /// `data` again (migration `v8-outbox-priority`).
    public var priorityRank: Int
    /// Words for the patient (an information request's message): sent as `data.message` to `include_contact`
    /// endpoints only, never to the others (migration `v11-conversation`).
    public var message: String? = nil

    /// The table's columns: the one list that Codable, queries and the fast decoder below use.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, type, data
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", rejectionID = "rejection_id", createdAt = "created_at", webhookID = "webhook_id"
        /// The column named as the property, in snake_case.
        case priorityRank = "priority_rank"
        /// Added by `v11-conversation`.
        case message
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Keeps the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension OutboxRecord {
    /// Read by column, not through `Decodable`: the delivery worker decodes thousands a second.
    public init(row: Row) throws {
        id = try row.decode(forColumn: Columns.id)
        type = try row.decode(forColumn: Columns.type)
        caseID = try row.decode(forColumn: Columns.caseID)
        rejectionID = try row.decode(forColumn: Columns.rejectionID)
        createdAt = try row.decode(forColumn: Columns.createdAt)
        data = try row.decode(forColumn: Columns.data)
        webhookID = try row.decode(forColumn: Columns.webhookID)
        priorityRank = try row.decode(forColumn: Columns.priorityRank)
        message = try row.decode(forColumn: Columns.message)
    }
}

extension NotificationType: DatabaseValueConvertible {}
