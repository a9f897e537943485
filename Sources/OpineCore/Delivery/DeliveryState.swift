/// Where one event stands for one endpoint, from fan-out until it is delivered or dead.
public enum DeliveryState: String, Codable, Sendable, CaseIterable {
    /// Waiting for its first attempt (or replayed by an operator).
    case pending
    /// Attempted and failed; retried at `nextAttemptAt`.
    case failed
    /// Answered with a 2xx; finished.
    case delivered
    /// Out of attempts, or held behind a dead delivery of the same case: needs `opine redeliver`.
    case dead

    /// Still to be sent: what the due query and the per-case ordering rule look at.
    public static let open: [DeliveryState] = [.pending, .failed]
}

/// The fields of a delivery that an attempt, a fan-out or a replay changes.
public struct DeliveryProgress: Sendable, Equatable {
    /// Where the delivery stands now.
    public var state: DeliveryState
    /// Attempts in the current round (an operator's replay starts a new round; history keeps every attempt).
    public var attempts: Int
    /// Unix seconds; nil once delivered or dead.
    public var nextAttemptAt: Double?
    /// When it was delivered or died (RFC 3339); nil while open.
    public var finishedAt: String?
    /// The HTTP status of the last attempt, if the receiver answered.
    public var lastStatus: Int?
    /// The last attempt's error, or why a held delivery died with an earlier one.
    public var lastError: String?

    /// Sets the fields; a new delivery starts pending with no attempts.
    public init(
        state: DeliveryState, attempts: Int = 0, nextAttemptAt: Double? = nil, finishedAt: String? = nil,
        lastStatus: Int? = nil, lastError: String? = nil
    ) {
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.finishedAt = finishedAt
        self.lastStatus = lastStatus
        self.lastError = lastError
    }
}
