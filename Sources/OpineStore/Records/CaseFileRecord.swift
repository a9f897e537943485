import GRDB

/// One file of a stored case, as checked at intake.
public struct CaseFileRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "case_files"
    public var caseID: String
    public var path: String
    public var kind: String
    public var mediaType: String
    public var size: Int64
    /// The SHA-256 the manifest lists (of the bytes the patient sent).
    public var sha256: String
    /// The SHA-256 of the bytes kept, when intake changed them (a DICOM preamble zeroed); nil when they are the same.
    public var storedSHA256: String?

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case path, kind, size, sha256
        case caseID = "case_id", mediaType = "media_type", storedSHA256 = "stored_sha256"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

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
