import Foundation
import OpineCore
import OpineStore

/// `opine stats --json`: case counts, the oldest waiting case, rejections and the webhook backlog.
struct StatsOutput: Encodable {
    /// Cases in each state (every state, zero included).
    var byState: [String: Int]
    /// Cases of each priority, open and closed.
    var byPriority: [String: Int]
    /// Open cases (received, triaged, reviewed) of each priority.
    var openByPriority: [String: Int]
    /// The open case waiting longest; null when none is open.
    @OrNull var oldestWaiting: CaseSummaryOutput?
    /// Uploads quarantined.
    var rejected: Int
    /// Uploads removed as duplicates.
    var duplicates: Int
    /// Webhook deliveries not yet delivered: `pending`, `failed` (retrying) and `dead`.
    var webhooks: DeliveryBacklog

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case rejected, duplicates, webhooks
        case byState = "by_state", byPriority = "by_priority", openByPriority = "open_by_priority"
        case oldestWaiting = "oldest_waiting"
    }

    /// The figures as the store counted them; the oldest case's due time is under `turnaround` at `now`.
    init(_ stats: CaseStats, turnaround: TurnaroundPolicy, now: Date) {
        byState = stats.byState
        byPriority = stats.byPriority
        openByPriority = stats.openByPriority
        oldestWaiting = stats.oldestWaiting.map { CaseSummaryOutput($0, turnaround: turnaround, now: now) }
        rejected = stats.rejected
        duplicates = stats.duplicates
        webhooks = stats.webhooks
    }
}
