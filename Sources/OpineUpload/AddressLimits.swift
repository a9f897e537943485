import Foundation
import HTTPTypes
import OpineCore

/// Each client address's use in the current hour, held in memory (a restart forgets it, which at worst lets an
/// address start an hour afresh); `UploadLimiter` decides, this actor keeps the windows.
actor AddressLimits {
    private let limiter: UploadLimiter
    private var windows: [String: RateWindow] = [:]
    private var lastPrune = Date()

    init(_ limits: UploadSettings.Limits) {
        limiter = UploadLimiter(requestsPerHour: limits.requestsPerHour, bytesPerHour: limits.bytesPerHour)
    }

    /// Counts `use` for `address`, or throws the 429 the contract gives, with `Retry-After`.
    func admit(_ use: UploadLimiter.Use, address: String, tus: Bool = false, now: Date = Date()) throws(APIFailure) {
        prune(now)
        switch limiter.decide(use, window: windows[address], now: now) {
        case .allow(let window):
            windows[address] = window
        case .refuse(let retryAfter, let sentence):
            var headers = HTTPFields()
            headers[.retryAfter] = String(retryAfter)
            if tus { headers[TusHeaders.resumable] = TusHeaders.version }
            throw APIFailure(429, sentence, headers: headers)
        }
    }

    private func prune(_ now: Date) {
        guard now.timeIntervalSince(lastPrune) > 60 else { return }
        lastPrune = now
        windows = windows.filter { !limiter.isOver($0.value, now: now) }
    }
}
