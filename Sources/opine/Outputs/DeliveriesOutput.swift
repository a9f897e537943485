import OpineCore
import OpineStore
import Foundation

/// `opine deliveries --json`: webhook deliveries and every attempt at each.
struct DeliveriesOutput: Encodable {
    /// One page of deliveries: newest first, or with `--case` in the order the case's events are sent.
    var deliveries: [Delivery]
    /// The `--offset` that shows the next page; null on the last page.
    @OrNull var nextOffset: Int?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case deliveries
        case nextOffset = "next_offset"
    }

    /// One event for one endpoint.
    struct Delivery: Encodable {
        /// The delivery id (`opine redeliver ID`).
        var id: Int64
        /// The webhook event type, such as `case.received`.
        var event: NotificationType
        /// The `webhook-id` sent (the same on every attempt); null until the event is fanned out.
        @OrNull var webhookID: String?
        /// The case the event is about; null for events about a rejected upload.
        @OrNull var caseID: String?
        /// The endpoint's name.
        var endpoint: String
        /// `pending`, `failed`, `delivered` or `dead`.
        var state: DeliveryState
        /// When the delivery was queued (ISO 8601, UTC).
        var createdAt: String
        /// When it was delivered or given up; null while it is still being tried.
        @OrNull var finishedAt: String?
        /// When the next attempt is due (ISO 8601, UTC); null once delivered or dead.
        @OrNull var nextAttemptAt: String?
        /// Why a delivery still to be sent is not being sent: `endpoint_disabled` or `endpoint_paused`; null when it
        /// is not held.
        @OrNull var held: DeliveryHold?
        /// Attempts in the current round (`opine redeliver` starts a new round).
        var attemptsThisRound: Int
        /// The HTTP status of the last attempt; null when it got no answer or was not tried yet.
        @OrNull var lastStatus: Int?
        /// Why the last attempt failed; null when it did not.
        @OrNull var lastError: String?
        /// Every attempt, of every round, oldest first.
        var attempts: [Attempt]

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case id, event, endpoint, state, attempts, held
            case webhookID = "webhook_id", caseID = "case_id", createdAt = "created_at", finishedAt = "finished_at"
            case nextAttemptAt = "next_attempt_at", attemptsThisRound = "attempts_this_round"
            case lastStatus = "last_status", lastError = "last_error"
        }

        /// The delivery, its event and its attempts as the store read them, and its hold if any.
        init(_ listing: DeliveryListing, held: DeliveryHold?) {
            self.held = held
            let delivery = listing.delivery
            id = delivery.id ?? 0
            event = listing.event.type
            webhookID = listing.event.webhookID
            caseID = listing.event.caseID
            endpoint = delivery.endpoint
            state = delivery.state
            createdAt = delivery.createdAt
            finishedAt = delivery.finishedAt
            nextAttemptAt = delivery.nextAttemptAt.map { Timestamps.format(Date(timeIntervalSince1970: $0)) }
            attemptsThisRound = delivery.attempts
            lastStatus = delivery.lastStatus
            lastError = delivery.lastError
            attempts = listing.attempts.map(Attempt.init)
        }
    }

    /// One try at sending a delivery.
    struct Attempt: Encodable {
        /// When it began (ISO 8601, UTC).
        var startedAt: String
        /// How long it took.
        var durationMs: Int
        /// The HTTP status; null when no answer came.
        @OrNull var status: Int?
        /// Why it failed; null when it did not.
        @OrNull var error: String?
        /// The first bytes of the answer, unprintable bytes escaped; null when there was none.
        @OrNull var response: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case status, error, response
            case startedAt = "started_at", durationMs = "duration_ms"
        }

        /// The attempt as the store keeps it.
        init(_ attempt: DeliveryAttemptRecord) {
            startedAt = attempt.startedAt
            durationMs = attempt.durationMs
            status = attempt.status
            error = attempt.error
            response = attempt.responseExcerpt
        }
    }
}

/// `opine redeliver --json`: what was queued again, and which endpoints will hold it back.
struct RedeliverOutput: Encodable {
    /// The delivery ids queued again.
    var redelivered: [Int64]
    /// Configured endpoints that are disabled or paused, so their replays wait (`opine endpoints enable NAME`).
    var endpointsNotSending: [String]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case redelivered
        case endpointsNotSending = "endpoints_not_sending"
    }
}
