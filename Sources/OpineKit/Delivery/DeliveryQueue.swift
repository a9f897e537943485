import Foundation
import GRDB

/// A delivery ready to be attempted, with what its body is built from.
public struct DueDelivery: Sendable {
    public var delivery: DeliveryRecord
    public var event: OutboxRecord
    /// Present only when the endpoint has `include_contact = true` and the event is about a case.
    public var contact: WebhookMessage.Contact?
}

/// What one attempt came to, as the transport saw it.
public struct AttemptReport: Sendable {
    public var deliveryID: Int64
    public var endpoint: String
    public var startedAt: Date
    public var duration: Double
    public var outcome: RetryPolicy.Outcome
    public var error: String?
    public var responseExcerpt: String?

    public init(deliveryID: Int64, endpoint: String, startedAt: Date, duration: Double, outcome: RetryPolicy.Outcome, error: String?, responseExcerpt: String?) {
        self.deliveryID = deliveryID
        self.endpoint = endpoint
        self.startedAt = startedAt
        self.duration = duration
        self.outcome = outcome
        self.error = error
        self.responseExcerpt = responseExcerpt
    }

    public var status: Int? {
        if case .status(let code, _) = outcome { return code }
        return nil
    }
}

/// What recording an attempt changed, for the worker to log.
public struct AttemptConsequence: Sendable {
    public var delivery: DeliveryRecord
    public var event: OutboxRecord
    public var decision: RetryPolicy.Decision
    /// Later deliveries of the same case to the same endpoint that died with this one.
    public var heldBehind: Int
    public var endpointPaused: Bool
    public var endpointDisabled: Bool
}

extension CaseStore {
    /// Up to `limit` deliveries for one endpoint that are due, each the oldest open one of its case for that
    /// endpoint (so events of a case go out in order), emergencies first. `busy` are already in flight.
    public func dueDeliveries(endpoint: Endpoint, now: Double, busy: Set<Int64>, limit: Int) throws -> [DueDelivery] {
        guard limit > 0 else { return [] }
        return try pool.read { db in
            let deliveries = try DeliveryRecord.fetchAll(db, sql: """
                SELECT d.* FROM deliveries d
                WHERE d.state IN ('pending','failed') AND d.next_attempt_at <= ? AND d.endpoint = ?
                  AND NOT EXISTS (
                    SELECT 1 FROM deliveries e
                    WHERE e.endpoint = d.endpoint AND e.ordering_key = d.ordering_key
                      AND e.state IN ('pending','failed') AND e.id < d.id)
                ORDER BY d.priority_rank, d.id
                LIMIT ?
                """, arguments: [now, endpoint.name, limit + busy.count])
            return try deliveries.filter { !busy.contains($0.id!) }.prefix(limit).map { delivery in
                let event = try OutboxRecord.fetchOne(db, key: delivery.outboxID)!
                var contact: WebhookMessage.Contact?
                if endpoint.includeContact, let caseID = event.caseID, let row = try Row.fetchOne(
                    db, sql: "SELECT patient_name, patient_email, patient_phone FROM cases WHERE id = ?", arguments: [caseID]) {
                    contact = .init(name: row["patient_name"], email: row["patient_email"], phone: row["patient_phone"])
                }
                return DueDelivery(delivery: delivery, event: event, contact: contact)
            }
        }
    }

    /// When the next delivery that is not yet due falls due, so the worker can sleep until then.
    public func nextRetryTime(after now: Double) throws -> Double? {
        try pool.read { db in
            try Double.fetchOne(db, sql: """
                SELECT min(next_attempt_at) FROM deliveries WHERE state IN ('pending','failed') AND next_attempt_at > ?
                """, arguments: [now])
        }
    }

    public func endpointHealth() throws -> [String: EndpointHealth] {
        try pool.read { db in
            Dictionary(uniqueKeysWithValues: try EndpointHealth.fetchAll(db).map { ($0.name, $0) })
        }
    }

    /// Records an attempt and its consequences in one transaction: the attempt row, the delivery's next state
    /// (retry, delivered or dead, and any later deliveries of its case held behind a dead one), and the endpoint's
    /// health.
    public func recordAttempt(
        _ report: AttemptReport, settings: WebhookSettings, now: Date, random: Double
    ) throws -> AttemptConsequence {
        try pool.write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: report.deliveryID) else {
                throw StoreError.invalidInput("delivery \(report.deliveryID) vanished while in flight")
            }
            let event = try OutboxRecord.fetchOne(db, key: delivery.outboxID)!
            let at = Timestamps.format(now)
            let seconds = now.timeIntervalSince1970
            var attempt = DeliveryAttemptRecord(
                deliveryID: report.deliveryID, startedAt: Timestamps.format(report.startedAt),
                durationMs: Int((report.duration * 1000).rounded()), status: report.status, error: report.error,
                responseExcerpt: report.responseExcerpt)
            try attempt.insert(db)

            delivery.attempts += 1
            delivery.lastStatus = report.status
            delivery.lastError = report.error
            let decision = settings.retry.decide(after: report.outcome, attempt: delivery.attempts, random: random)
            var health = try EndpointHealth.fetchOne(db, key: delivery.endpoint) ?? EndpointHealth(name: delivery.endpoint)
            var paused = false, disabled = false, heldBehind = 0
            switch decision {
            case .delivered:
                delivery.state = .delivered
                delivery.nextAttemptAt = nil
                delivery.finishedAt = at
                health.recordSuccess(at: seconds)
            case .retry(let wait):
                delivery.state = .failed
                delivery.nextAttemptAt = seconds + wait
                paused = health.recordFailure(at: seconds, pauseAfter: settings.pauseAfter, probeInterval: settings.probeInterval)
            case .dead:
                delivery.state = .dead
                delivery.nextAttemptAt = nil
                delivery.finishedAt = at
                paused = health.recordFailure(at: seconds, pauseAfter: settings.pauseAfter, probeInterval: settings.probeInterval)
                try db.execute(sql: """
                    UPDATE deliveries SET state = 'dead', next_attempt_at = NULL, finished_at = ?,
                        last_error = 'held behind dead delivery ' || ? || ' of the same case'
                    WHERE endpoint = ? AND ordering_key = ? AND state IN ('pending','failed') AND id > ?
                    """, arguments: [at, delivery.id!, delivery.endpoint, delivery.orderingKey, delivery.id!])
                heldBehind = db.changesCount
            case .disableEndpoint:
                // Not the delivery's fault: it waits, due, until the endpoint is enabled again.
                delivery.state = .failed
                delivery.nextAttemptAt = seconds
                delivery.attempts -= 1
                health.disable(at: seconds, reason: "answered 410 Gone")
                disabled = true
            }
            try delivery.update(db)
            try health.save(db)
            return AttemptConsequence(
                delivery: delivery, event: event, decision: decision, heldBehind: heldBehind,
                endpointPaused: paused, endpointDisabled: disabled)
        }
    }
}
