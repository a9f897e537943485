import Foundation

/// What one attempt came to, as the transport saw it.
public struct AttemptReport: Sendable, Equatable {
    /// The delivery the attempt was for.
    public var deliveryID: Int64
    /// The endpoint's configured name, whose health the attempt changes.
    public var endpoint: String
    /// When the request started, for the attempt history.
    public var startedAt: Date
    /// How long the attempt took, in seconds.
    public var duration: Double
    /// The HTTP status (with any Retry-After), a timeout or a connection failure.
    public var outcome: RetryPolicy.Outcome
    /// The transport's error text, when there was one, kept as the delivery's last error.
    public var error: String?
    /// The first bytes of the receiver's answer, kept in the attempt history for operators.
    public var responseExcerpt: String?

    /// Records what the transport saw of one attempt.
    public init(
        deliveryID: Int64, endpoint: String, startedAt: Date, duration: Double, outcome: RetryPolicy.Outcome,
        error: String?, responseExcerpt: String?
    ) {
        self.deliveryID = deliveryID
        self.endpoint = endpoint
        self.startedAt = startedAt
        self.duration = duration
        self.outcome = outcome
        self.error = error
        self.responseExcerpt = responseExcerpt
    }

    /// The HTTP status, when the receiver answered at all.
    public var status: Int? {
        if case .status(let code, _) = outcome { return code }
        return nil
    }
}

/// Everything a finished attempt changes, decided as a value: the delivery's next state, the endpoint's health,
/// and whether the case's later deliveries to that endpoint must be held behind it.
public struct AttemptConsequence: Sendable, Equatable {
    /// The delivery's state, attempt count and next attempt after this attempt.
    public var progress: DeliveryProgress
    /// The retry policy's verdict on the attempt.
    public var decision: RetryPolicy.Decision
    /// The delivery died: its case's later open deliveries to the same endpoint die with it (order is kept).
    public var holdsLaterDeliveries: Bool
    /// This failure paused the endpoint just now (so the worker logs it once).
    public var endpointPaused: Bool
    /// The endpoint answered 410 Gone and is now disabled.
    public var endpointDisabled: Bool
    /// The endpoint's health after this attempt.
    public var health: EndpointHealth
}

/// Settles one finished attempt. Pure: the store loads the delivery and the endpoint's health, calls this, and
/// writes what it returns.
public enum AttemptPolicy {
    /// Applies the retry policy to a finished attempt; `random` (0..<1) varies the retry wait, injected for tests.
    public static func settle(
        _ report: AttemptReport, progress before: DeliveryProgress, health healthBefore: EndpointHealth,
        settings: WebhookSettings, now: Date, random: Double
    ) -> AttemptConsequence {
        var progress = before
        var health = healthBefore
        progress.attempts += 1
        progress.lastStatus = report.status
        progress.lastError = report.error
        let decision = settings.retry.decide(after: report.outcome, attempt: progress.attempts, random: random)
        let seconds = now.timeIntervalSince1970
        var paused = false, disabled = false, holds = false
        switch decision {
        case .delivered:
            progress.state = .delivered
            progress.nextAttemptAt = nil
            progress.finishedAt = Timestamps.format(now)
            health.recordSuccess(at: seconds)
        case .retry(let wait):
            progress.state = .failed
            progress.nextAttemptAt = seconds + wait
            paused = health.recordFailure(at: seconds, pauseAfter: settings.pauseAfter, probeInterval: settings.probeInterval)
        case .dead:
            progress.state = .dead
            progress.nextAttemptAt = nil
            progress.finishedAt = Timestamps.format(now)
            paused = health.recordFailure(at: seconds, pauseAfter: settings.pauseAfter, probeInterval: settings.probeInterval)
            holds = true
        case .disableEndpoint:
            // Not the delivery's fault: it waits, due, until the endpoint is enabled again.
            progress.state = .failed
            progress.nextAttemptAt = seconds
            progress.attempts -= 1
            health.disable(at: seconds, reason: "answered 410 Gone")
            disabled = true
        }
        return AttemptConsequence(
            progress: progress, decision: decision, holdsLaterDeliveries: holds, endpointPaused: paused,
            endpointDisabled: disabled, health: health)
    }

    /// An operator's replay (`opine redeliver`) releases a dead or held delivery: due now, with a fresh round of
    /// attempts. The last status and error stay until the next attempt, and the attempt history keeps every try.
    public static func replayed(_ progress: DeliveryProgress, now: Date) -> DeliveryProgress {
        var released = progress
        released.state = .pending
        released.attempts = 0
        released.nextAttemptAt = now.timeIntervalSince1970
        released.finishedAt = nil
        return released
    }

    /// The last error of a delivery that died because an earlier one of its case did.
    public static func heldBehindMessage(_ deadDeliveryID: Int64) -> String {
        "held behind dead delivery \(deadDeliveryID) of the same case"
    }
}

/// Fan-out as a value: which endpoints get an event, in what order it goes, and how each new delivery starts.
public enum FanOutPolicy {
    /// The endpoints that asked for this type of event, in configuration order.
    public static func recipients(of type: NotificationType, among endpoints: [Endpoint]) -> [Endpoint] {
        endpoints.filter { $0.events.contains(type) }
    }

    /// Emergencies go before everything else, then each event by its case's priority (rejections as routine).
    public static func rank(of type: NotificationType, priority: Priority?) -> Int {
        type == .caseEmergency ? Priority.emergency.rank : (priority ?? .routine).rank
    }

    /// A new delivery is due now, unless a dead delivery of the same case to the same endpoint is ahead of it: then
    /// it would arrive out of order, so it waits with it, dead, until an operator replays them together.
    public static func start(deadAhead: Int64?, now: Date) -> DeliveryProgress {
        guard let deadAhead else { return DeliveryProgress(state: .pending, nextAttemptAt: now.timeIntervalSince1970) }
        return DeliveryProgress(state: .dead, finishedAt: Timestamps.format(now), lastError: AttemptPolicy.heldBehindMessage(deadAhead))
    }

    /// One endpoint gets one case's events in order; rejections each stand alone.
    public static func orderingKey(caseID: String?, rejectionID: Int64?, outboxID: Int64) -> String {
        caseID ?? "rejection:\(rejectionID ?? outboxID)"
    }
}
