import Foundation

/// How an endpoint is doing, and whether the worker may call it. A small value type: the worker asks it what is
/// allowed and tells it what happened; the store persists it so `opine endpoints` and restarts see the same thing.
public struct EndpointHealth: Codable, Sendable, Equatable {
    public var name: String
    /// Set by a 410 Gone; only `opine endpoints enable` clears it.
    public var disabledAt: String?
    public var disabledReason: String?
    /// Unix seconds of the first failure since the last success.
    public var failingSince: Double?
    public var failuresInRow: Int = 0
    /// While set and in the future, nothing is sent; after it, a single probe goes out.
    public var pausedUntil: Double?
    public var lastSuccessAt: String?
    public var lastFailureAt: String?

    /// The `endpoint_health` columns, shared by JSON output and the store.
    public enum CodingKeys: String, CodingKey {
        case name
        case disabledAt = "disabled_at", disabledReason = "disabled_reason", failingSince = "failing_since"
        case failuresInRow = "failures_in_row", pausedUntil = "paused_until", lastSuccessAt = "last_success_at"
        case lastFailureAt = "last_failure_at"
    }

    public init(name: String) { self.name = name }

    public enum Status: String, Sendable {
        case active, failing, paused, disabled
    }

    /// A pause lasts until a probe succeeds, so a paused endpoint stays paused between probes.
    public var status: Status {
        if disabledAt != nil { return .disabled }
        if pausedUntil != nil { return .paused }
        if failingSince != nil { return .failing }
        return .active
    }

    /// How many attempts may be in flight to this endpoint right now.
    public func allowance(perEndpoint: Int, now: Double) -> Int {
        if disabledAt != nil { return 0 }
        if let pausedUntil { return now >= pausedUntil ? 1 : 0 }
        return perEndpoint
    }

    public mutating func recordSuccess(at now: Double) {
        failingSince = nil
        failuresInRow = 0
        pausedUntil = nil
        lastSuccessAt = Timestamps.format(Date(timeIntervalSince1970: now))
    }

    /// Returns true when this failure pauses the endpoint (so the worker can say so once, loudly).
    @discardableResult
    public mutating func recordFailure(at now: Double, pauseAfter: Double, probeInterval: Double) -> Bool {
        failuresInRow += 1
        lastFailureAt = Timestamps.format(Date(timeIntervalSince1970: now))
        let since = failingSince ?? now
        failingSince = since
        guard now - since >= pauseAfter else { return false }
        let wasPaused = pausedUntil != nil
        pausedUntil = now + probeInterval
        return !wasPaused
    }

    public mutating func disable(at now: Double, reason: String) {
        disabledAt = Timestamps.format(Date(timeIntervalSince1970: now))
        disabledReason = reason
    }

    /// An operator's `opine endpoints enable`: back to sending at once, with a fresh failure count.
    public mutating func enable() {
        disabledAt = nil
        disabledReason = nil
        failingSince = nil
        failuresInRow = 0
        pausedUntil = nil
    }
}
