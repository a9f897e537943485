/// The review workflow as a pure function: given a case as it stands, a request and who asks, it returns the change to
/// make or the reason to refuse. The store applies the change (checking that the case did not move meanwhile); nothing
/// here touches the disk, so every state × action pair is cheap to test.
public enum Workflow {
    /// Decides one staff request completely: the case's new values, the audit event and the notifications to
    /// enqueue, or why it is refused.
    public static func decide(
        _ current: CaseSnapshot, _ command: CaseCommand, by actor: Actor
    ) -> Result<Transition, WorkflowError> {
        switch step(current, command, by: actor) {
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

    private static func step(_ current: CaseSnapshot, _ command: CaseCommand, by actor: Actor) -> Result<Step, WorkflowError> {
        let (action, note) = (command.action, command.note)
        switch (current.state, action) {
        case (.received, .triage(let priority, let assignee)), (.triaged, .triage(let priority, let assignee)):
            return triage(current, priority: priority, assignee: assignee, note: note, actor: actor)

        case (.triaged, .review(let findings)):
            guard !findings.isBlank else { return .failure(.missingText("findings")) }
            return reviewer(current, actor).map { override in
                Step(to: .reviewed, priority: current.priority, assignee: current.assignee, notification: .caseReviewed, adminOverride: override)
            }

        case (.received, .requestInformation(let message)), (.triaged, .requestInformation(let message)),
             (.awaitingInformation, .requestInformation(let message)):
            guard !message.isBlank else { return .failure(.missingText("message")) }
            // Waiting would stop the re-announcements that keep an untriaged emergency in front of the practice.
            guard current.state != .received || current.priority != .emergency else { return .failure(.emergencyNeedsTriage) }
            return .success(Step(
                to: .awaitingInformation, priority: current.priority, assignee: current.assignee, notification: .caseInformationRequested))

        case (.reviewed, .amend(let reason, let findings)), (.responded, .amend(let reason, let findings)):
            return amend(current, reason: reason, findings: findings, letter: command.letter != nil, actor: actor)

        case (.reviewed, .respond):
            return .success(Step(to: .responded, priority: current.priority, assignee: current.assignee, notification: .caseResponded))

        case (let state, .withdraw(let reason)) where !state.isFinal:
            guard !reason.isBlank else { return .failure(.missingText("reason")) }
            return .success(Step(to: .withdrawn, priority: current.priority, assignee: current.assignee, notification: .caseWithdrawn))

        case (let state, _):
            return .failure(.invalidTransition(from: state, action: action.name))
        }
    }

    /// Only the assigned reviewer records or amends findings; an admin may for them (`true`: an override, audited).
    private static func reviewer(_ current: CaseSnapshot, _ actor: Actor) -> Result<Bool, WorkflowError> {
        guard current.assignee != actor.name else { return .success(false) }
        guard actor.isAdmin else { return .failure(.notAssignedReviewer(assignee: current.assignee, actor: actor.name)) }
        return .success(true)
    }

    /// An addendum amends one thing, says why, and leaves the case where it is; the findings are the reviewer's.
    private static func amend(
        _ current: CaseSnapshot, reason: String, findings: String?, letter: Bool, actor: Actor
    ) -> Result<Step, WorkflowError> {
        guard (findings != nil) != letter else { return .failure(.amendNeedsOneThing) }
        guard !reason.isBlank else { return .failure(.missingText("reason")) }
        var override = false
        if let findings {
            guard !findings.isBlank else { return .failure(.missingText("findings")) }
            switch reviewer(current, actor) {
            case .success(let admin): override = admin
            case .failure(let error): return .failure(error)
            }
        } else if current.state != .responded {
            return .failure(.noLetterToAmend)
        }
        return .success(Step(
            to: current.state, priority: current.priority, assignee: current.assignee, notification: .caseAmended, adminOverride: override))
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
        var findings: String?, withdrawnReason: String?, message: String?, addendum: Addendum?
        switch command.action {
        case .review(let text): findings = text
        case .withdraw(let reason):
            withdrawnReason = reason
            detail["reason"] = reason
        case .requestInformation(let text):
            message = text
            detail["message"] = text
        case .amend(let reason, let text):
            addendum = Addendum(kind: text == nil ? .letter : .findings, reason: reason, findings: text)
            detail["reason"] = reason
            detail["amended"] = addendum?.kind.rawValue
        case .triage, .respond: break
        }
        if let letter = command.letter { detail["letter_sha256"] = letter.sha256 }
        let type = eventType(current, command, step)
        // Waiting remembers where it was asked from, across a second request; any other step ends the wait.
        let returnState = step.to == .awaitingInformation ? current.awaitingReturnState ?? current.state : nil
        return Transition(
            from: current.state, to: step.to, priority: step.priority, assignee: step.assignee, findings: findings,
            withdrawnReason: withdrawnReason, awaitingReturnState: returnState, informationMessage: message, addendum: addendum,
            followUpPending: addendum == nil && current.followUpPending,
            event: AuditEvent(type: type, fromState: current.state, toState: step.to, detail: detail),
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
    /// While waiting for the patient: the state the case was asked from.
    public var awaitingReturnState: CaseState?
    /// A responded case has a follow-up question awaiting an addendum.
    public var followUpPending: Bool

    /// A snapshot of a case as the store read it.
    public init(
        state: CaseState, priority: Priority, assignee: String? = nil, awaitingReturnState: CaseState? = nil,
        followUpPending: Bool = false
    ) {
        self.state = state
        self.priority = priority
        self.assignee = assignee
        self.awaitingReturnState = awaitingReturnState
        self.followUpPending = followUpPending
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

extension String {
    /// Empty or only white space: not a note, a finding or a reason.
    package var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
