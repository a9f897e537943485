/// Where a case is in the review. `responded` and `withdrawn` are final.
public enum CaseState: String, Codable, Sendable, CaseIterable {
    case received, triaged, reviewed, responded, withdrawn

    public var isFinal: Bool { self == .responded || self == .withdrawn }

    /// The states a coordinator still has to act on; `opine list` shows these by default.
    public static let open: [CaseState] = [.received, .triaged, .reviewed]
}

/// How soon a surgeon must look. Ordered most severe first, so `min()` of several is the one that wins.
public enum Priority: String, Codable, Sendable, CaseIterable, Comparable {
    case emergency, urgent, routine

    /// Stored beside the name so the queue sorts by an index, not by a CASE expression.
    public var rank: Int {
        switch self {
        case .emergency: 0
        case .urgent: 1
        case .routine: 2
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}
