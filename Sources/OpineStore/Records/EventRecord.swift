import GRDB
import OpineCore

/// The audit trail: every intake, duplicate, rejection, repair, state change, assignment and note.
public struct EventRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "events"
    public var id: Int64?
    public var caseID: String?
    public var at: String
    public var actor: String
    public var type: EventType
    public var fromState: CaseState?
    public var toState: CaseState?
    /// JSON object: notes, assignment, priority change, rejection id. Free text written by staff only.
    public var detail: String
    /// The audit chain (see `AuditChain`): the previous event's hash, and this one's.
    public var prevHash: String?
    public var hash: String?

    /// The table's columns.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, at, actor, type, detail, hash
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

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension EventType: DatabaseValueConvertible {}
extension CaseState: DatabaseValueConvertible {}
extension Priority: DatabaseValueConvertible {}
