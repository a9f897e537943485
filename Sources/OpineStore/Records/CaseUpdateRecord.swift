import Foundation
import GRDB
import OpineCore

/// One re-send or supplement that brought new information or files to a case: the manifest exactly as received,
/// kept with the case so nothing the patient wrote is lost when the case's values are merged or replaced.
public struct CaseUpdateRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "case_updates"
    /// The row id, nil until inserted.
    public var id: Int64?
    /// The case the information was added to.
    public var caseID: String
    /// When it was received (RFC 3339).
    public var at: String
    /// The submission id the re-send came under (the case's own, or another).
    public var submissionID: String
    /// The upload's name in the drop directory, escaped for display.
    public var uploadName: String
    /// The fields it changed, as `UpdatedField` codes.
    public var changed: [UpdatedField]
    /// `manifest.json` as received. Patient data: shown only by the commands that show the case.
    public var manifest: Data
    /// A re-send of the case's submission, or a supplement naming it (migration `v11-conversation`).
    public var kind: Kind = .resend
    /// For a supplement: `Admission.contentSHA256` of the files it brought, so the same supplement sent again is
    /// recognised.
    public var contentSHA256: String? = nil

    /// How the information came.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The same submission sent again (docs/bundle-format.md, "Re-sends").
        case resend
        /// A bundle naming the case's submission in `supplements`.
        case supplement
    }

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, at, changed, manifest
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", submissionID = "submission_id", uploadName = "upload_name"
        /// Added by `v11-conversation`.
        case kind, contentSHA256 = "content_sha256"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Keeps the row id SQLite gave it.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
