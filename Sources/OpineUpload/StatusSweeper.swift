import Foundation
import Logging
import OpineCore
import ServiceLifecycle

/// Removes submissions' records and status links `uploads.status_kept_days` after their last change: at start, then
/// hourly, until the service stops.
struct StatusSweeper: Service {
    let submissions: SubmissionBook
    let keptFor: TimeInterval
    let logger: Logger
    /// Between sweeps.
    var interval: Duration = .seconds(3600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweepOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One sweep; a failure is logged and tried again at the next.
    func sweepOnce() async {
        do {
            let removed = try await submissions.sweep(now: Date(), keptFor: keptFor)
            if removed > 0 { logger.notice("submissions' status removed after uploads.status_kept_days", metadata: ["count": "\(removed)"]) }
        } catch {
            logger.error("status sweep failed; trying again in an hour", metadata: ["why": "\(error)"])
        }
    }
}
