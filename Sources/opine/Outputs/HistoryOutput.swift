import OpineCore
import OpineStore

/// `opine history --json`: a case's audit trail, oldest first.
struct HistoryOutput: Encodable {
    /// The case id.
    var caseID: String
    /// Every event of the case.
    var events: [Event]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case events
        case caseID = "case"
    }

    /// One audit event.
    struct Event: Encodable {
        /// The event's number in the audit log.
        var id: Int64
        /// When it happened (ISO 8601, UTC).
        var at: String
        /// Who did it (`opined` for intake).
        var actor: String
        /// What happened.
        var type: EventType
        /// The state before; null when the event did not change the state (or created the case).
        @OrNull var from: CaseState?
        /// The state after; null when the event did not change the state.
        @OrNull var to: CaseState?
        /// Details such as a note, an assignment or a priority change, as strings.
        var detail: [String: String]

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case id, at, actor, type, from, to, detail
        }

        /// The event as the store keeps it.
        init(_ event: EventRecord) {
            id = event.id ?? 0
            at = event.at
            actor = event.actor
            type = event.type
            from = event.fromState
            to = event.toState
            detail = JSONText.decode(event.detail)
        }
    }
}
