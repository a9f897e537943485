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
    /// An addendum must amend exactly one thing: the findings or the letter.
    case amendNeedsOneThing
    /// A letter addendum before any letter was sent.
    case noLetterToAmend
    /// An untriaged emergency cannot be put on hold for information.
    case emergencyNeedsTriage

    /// The message for the staff member, saying what to do instead.
    public var description: String {
        switch self {
        case .invalidTransition(let from, let action):
            switch from {
            case .withdrawn:
                "the case is withdrawn, which is final; it cannot be \(Self.pastTense(action))"
            case .responded:
                "the case is responded, which is final; it cannot be \(Self.pastTense(action)) (an addendum can still be added: `opine amend`)"
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
        case .amendNeedsOneThing:
            "an addendum amends one thing: give --findings, --findings-file or --letter-file"
        case .emergencyNeedsTriage:
            "an untriaged emergency cannot wait for the patient: triage it first (`opine triage CASE --assign REVIEWER`), then ask with request-info"
        case .noLetterToAmend:
            "no letter has been sent for this case yet; record it with `opine respond CASE --letter-file FILE`, then amend it"
        }
    }

    private static func pastTense(_ action: String) -> String {
        switch action {
        case "triage": "triaged"
        case "review": "reviewed"
        case "respond": "responded to"
        case "withdraw": "withdrawn"
        case "request-info": "put on hold for information"
        case "amend": "amended"
        default: action
        }
    }

    private static func next(_ state: CaseState) -> String {
        switch state {
        case .received: "triage, request-info, withdraw"
        case .triaged: "triage (re-triage), review, request-info, withdraw"
        case .awaitingInformation: "request-info (ask again), withdraw; a supplement from the patient returns it"
        case .reviewed: "respond, amend, withdraw"
        case .responded: "amend"
        case .withdrawn: "nothing"
        }
    }
}

