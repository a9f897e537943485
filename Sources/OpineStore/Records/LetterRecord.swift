import Foundation
import GRDB

/// The response letter sent to the patient, kept with the case.
public struct LetterRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "letters"
    /// The row id, nil until inserted.
    public var id: Int64?
    /// The case the letter answers.
    public var caseID: String
    /// When it was recorded (RFC 3339).
    public var createdAt: String
    /// Who recorded the response.
    public var actor: String
    /// The last component of the file name given to `opine respond --letter-file`.
    public var fileName: String
    /// The letter's media type.
    public var mediaType: String
    /// The letter's size in bytes.
    public var size: Int64
    /// The SHA-256 of the letter, also in the `respond` event's detail, so the kept letter can be proven the one sent.
    public var sha256: String
    /// The letter itself.
    public var content: Data

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, actor, size, sha256, content
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", createdAt = "created_at", fileName = "file_name", mediaType = "media_type"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Keeps the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
