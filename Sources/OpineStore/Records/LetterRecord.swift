import Foundation
import GRDB

/// The response letter sent to the patient, kept with the case.
public struct LetterRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "letters"
    public var id: Int64?
    public var caseID: String
    public var createdAt: String
    public var actor: String
    public var fileName: String
    public var mediaType: String
    public var size: Int64
    public var sha256: String
    public var content: Data

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, actor, size, sha256, content
        case caseID = "case_id", createdAt = "created_at", fileName = "file_name", mediaType = "media_type"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
