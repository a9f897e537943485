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
    public var decision: RetryPolicy.Decision
    /// Later deliveries of the same case to the same endpoint that died with this one.
    public var heldBehind: Int
    public var endpointPaused: Bool
    public var endpointDisabled: Bool
    /// The endpoint's health after this attempt.
    public var health: EndpointHealth
}

extension CaseStore {
    /// One read of the queue for the delivery worker: every endpoint's health and, for each endpoint that may be
    /// sent to now, up to `limit` due deliveries (see `dueDeliveries`), with when the next retry falls due.
    func scanQueue(endpoints: [Endpoint], now: Double, busy: Set<Int64>, limit: Int, perEndpoint: Int) throws -> QueueScan {
        try pool.read { db in
            let health = try EndpointHealth.all(db)
            var due: [DueDelivery] = []
            for endpoint in endpoints {
                let allowance = (health[endpoint.name] ?? EndpointHealth(name: endpoint.name)).allowance(perEndpoint: perEndpoint, now: now)
                // A paused endpoint gets one probe; more would only be held back.
                due += try dueDeliveries(db, endpoint: endpoint, now: now, busy: busy, limit: allowance < perEndpoint ? allowance : limit)
            }
            due.sort { ($0.delivery.priorityRank, $0.delivery.id!) < ($1.delivery.priorityRank, $1.delivery.id!) }
            let next = try Double.fetchOne(db.cachedStatement(sql: """
                SELECT min(next_attempt_at) FROM deliveries WHERE state IN ('pending','failed') AND next_attempt_at > ?
                """), arguments: [now])
            return QueueScan(due: due, health: health, nextRetryAt: next)
        }
    }

    /// Up to `limit` deliveries for one endpoint that are due, each the oldest open one of its case for that
    /// endpoint (so events of a case go out in order), emergencies first. `busy` are already in flight.
    private func dueDeliveries(_ db: Database, endpoint: Endpoint, now: Double, busy: Set<Int64>, limit: Int) throws -> [DueDelivery] {
        guard limit > 0 else { return [] }
        let deliveries = try DeliveryRecord.fetchAll(db.cachedStatement(sql: """
            SELECT d.* FROM deliveries d
            WHERE d.state IN ('pending','failed') AND d.next_attempt_at <= ? AND d.endpoint = ?
              AND NOT EXISTS (
                SELECT 1 FROM deliveries e
                WHERE e.endpoint = d.endpoint AND e.ordering_key = d.ordering_key
                  AND e.state IN ('pending','failed') AND e.id < d.id)
            ORDER BY d.priority_rank, d.id
            LIMIT ?
            """), arguments: [now, endpoint.name, limit + busy.count])
        let event = try db.cachedStatement(sql: "SELECT * FROM outbox WHERE id = ?")
        let contact = try db.cachedStatement(sql: "SELECT patient_name, patient_email, patient_phone FROM cases WHERE id = ?")
        return try deliveries.filter { !busy.contains($0.id!) }.prefix(limit).map { delivery in
            let event = try OutboxRecord.fetchOne(event, arguments: [delivery.outboxID])!
            var details: WebhookMessage.Contact?
            if endpoint.includeContact, let caseID = event.caseID, let row = try Row.fetchOne(contact, arguments: [caseID]) {
                details = .init(name: row["patient_name"], email: row["patient_email"], phone: row["patient_phone"])
            }
            return DueDelivery(delivery: delivery, event: event, contact: details)
        }
    }

    public func endpointHealth() throws -> [String: EndpointHealth] {
        try pool.read { try EndpointHealth.all($0) }
    }

    /// Records finished attempts and their consequences in one transaction (one commit for a whole batch of
    /// transfers): each attempt row, each delivery's next state (retry, delivered or dead, and any later deliveries
    /// of its case held behind a dead one), and each endpoint's health. A delivery that vanished is left out.
    public func recordAttempts(
        _ reports: [AttemptReport], settings: WebhookSettings, now: Date, random: () -> Double
    ) throws -> [Int64: AttemptConsequence] {
        guard !reports.isEmpty else { return [:] }
        return try pool.write { db in
            var health: [String: EndpointHealth] = [:]
            var consequences: [Int64: AttemptConsequence] = [:]
            let fetchDelivery = try db.cachedStatement(sql: "SELECT * FROM deliveries WHERE id = ?")
            let insertAttempt = try db.cachedStatement(sql: """
                INSERT INTO delivery_attempts (delivery_id, started_at, duration_ms, status, error, response_excerpt)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            let updateDelivery = try db.cachedStatement(sql: """
                UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, finished_at = ?, last_status = ?,
                    last_error = ? WHERE id = ?
                """)
            let at = Timestamps.format(now)
            let seconds = now.timeIntervalSince1970
            for report in reports {
                guard var delivery = try DeliveryRecord.fetchOne(fetchDelivery, arguments: [report.deliveryID]) else { continue }
                try insertAttempt.execute(arguments: [
                    report.deliveryID, Timestamps.format(report.startedAt), Int((report.duration * 1000).rounded()), report.status,
                    report.error, report.responseExcerpt,
                ])
                delivery.attempts += 1
                delivery.lastStatus = report.status
                delivery.lastError = report.error
                let decision = settings.retry.decide(after: report.outcome, attempt: delivery.attempts, random: random())
                var endpoint = try health[delivery.endpoint] ?? EndpointHealth.fetch(db, name: delivery.endpoint)
                var paused = false, disabled = false, heldBehind = 0
                switch decision {
                case .delivered:
                    delivery.state = .delivered
                    delivery.nextAttemptAt = nil
                    delivery.finishedAt = at
                    endpoint.recordSuccess(at: seconds)
                case .retry(let wait):
                    delivery.state = .failed
                    delivery.nextAttemptAt = seconds + wait
                    paused = endpoint.recordFailure(at: seconds, pauseAfter: settings.pauseAfter, probeInterval: settings.probeInterval)
                case .dead:
                    delivery.state = .dead
                    delivery.nextAttemptAt = nil
                    delivery.finishedAt = at
                    paused = endpoint.recordFailure(at: seconds, pauseAfter: settings.pauseAfter, probeInterval: settings.probeInterval)
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
                    endpoint.disable(at: seconds, reason: "answered 410 Gone")
                    disabled = true
                }
                try updateDelivery.execute(arguments: [
                    delivery.state.rawValue, delivery.attempts, delivery.nextAttemptAt, delivery.finishedAt, delivery.lastStatus,
                    delivery.lastError, delivery.id!,
                ])
                health[delivery.endpoint] = endpoint
                consequences[report.deliveryID] = AttemptConsequence(
                    delivery: delivery, decision: decision, heldBehind: heldBehind, endpointPaused: paused,
                    endpointDisabled: disabled, health: endpoint)
            }
            for entry in health.values { try entry.write(db) }
            return consequences
        }
    }
}
