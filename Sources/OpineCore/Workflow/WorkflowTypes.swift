/// A staff request on a case, with what it carries; `Workflow.decide` says whether the case's state allows it.
public enum WorkflowAction: Sendable, Equatable {
    /// Set the priority and/or the assignee; on a triaged case, a re-triage.
    case triage(priority: Priority?, assignee: String?)
    /// Record the assigned reviewer's findings.
    case review(findings: String)
    /// Record that the response letter was sent.
    case respond
    /// Close the case without a response, for the reason given.
    case withdraw(reason: String)
    /// Ask the patient for something (the message is written for them); the case waits for a supplement.
    case requestInformation(message: String)
    /// Add an addendum to the findings (given here) or, with the command's letter, to the letter; the original
    /// stays. `reason` says why.
    case amend(reason: String, findings: String?)

    /// The verb as `opine` spells it.
    public var name: String {
        switch self {
        case .requestInformation: "request-info"
        default: eventType.rawValue
        }
    }

    /// The audit event a successful action records (a second triage records `retriage`, or `note` if it changes
    /// neither priority nor assignee).
    public var eventType: EventType {
        switch self {
        case .triage: .triage
        case .review: .review
        case .respond: .respond
        case .withdraw: .withdraw
        case .requestInformation: .requestInfo
        case .amend: .amend
        }
    }
}

/// The change the store must make, atomically with its audit event and its notifications. Complete: the store
/// copies these values and decides nothing itself.
public struct Transition: Sendable, Equatable {
    /// The state the case was in; the store updates it only if it still is.
    public var from: CaseState
    /// The state the case moves to.
    public var to: CaseState
    /// The case's priority after the change.
    public var priority: Priority
    /// The case's assignee after the change.
    public var assignee: String?
    /// Set by a review; nil leaves the case's findings as they are.
    public var findings: String?
    /// Set by a withdrawal; nil leaves it as it is.
    public var withdrawnReason: String?
    /// The state a supplement returns the case to while it waits for the patient; nil once it no longer waits.
    public var awaitingReturnState: CaseState?
    /// For `request-info`: the message for the patient, kept with the request.
    public var informationMessage: String?
    /// For `amend`: the addendum to store beside the original.
    public var addendum: Addendum?
    /// The case has a follow-up question no addendum has answered yet (cleared by an addendum).
    public var followUpPending: Bool = false
    /// The audit event recorded with the change.
    public var event: AuditEvent
    /// In the order they are enqueued.
    public var notifications: [NotificationType]

    /// Records a complete change; the workflow builds these, tests compare them.
    public init(
        from: CaseState, to: CaseState, priority: Priority, assignee: String?, findings: String? = nil,
        withdrawnReason: String? = nil, awaitingReturnState: CaseState? = nil, informationMessage: String? = nil,
        addendum: Addendum? = nil, followUpPending: Bool = false, event: AuditEvent, notifications: [NotificationType]
    ) {
        self.awaitingReturnState = awaitingReturnState
        self.informationMessage = informationMessage
        self.addendum = addendum
        self.followUpPending = followUpPending
        self.from = from
        self.to = to
        self.priority = priority
        self.assignee = assignee
        self.findings = findings
        self.withdrawnReason = withdrawnReason
        self.event = event
        self.notifications = notifications
    }
}


/// An addendum to a reviewed or responded case: the findings or the letter, amended, with why. The original stays.
public struct Addendum: Sendable, Equatable {
    /// What the addendum amends.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// An addendum to the surgeon's findings.
        case findings
        /// A corrected or further letter to the patient.
        case letter
    }

    /// Findings or letter.
    public var kind: Kind
    /// Why the addendum was made, for the audit trail and `opine show`.
    public var reason: String
    /// The amended findings text, for a findings addendum.
    public var findings: String?

    /// Describes an addendum; the letter's bytes travel in the command.
    public init(kind: Kind, reason: String, findings: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.findings = findings
    }
}
