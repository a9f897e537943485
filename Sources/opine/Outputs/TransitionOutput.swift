import OpineCore

/// `opine triage|review|respond|withdraw --json`: the case after the change, and the state it came from.
struct TransitionOutput: Encodable {
    /// The case id.
    var id: String
    /// The state before the change.
    var from: CaseState
    /// The state after the change.
    var state: CaseState
    /// The priority after the change.
    var priority: Priority
    /// The assigned reviewer after the change; null when nobody is assigned.
    @OrNull var assignee: String?
    /// Who made the change (the login name, or the `--as` name).
    var actor: String

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, from, state, priority, assignee, actor
    }
}
