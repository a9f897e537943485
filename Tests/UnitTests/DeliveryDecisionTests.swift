import Foundation
import OpineCore
import Testing

/// The outcome of a finished webhook attempt and the plan of a fan-out, decided by Core without a database, a
/// daemon or a clock.
@Suite("Delivery decisions: AttemptPolicy and FanOutPolicy")
struct DeliveryDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let seconds = now.timeIntervalSince1970

    static var settings: WebhookSettings {
        var settings = WebhookSettings()
        settings.retry = RetryPolicy(schedule: [5, 60, 600], jitter: 0, maxRetryAfter: 3600)
        settings.pauseAfter = 3600
        settings.probeInterval = 300
        return settings
    }

    static func settle(
        _ outcome: RetryPolicy.Outcome, attempts: Int = 0, health: EndpointHealth = EndpointHealth(name: "desk"),
        error: String? = nil
    ) -> AttemptConsequence {
        let report = AttemptReport(
            deliveryID: 7, endpoint: "desk", startedAt: now, duration: 0.01, outcome: outcome, error: error, responseExcerpt: nil)
        return AttemptPolicy.settle(
            report, progress: DeliveryProgress(state: attempts == 0 ? .pending : .failed, attempts: attempts, nextAttemptAt: seconds),
            health: health, settings: settings, now: now, random: 0.5)
    }

    @Test("2xx: delivered, finished now, the endpoint healthy again")
    func delivered() {
        var failing = EndpointHealth(name: "desk")
        failing.recordFailure(at: Self.seconds - 10, pauseAfter: 3600, probeInterval: 300)
        let result = Self.settle(.status(204, retryAfter: nil), attempts: 1, health: failing)
        #expect(result.decision == .delivered)
        #expect(result.progress == DeliveryProgress(
            state: .delivered, attempts: 2, nextAttemptAt: nil, finishedAt: Timestamps.format(Self.now), lastStatus: 204))
        #expect(result.health.status == .active && result.health.failuresInRow == 0)
        #expect(!result.holdsLaterDeliveries && !result.endpointPaused && !result.endpointDisabled)
    }

    @Test("4xx and 5xx: retried on the schedule, the failure counted against the endpoint")
    func retried() {
        let result = Self.settle(.status(500, retryAfter: nil), error: "HTTP 500")
        #expect(result.decision == .retry(after: 5))
        #expect(result.progress == DeliveryProgress(
            state: .failed, attempts: 1, nextAttemptAt: Self.seconds + 5, lastStatus: 500, lastError: "HTTP 500"))
        #expect(result.health.status == .failing && result.health.failuresInRow == 1)
        let second = Self.settle(.status(404, retryAfter: nil), attempts: 1)
        #expect(second.decision == .retry(after: 60) && second.progress.attempts == 2)
    }

    @Test("429 with Retry-After waits at least as long as asked, within the cap; a timeout is a failure like any other")
    func retryAfterAndTimeout() {
        #expect(Self.settle(.status(429, retryAfter: 120)).decision == .retry(after: 120))
        #expect(Self.settle(.status(503, retryAfter: 1)).decision == .retry(after: 5), "never sooner than the schedule")
        #expect(Self.settle(.status(429, retryAfter: 999_999)).decision == .retry(after: 3600), "capped")
        let timeout = Self.settle(.timeout, error: "timed out")
        #expect(timeout.decision == .retry(after: 5) && timeout.progress.lastStatus == nil && timeout.progress.lastError == "timed out")
    }

    @Test("The last retry used up: dead, finished, and the case's later deliveries held behind it")
    func dead() {
        let result = Self.settle(.connectionFailed, attempts: 3, error: "refused")
        #expect(result.decision == .dead)
        #expect(result.progress == DeliveryProgress(
            state: .dead, attempts: 4, nextAttemptAt: nil, finishedAt: Timestamps.format(Self.now), lastError: "refused"))
        #expect(result.holdsLaterDeliveries)
        #expect(AttemptPolicy.heldBehindMessage(7) == "held behind dead delivery 7 of the same case")
    }

    @Test("A replay releases a dead or held delivery: due now with a fresh round, its last error kept until the next try")
    func release() {
        let held = DeliveryProgress(
            state: .dead, attempts: 2, finishedAt: "2026-11-26T09:30:00Z", lastStatus: 500, lastError: "held behind dead delivery 3 of the same case")
        #expect(AttemptPolicy.replayed(held, now: Self.now) == DeliveryProgress(
            state: .pending, attempts: 0, nextAttemptAt: Self.seconds, finishedAt: nil, lastStatus: 500,
            lastError: "held behind dead delivery 3 of the same case"))
    }

    @Test("410 Gone disables the endpoint; the delivery waits, due, without using up an attempt")
    func gone() {
        let result = Self.settle(.status(410, retryAfter: nil), attempts: 2)
        #expect(result.decision == .disableEndpoint && result.endpointDisabled)
        #expect(result.progress.state == .failed && result.progress.attempts == 2 && result.progress.nextAttemptAt == Self.seconds)
        #expect(result.health.status == .disabled && result.health.disabledReason == "answered 410 Gone")
        #expect(!result.holdsLaterDeliveries)
    }

    @Test("An endpoint failing for longer than pause_after is paused once, then probed")
    func pause() {
        var failing = EndpointHealth(name: "desk")
        failing.recordFailure(at: Self.seconds - 4000, pauseAfter: 3600, probeInterval: 300)
        let first = Self.settle(.timeout, health: failing)
        #expect(first.endpointPaused && first.health.pausedUntil == Self.seconds + 300)
        let again = Self.settle(.timeout, health: first.health)
        #expect(!again.endpointPaused, "already paused: said once")
        #expect(first.health.allowance(perEndpoint: 8, now: Self.seconds) == 0)
        #expect(first.health.allowance(perEndpoint: 8, now: Self.seconds + 300) == 1, "one probe when the pause ends")
    }

    @Test("Fan-out: only endpoints that asked for the type, emergencies first, rejections on their own")
    func fanOutPlan() {
        var desk = Endpoint(name: "desk", url: "https://desk.example/hook")
        desk.events = [.caseEmergency, .caseReceived]
        let messaging = Endpoint(name: "messaging", url: "https://messaging.example/hook")
        #expect(FanOutPolicy.recipients(of: .caseTriaged, among: [desk, messaging]).map(\.name) == ["messaging"])
        #expect(FanOutPolicy.recipients(of: .caseEmergency, among: [desk, messaging]).map(\.name) == ["desk", "messaging"])
        #expect(FanOutPolicy.rank(of: .caseEmergency, priority: .routine) == Priority.emergency.rank)
        #expect(FanOutPolicy.rank(of: .caseTriaged, priority: .urgent) == Priority.urgent.rank)
        #expect(FanOutPolicy.rank(of: .bundleRejected, priority: nil) == Priority.routine.rank)
        #expect(FanOutPolicy.orderingKey(caseID: "C-1", rejectionID: nil, outboxID: 9) == "C-1")
        #expect(FanOutPolicy.orderingKey(caseID: nil, rejectionID: 4, outboxID: 9) == "rejection:4")
    }

    @Test("Fan-out: a new delivery is due now, or starts dead behind a dead delivery of its case")
    func fanOutStart() {
        #expect(FanOutPolicy.start(deadAhead: nil, now: Self.now) == DeliveryProgress(state: .pending, nextAttemptAt: Self.seconds))
        #expect(FanOutPolicy.start(deadAhead: 3, now: Self.now) == DeliveryProgress(
            state: .dead, finishedAt: Timestamps.format(Self.now), lastError: "held behind dead delivery 3 of the same case"))
    }
}
