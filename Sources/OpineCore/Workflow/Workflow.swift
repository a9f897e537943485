/// The review workflow as a pure function: given a case as it stands, a request and who asks, it returns the change to
/// make or the reason to refuse. The store applies the change (checking that the case did not move meanwhile); nothing
/// here touches the disk, so every state × action pair is cheap to test.
public enum Workflow {
    /// Decides one staff request completely: the case's new values, the audit event and the notifications to
    /// enqueue, or why it is refused.
    public static func decide(
        _ current: CaseSnapshot, _ command: CaseCommand, by actor: Actor
    ) -> Result<Transition, WorkflowError> {
        switch step(current, command.action, note: command.note, by: actor) {
        case .failure(let error): .failure(error)
        case .success(let step): .success(transition(current, command, actor: actor, step: step))
        }
    }

    /// Where the request leads, before its record: target state, priority, assignee and notification.
    private struct Step {
        var to: CaseState
        var priority: Priority
        var assignee: String?
        var notification: NotificationType
        var adminOverride = false
    }

    private static func step(
        _ current: CaseSnapshot, _ action: WorkflowAction, note: String?, by actor: Actor
    ) -> Result<Step, WorkflowError> {
        switch (current.state, action) {
        case (.received, .triage(let priority, let assignee)), (.triaged, .triage(let priority, let assignee)):
            return triage(current, priority: priority, assignee: assignee, note: note, actor: actor)

        case (.triaged, .review(let findings)):
            guard !findings.isBlank else { return .failure(.missingText("findings")) }
            var override = false
            if current.assignee != actor.name {
                guard actor.isAdmin else {
                    return .failure(.notAssignedReviewer(assignee: current.assignee, actor: actor.name))
                }
                override = true
            }
            return .success(Step(
                to: .reviewed, priority: current.priority, assignee: current.assignee, notification: .caseReviewed,
                adminOverride: override))

        case (.reviewed, .respond):
            return .success(Step(to: .responded, priority: current.priority, assignee: current.assignee, notification: .caseResponded))

        case (let state, .withdraw(let reason)) where !state.isFinal:
            guard !reason.isBlank else { return .failure(.missingText("reason")) }
            return .success(Step(to: .withdrawn, priority: current.priority, assignee: current.assignee, notification: .caseWithdrawn))

        case (let state, _):
            return .failure(.invalidTransition(from: state, action: action.name))
        }
    }

    private static func triage(
        _ current: CaseSnapshot, priority: Priority?, assignee: String?, note: String?, actor: Actor
    ) -> Result<Step, WorkflowError> {
        if let assignee, !actor.reviewers.contains(assignee) {
            return .failure(.unknownReviewer(assignee, known: actor.reviewers.sorted()))
        }
        let newPriority = priority ?? current.priority
        // Overriding what the symptoms said must be explained in the audit trail.
        if newPriority != current.priority, note?.isBlank ?? true {
            return .failure(.noteRequiredForPriorityChange(from: current.priority, to: newPriority))
        }
        let newAssignee = assignee ?? current.assignee
        let changes = newPriority != current.priority || newAssignee != current.assignee
        if current.state == .triaged, !changes, note?.isBlank ?? true {
            return .failure(.nothingToChange)
        }
        return .success(Step(to: .triaged, priority: newPriority, assignee: newAssignee, notification: .caseTriaged))
    }

    /// What an allowed step announces, in send order. An escalation to emergency is announced as such, ahead of the
    /// triage notice, so receivers that act on `case.emergency` hear of it at once; a note alone on a triaged case
    /// changes nothing another system acts on, so it is announced to no one.
    private static func notifications(_ current: CaseSnapshot, _ step: Step, isNoteOnly: Bool) -> [NotificationType] {
        if isNoteOnly { return [] }
        if step.priority == .emergency, current.priority != .emergency { return [.caseEmergency, step.notification] }
        return [step.notification]
    }

    /// The audit event type: a triage of a triaged case is a `retriage`, or a `note` when it changes nothing.
    private static func eventType(_ current: CaseSnapshot, _ command: CaseCommand, _ step: Step) -> EventType {
        guard current.state == .triaged, step.to == .triaged else { return command.action.eventType }
        return step.priority == current.priority && step.assignee == current.assignee ? .note : .retriage
    }

    /// The full record of an allowed step: what changes, what the audit trail says, what is announced.
    private static func transition(_ current: CaseSnapshot, _ command: CaseCommand, actor: Actor, step: Step) -> Transition {
        var detail: [String: String] = [:]
        if let note = command.note, !note.isBlank { detail["note"] = note }
        if step.assignee != current.assignee { detail["assigned_to"] = step.assignee ?? "" }
        if step.priority != current.priority {
            detail["priority_from"] = current.priority.rawValue
            detail["priority_to"] = step.priority.rawValue
        }
        if let enteredBy = command.enteredBy { detail["entered_by"] = enteredBy }
        if step.adminOverride { detail["admin_override_for"] = current.assignee ?? "(unassigned)" }
        var findings: String?, withdrawnReason: String?
        switch command.action {
        case .review(let text): findings = text
        case .withdraw(let reason):
            withdrawnReason = reason
            detail["reason"] = reason
        case .triage, .respond: break
        }
        if let letter = command.letter { detail["letter_sha256"] = letter.sha256 }
        let type = eventType(current, command, step)
        return Transition(
            from: current.state, to: step.to, priority: step.priority, assignee: step.assignee, findings: findings,
            withdrawnReason: withdrawnReason, event: AuditEvent(type: type, fromState: current.state, toState: step.to, detail: detail),
            notifications: notifications(current, step, isNoteOnly: type == .note))
    }
}

/// What the workflow needs to know about a case.
public struct CaseSnapshot: Sendable, Equatable {
    /// The state the case is in now.
    public var state: CaseState
    /// The case's current priority, kept unless triage changes it.
    public var priority: Priority
    /// The reviewer assigned at triage, if any; only they (or an admin) may record the review.
    public var assignee: String?

    /// A snapshot of a case as the store read it.
    public init(state: CaseState, priority: Priority, assignee: String? = nil) {
        self.state = state
        self.priority = priority
        self.assignee = assignee
    }
}

/// Who is acting, and what the configuration says about reviewers and admins.
public struct Actor: Sendable, Equatable {
    /// The login name acting (or the name given with `--as`).
    public var name: String
    /// The login is listed in `workflow.admins`, so it may record a review for another reviewer.
    public var isAdmin: Bool
    /// The reviewer ids under `[reviewers]`; a case can be assigned only to one of them.
    public var reviewers: Set<String>

    /// Describes who is acting.
    public init(name: String, isAdmin: Bool, reviewers: Set<String>) {
        self.name = name
        self.isAdmin = isAdmin
        self.reviewers = reviewers
    }
}

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

    /// The verb as `opine` spells it.
    public var name: String { eventType.rawValue }

    /// The audit event a successful action records (a second triage records `retriage`, or `note` if it changes
    /// neither priority nor assignee).
    public var eventType: EventType {
        switch self {
        case .triage: .triage
        case .review: .review
        case .respond: .respond
        case .withdraw: .withdraw
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
    /// The audit event recorded with the change.
    public var event: AuditEvent
    /// In the order they are enqueued.
    public var notifications: [NotificationType]

    /// Records a complete change; the workflow builds these, tests compare them.
    public init(
        from: CaseState, to: CaseState, priority: Priority, assignee: String?, findings: String? = nil,
        withdrawnReason: String? = nil, event: AuditEvent, notifications: [NotificationType]
    ) {
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

/// Why the workflow refused a request; the description is the message `opine` prints.
public enum WorkflowError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The action is not allowed from this state (`action` is the verb as `opine` spells it).
    case invalidTransition(from: CaseState, action: String)
    /// The assignee is not under `[reviewers]`; `known` lists those that are.
    case unknownReviewer(String, known: [String])
    /// A non-admin tried to record the review of a case not assigned to them (or assigned to no one).
    case notAssignedReviewer(assignee: String?, actor: String)
    /// Triage changes the priority without a note saying why.
    case noteRequiredForPriorityChange(from: Priority, to: Priority)
    /// The findings or the withdrawal reason (named here) is blank.
    case missingText(String)
    /// A re-triage that changes neither priority nor assignee and gives no note.
    case nothingToChange

    /// The message for the staff member, saying what to do instead.
    public var description: String {
        switch self {
        case .invalidTransition(let from, let action):
            switch from {
            case .responded, .withdrawn:
                "the case is \(from.rawValue), which is final; it cannot be \(Self.pastTense(action))"
            default:
                "a \(from.rawValue) case cannot be \(Self.pastTense(action)); allowed next: \(Self.next(from))"
            }
        case .unknownReviewer(let name, let known):
            "'\(name)' is not a configured reviewer; known reviewers: \(known.isEmpty ? "none (add them under [reviewers] in the configuration)" : known.joined(separator: ", "))"
        case .notAssignedReviewer(let assignee, let actor):
            if let assignee {
                "the case is assigned to \(assignee), not \(actor); only \(assignee) or an admin can record its review (pass --as \(assignee) when recording on their behalf)"
            } else {
                "the case has no assigned reviewer; assign one with `opine triage CASE --assign REVIEWER` first"
            }
        case .noteRequiredForPriorityChange(let from, let to):
            "changing the priority from \(from.rawValue) to \(to.rawValue) needs --note saying why"
        case .missingText(let field):
            "the \(field) must not be empty"
        case .nothingToChange:
            "the case is already triaged and this changes neither its priority nor its reviewer; give another --priority or --assign, or a --note"
        }
    }

    private static func pastTense(_ action: String) -> String {
        switch action {
        case "triage": "triaged"
        case "review": "reviewed"
        case "respond": "responded to"
        case "withdraw": "withdrawn"
        default: action
        }
    }

    private static func next(_ state: CaseState) -> String {
        switch state {
        case .received: "triage, withdraw"
        case .triaged: "triage (re-triage), review, withdraw"
        case .reviewed: "respond, withdraw"
        case .responded, .withdrawn: "nothing"
        }
    }
}

extension String {
    /// Empty or only white space: not a note, a finding or a reason.
    package var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
