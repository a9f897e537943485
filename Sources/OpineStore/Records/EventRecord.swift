import GRDB
import OpineCore

/// The audit trail: every intake, duplicate, rejection, repair, state change, assignment and note.
public struct EventRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in; triggers refuse UPDATE and DELETE on it.
    public static let databaseTableName = "events"
    /// The row id, nil until inserted; AUTOINCREMENT, so events cut from the end are noticed.
    public var id: Int64?
    /// The case the event concerns; nil for a rejection or a repair that concerns no case.
    public var caseID: String?
    /// When it happened (RFC 3339).
    public var at: String
    /// Who acted: a login name (or the `--as` name), or `opined` for what the daemon does on its own.
    public var actor: String
    /// What kind of event it is.
    public var type: EventType
    /// The case's state before the event, if it moved one.
    public var fromState: CaseState?
    /// The case's state after the event, if it concerns one.
    public var toState: CaseState?
    /// JSON object: notes, assignment, priority change, rejection id. Free text written by staff only.
    public var detail: String
    /// The audit chain (see `AuditChain`): the previous event's hash, and this one's.
    public var prevHash: String?
    /// The SHA-256 over this event's fields and `prevHash`.
    public var hash: String?

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case id, at, actor, type, detail, hash
        /// Columns named as the properties, in snake_case.
        case caseID = "case_id", fromState = "from_state", toState = "to_state", prevHash = "prev_hash"
    }

    /// Query columns.
    public typealias Columns = CodingKeys

    /// The row for an event Core decided.
    init(_ event: AuditEvent, caseID: String?, at: String, actor: String) {
        self.caseID = caseID
        self.at = at
        self.actor = actor
        type = event.type
        fromState = event.fromState
        toState = event.toState
        detail = JSONText.object(event.detail)
    }

    /// Keeps the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension EventType: DatabaseValueConvertible {}
extension CaseState: DatabaseValueConvertible {}
extension Priority: DatabaseValueConvertible {}
