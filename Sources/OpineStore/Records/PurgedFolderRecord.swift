import GRDB

/// A set-aside folder in `orphaned/` the purge tombstoned (migration `v14-lifecycle`): remembered until it is gone,
/// so a removal a crash cut short is finished by the next purge. Once removed, its name is forgotten (`removed-<event>`).
public struct PurgedFolderRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "purged_folders"
    /// The folder's name under `orphaned/` until it is removed; `removed-<eventID>` after.
    public var folder: String
    /// When its tombstone was written (RFC 3339).
    public var purgedAt: String
    /// When the folder was removed; nil until then.
    public var removedAt: String?
    /// The tombstone (`purge` event).
    public var eventID: Int64

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case folder
        /// Columns named as the properties, in snake_case.
        case purgedAt = "purged_at", removedAt = "removed_at", eventID = "event_id"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Remembers one tombstoned folder.
    public init(folder: String, purgedAt: String, removedAt: String? = nil, eventID: Int64) {
        self.folder = folder
        self.purgedAt = purgedAt
        self.removedAt = removedAt
        self.eventID = eventID
    }
}
