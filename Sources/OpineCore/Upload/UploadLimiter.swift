import Foundation

/// One address's use within the current hour: a fixed window that starts with the first use after the last one ended.
public struct RateWindow: Sendable, Equatable, Codable {
    /// When this window began.
    public var start: Date
    /// New requests (drafts) started in it.
    public var requests: Int
    /// Bytes uploaded in it.
    public var bytes: Int64

    /// An empty window starting at `start`.
    public init(start: Date, requests: Int = 0, bytes: Int64 = 0) {
        self.start = start
        self.requests = requests
        self.bytes = bytes
    }
}

/// The per-address hourly limits on new requests and on bytes (`limits.requests_per_hour`, `limits.bytes_per_hour`):
/// decides from an address's window whether one more use is allowed, and returns the window to keep.
public struct UploadLimiter: Sendable, Equatable {
    /// What one use is.
    public enum Use: Sendable, Equatable {
        /// A new request being prepared (a draft).
        case request
        /// Bytes of an upload.
        case bytes(Int64)
    }

    /// What to do with a use.
    public enum Decision: Sendable, Equatable {
        /// Allowed; keep this window.
        case allow(RateWindow)
        /// Refused: the address may try again after this many seconds (whole, at least 1).
        case refuse(retryAfter: Int, sentence: String)
    }

    /// New requests one address may start per window.
    public var requestsPerWindow: Int
    /// Bytes one address may upload per window.
    public var bytesPerWindow: Int64
    /// The window's length: an hour.
    public var windowSeconds: Double = 3600

    /// A limiter with these limits per hour.
    public init(requestsPerHour: Int, bytesPerHour: Int64) {
        requestsPerWindow = requestsPerHour
        bytesPerWindow = bytesPerHour
    }

    /// Whether `use` is allowed for an address whose window is `window` (nil when it has none), at `now`.
    public func decide(_ use: Use, window: RateWindow?, now: Date) -> Decision {
        var current = window.flatMap { now.timeIntervalSince($0.start) < windowSeconds && now >= $0.start ? $0 : nil } ?? RateWindow(start: now)
        let retryAfter = max(1, Int((current.start.addingTimeInterval(windowSeconds).timeIntervalSince(now)).rounded(.up)))
        switch use {
        case .request:
            guard current.requests < requestsPerWindow else {
                return .refuse(retryAfter: retryAfter, sentence: "Too many requests were started from this connection in the last hour; please try again in \(Self.minutes(retryAfter)), or call the practice.")
            }
            current.requests += 1
        case .bytes(let count):
            guard current.bytes + count <= bytesPerWindow else {
                return .refuse(retryAfter: retryAfter, sentence: "More was uploaded from this connection in the last hour than the practice allows; the upload resumes by itself if you try again in \(Self.minutes(retryAfter)).")
            }
            current.bytes += count
        }
        return .allow(current)
    }

    /// Whether a window has ended at `now` and can be forgotten.
    public func isOver(_ window: RateWindow, now: Date) -> Bool { now.timeIntervalSince(window.start) >= windowSeconds }

    private static func minutes(_ seconds: Int) -> String {
        let minutes = (seconds + 59) / 60
        return minutes == 1 ? "a minute" : "\(minutes) minutes"
    }
}
