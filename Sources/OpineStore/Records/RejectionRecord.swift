import GRDB

/// An upload that did not become a case: quarantined with a reason, or removed as a duplicate of an existing case.
public struct RejectionRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "rejections"
    /// The `code` of an upload removed as a duplicate (every other code is a `Rejection.Code`).
    public static let duplicateCode = "duplicate"
    /// The row id, nil until inserted.
    public var id: Int64?
    /// When the upload was judged (RFC 3339).
    public var at: String
    /// The upload's name in the drop directory, escaped for display.
    public var uploadName: String
    /// The manifest's submission id, when it could be read.
    public var submissionID: String?
    /// A `Rejection.Code`, or `duplicate`.
    public var code: String
    /// What exactly was wrong, without patient data.
    public var message: String
    /// Folder under the spool's `rejected/`; nil for duplicates, whose upload is removed.
    public var quarantine: String?
    /// The case an upload duplicated; nil for a rejection.
    public var duplicateOf: String?
    /// When the purge tombstoned the quarantine folder (migration `v14-lifecycle`).
    public var purgedAt: String? = nil
    /// When the purge removed the quarantine folder.
    public var removedAt: String? = nil
    /// The refusal's `RejectionID` (migration `v15-rejection-feedback`); nil for a duplicate or an older row.
    public var publicID: String? = nil
    /// The file at fault, by its path within the upload, escaped for display; cleared by the purge.
    public var entry: String? = nil
    /// The manifest field path at fault (`files[2].sha256`).
    public var field: String? = nil

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, at, code, message, quarantine
        /// Columns named as the properties, in snake_case.
        case uploadName = "upload_name", submissionID = "submission_id", duplicateOf = "duplicate_of"
        /// Added by `v14-lifecycle`.
        case purgedAt = "purged_at", removedAt = "removed_at"
        /// Added by `v15-rejection-feedback`.
        case publicID = "public_id", entry, field
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Records one rejection or duplicate.
    public init(
        id: Int64? = nil, at: String, uploadName: String, submissionID: String?, code: String, message: String,
        quarantine: String?, duplicateOf: String?, publicID: String? = nil, entry: String? = nil, field: String? = nil
    ) {
        self.id = id
        self.at = at
        self.uploadName = uploadName
        self.submissionID = submissionID
        self.code = code
        self.message = message
        self.quarantine = quarantine
        self.duplicateOf = duplicateOf
        self.publicID = publicID
        self.entry = entry
        self.field = field
    }

    /// Keeps the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
