import Foundation
import GRDB
import OpineCore

/// One request for information sent to the patient (`opine request-info`), answered by the next supplement or
/// re-send that brings something new.
public struct InformationRequestRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "information_requests"
    /// The row id, nil until inserted.
    public var id: Int64?
    /// The case that waits.
    public var caseID: String
    /// When it was asked (RFC 3339).
    public var at: String
    /// Who asked.
    public var actor: String
    /// The state the case was in when asked (for a second request while waiting, `awaiting_information`).
    public var fromState: CaseState
    /// What the practice needs, written for the patient.
    public var message: String
    /// When the patient's answer arrived, if it has.
    public var answeredAt: String? = nil
    /// The supplement or re-send (`case_updates.id`) that answered it.
    public var answeredByUpdate: Int64? = nil

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, at, actor, message
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", fromState = "from_state", answeredAt = "answered_at", answeredByUpdate = "answered_by_update"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Keeps the row id SQLite gave it.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One addendum (`opine amend`): the amended findings, or a letter kept in `letters`, with who, when and why. The
/// original findings and letter stay as they were.
public struct AddendumRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "addenda"
    /// The row id, nil until inserted.
    public var id: Int64?
    /// The case amended.
    public var caseID: String
    /// When (RFC 3339).
    public var at: String
    /// Who amended it (the reviewer, for findings).
    public var actor: String
    /// The admin who entered it for `actor` (`--as`), if one did.
    public var enteredBy: String?
    /// Findings or letter.
    public var kind: Addendum.Kind
    /// Why the addendum was made.
    public var reason: String
    /// The amended findings, for a findings addendum.
    public var findings: String?
    /// The letter (`letters.id`), for a letter addendum.
    public var letterID: Int64?

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, at, actor, kind, reason, findings
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", enteredBy = "entered_by", letterID = "letter_id"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// Keeps the row id SQLite gave it.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
