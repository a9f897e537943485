/// The review workflow as a pure function: given a case as it stands, a request and who asks, it returns the change to
/// make or the reason to refuse. The store applies the change (checking that the case did not move meanwhile); nothing
/// here touches the disk, so every state × action pair is cheap to test.
public enum Workflow {
    public static func decide(
        _ current: CaseSnapshot, _ action: WorkflowAction, by actor: Actor
    ) -> Result<Transition, WorkflowError> {
        switch (current.state, action) {
        case (.received, .triage(let priority, let assignee, let note)),
            (.triaged, .triage(let priority, let assignee, let note)):
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
            return .success(Transition(
                from: current.state, to: .reviewed, priority: current.priority, assignee: current.assignee,
                notification: .caseReviewed, adminOverride: override))

        case (.reviewed, .respond):
            return .success(Transition(
                from: current.state, to: .responded, priority: current.priority, assignee: current.assignee,
                notification: .caseResponded))

        case (let state, .withdraw(let reason)) where !state.isFinal:
            guard !reason.isBlank else { return .failure(.missingText("reason")) }
            return .success(Transition(
                from: state, to: .withdrawn, priority: current.priority, assignee: current.assignee,
                notification: .caseWithdrawn))

        case (let state, _):
            return .failure(.invalidTransition(from: state, action: action.name))
        }
    }

    private static func triage(
        _ current: CaseSnapshot, priority: Priority?, assignee: String?, note: String?, actor: Actor
    ) -> Result<Transition, WorkflowError> {
        if let assignee, !actor.reviewers.contains(assignee) {
            return .failure(.unknownReviewer(assignee, known: actor.reviewers.sorted()))
        }
        let newPriority = priority ?? current.priority
        // Overriding what the symptoms said must be explained in the audit trail.
        if newPriority != current.priority, note?.isBlank ?? true {
            return .failure(.noteRequiredForPriorityChange(from: current.priority, to: newPriority))
        }
        if current.state == .triaged, priority == nil, assignee == nil, note?.isBlank ?? true {
            return .failure(.nothingToChange)
        }
        return .success(Transition(
            from: current.state, to: .triaged, priority: newPriority, assignee: assignee ?? current.assignee,
            notification: .caseTriaged))
    }
}

/// What the workflow needs to know about a case.
public struct CaseSnapshot: Sendable, Equatable {
    public var state: CaseState
    public var priority: Priority
    public var assignee: String?

    public init(state: CaseState, priority: Priority, assignee: String? = nil) {
        self.state = state
        self.priority = priority
        self.assignee = assignee
    }
}

/// Who is acting, and what the configuration says about reviewers and admins.
public struct Actor: Sendable, Equatable {
    public var name: String
    public var isAdmin: Bool
    public var reviewers: Set<String>

    public init(name: String, isAdmin: Bool, reviewers: Set<String>) {
        self.name = name
        self.isAdmin = isAdmin
        self.reviewers = reviewers
    }
}

public enum WorkflowAction: Sendable, Equatable {
    case triage(priority: Priority?, assignee: String?, note: String?)
    case review(findings: String)
    case respond
    case withdraw(reason: String)

    public var name: String {
        switch self {
        case .triage: "triage"
        case .review: "review"
        case .respond: "respond"
        case .withdraw: "withdraw"
        }
    }
}

/// The change the store must make, atomically with its audit event and its notification.
public struct Transition: Sendable, Equatable {
    public var from: CaseState
    public var to: CaseState
    public var priority: Priority
    public var assignee: String?
    public var notification: NotificationType
    /// An admin recorded a review for a case assigned to someone else (or to nobody).
    public var adminOverride = false
}

public enum WorkflowError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidTransition(from: CaseState, action: String)
    case unknownReviewer(String, known: [String])
    case notAssignedReviewer(assignee: String?, actor: String)
    case noteRequiredForPriorityChange(from: Priority, to: Priority)
    case missingText(String)
    case nothingToChange

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
            "the case is already triaged; give --priority, --assign or --note to re-triage it"
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
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
