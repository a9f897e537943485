import Foundation

/// How an endpoint is doing, and whether the worker may call it. A small value type: the worker asks it what is
/// allowed and tells it what happened; the store persists it so `opine endpoints` and restarts see the same thing.
public struct EndpointHealth: Codable, Sendable, Equatable {
    /// The endpoint's name under `[endpoints]`.
    public var name: String
    /// Set by a 410 Gone; only `opine endpoints enable` clears it.
    public var disabledAt: String?
    /// Why it was disabled (such as "answered 410 Gone"), for `opine endpoints`.
    public var disabledReason: String?
    /// Unix seconds of the first failure since the last success.
    public var failingSince: Double?
    /// Failed attempts since the last success.
    public var failuresInRow: Int = 0
    /// While set and in the future, nothing is sent; after it, a single probe goes out.
    public var pausedUntil: Double?
    /// When an attempt last succeeded (RFC 3339).
    public var lastSuccessAt: String?
    /// When an attempt last failed (RFC 3339).
    public var lastFailureAt: String?

    /// The `endpoint_health` columns, shared by JSON output and the store.
    public enum CodingKeys: String, CodingKey {
        /// The column named as the property.
        case name
        /// Columns named as the properties, in snake_case.
        case disabledAt = "disabled_at", disabledReason = "disabled_reason", failingSince = "failing_since"
        /// Columns named as the properties, in snake_case.
        case failuresInRow = "failures_in_row", pausedUntil = "paused_until", lastSuccessAt = "last_success_at"
        /// The column named as the property, in snake_case.
        case lastFailureAt = "last_failure_at"
    }

    /// A healthy endpoint: nothing failing, paused or disabled.
    public init(name: String) { self.name = name }

    /// How the endpoint looks in `opine endpoints`.
    public enum Status: String, Sendable, CaseIterable {
        /// Active sends freely; failing has failed since its last success; paused gets probes only; disabled, nothing.
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

    /// A 2xx: clears any failure streak and pause.
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

    /// A 410 Gone: nothing more is sent until an operator enables the endpoint again.
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
