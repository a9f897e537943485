import Foundation

/// What to do after one delivery attempt, as a pure decision (the delivery worker performs it).
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds to wait before each retry: the first entry follows the first failed attempt.
    public var schedule: [Double]
    /// ± fraction applied to each wait so many failed deliveries do not retry in lockstep.
    public var jitter: Double
    /// The longest a receiver's Retry-After may push a retry out.
    public var maxRetryAfter: Double

    /// The documented default: ten attempts over about three days, each wait varied by ±20 %.
    public static let standard = RetryPolicy(
        schedule: [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400], jitter: 0.2, maxRetryAfter: 86400)

    /// Makes a policy from `webhooks.retry_schedule`, `retry_jitter` and the Retry-After cap, all in seconds.
    public init(schedule: [Double], jitter: Double, maxRetryAfter: Double) {
        self.schedule = schedule
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// How an attempt ended, as the transport saw it.
    public enum Outcome: Sendable, Equatable {
        /// The receiver answered with this status, and any Retry-After in seconds (honoured on a 429 or 503).
        case status(Int, retryAfter: Double?)
        /// No complete answer within the endpoint's timeout.
        case timeout
        /// No answer at all: DNS, connection or TLS failure.
        case connectionFailed
    }

    /// What the worker does with the delivery next.
    public enum Decision: Sendable, Equatable {
        /// Any 2xx: done.
        case delivered
        /// Try again this many seconds from now.
        case retry(after: Double)
        /// No attempts left: dead-letter it, visibly.
        case dead
        /// 410 Gone: the receiver asked not to be called again; stop the endpoint until an operator re-enables it.
        case disableEndpoint
    }

    /// `attempt` counts from 1 (the attempt that just finished). `random` is in 0..<1, injected for tests.
    public func decide(after outcome: Outcome, attempt: Int, random: Double) -> Decision {
        var honoured: Double?
        switch outcome {
        case .status(let code, _) where (200..<300).contains(code):
            return .delivered
        case .status(410, _):
            return .disableEndpoint
        case .status(let code, let retryAfter) where code == 429 || code == 503:
            honoured = retryAfter
        default:
            break
        }
        guard attempt >= 1, attempt <= schedule.count else { return .dead }
        let base = schedule[attempt - 1]
        let wait = base * (1 + jitter * (2 * random - 1))
        if let honoured {
            return .retry(after: max(wait, min(honoured, maxRetryAfter)))
        }
        return .retry(after: wait)
    }
}

extension RetryPolicy {
    /// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`, as seconds from `now` (never negative).
    public static func parseRetryAfter(_ value: String, now: Date) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
