import GRDB

/// One file of a stored case, as checked at intake.
public struct CaseFileRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "case_files"
    /// The case the file belongs to; its folder is `cases/<caseID>/`.
    public var caseID: String
    /// The file's path inside the case folder, as the manifest listed it.
    public var path: String
    /// The manifest's kind: `radiology_report`, `imaging` or `other`.
    public var kind: String
    /// The manifest's media type, whose signature intake checked.
    public var mediaType: String
    /// The file's size in bytes.
    public var size: Int64
    /// The SHA-256 the manifest lists (of the bytes the patient sent).
    public var sha256: String
    /// The SHA-256 of the bytes kept, when intake changed them (a DICOM preamble zeroed); nil when they are the same.
    public var storedSHA256: String?
    /// The supplement (`case_updates.id`) the file came with; nil for the files of the first submission.
    public var supplementID: Int64? = nil
    /// When the purge removed the file under a retention rule (a tombstone in the audit chain says so too).
    public var purgedAt: String? = nil

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case path, kind, size, sha256
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", mediaType = "media_type", storedSHA256 = "stored_sha256"
        /// Added by `v11-conversation`.
        case supplementID = "supplement_id"
        /// Added by `v14-lifecycle`.
        case purgedAt = "purged_at"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Records one stored file as intake checked it.
    public init(caseID: String, path: String, kind: String, mediaType: String, size: Int64, sha256: String, storedSHA256: String?) {
        self.caseID = caseID
        self.path = path
        self.kind = kind
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
        self.storedSHA256 = storedSHA256
    }
}
