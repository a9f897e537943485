/// Where a case is in the review. `responded` and `withdrawn` are final (docs/workflow.md has the diagram).
public enum CaseState: String, Codable, Sendable, CaseIterable {
    /// Stored by opined; triaged by a coordinator; reviewed by the surgeon; responded to the patient; or withdrawn.
    case received, triaged, reviewed, responded, withdrawn
    /// The practice asked the patient for something (`opine request-info`) and waits; a supplement returns the case
    /// to the state it came from. Its turnaround clock is paused meanwhile.
    case awaitingInformation = "awaiting_information"

    /// No action can move the case on (except an addendum, which leaves it where it is).
    public var isFinal: Bool { self == .responded || self == .withdrawn }

    /// The states a coordinator still has to act on; `opine list` shows these by default.
    public static let open: [CaseState] = [.received, .triaged, .awaitingInformation, .reviewed]

    /// The states whose turnaround clock runs: waiting for the patient is not the practice's time.
    public static let timed: [CaseState] = [.received, .triaged, .reviewed]
}

/// How soon a surgeon must look. Ordered most severe first, so `min()` of several is the one that wins.
public enum Priority: String, Codable, Sendable, CaseIterable, Comparable {
    /// From most to least severe; the queue and the delivery worker take emergencies first.
    case emergency, urgent, routine

    /// Stored beside the name so the queue sorts by an index, not by a CASE expression.
    public var rank: Int {
        switch self {
        case .emergency: 0
        case .urgent: 1
        case .routine: 2
        }
    }

    /// Orders by severity: `emergency` is the least, so sorting puts it first.
    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}
