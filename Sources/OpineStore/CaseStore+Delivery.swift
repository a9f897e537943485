import Foundation
import GRDB
import OpineCore

/// A delivery ready to be attempted, with what its body is built from.
public struct DueDelivery: Sendable {
    /// The delivery to attempt.
    public var delivery: DeliveryRecord
    /// The outbox event it delivers, whose stored data becomes the body; its `message` is kept only for an endpoint
    /// with `include_contact = true`.
    public var event: OutboxRecord
    /// Present only when the endpoint has `include_contact = true` and the event is about a case.
    public var contact: WebhookMessage.Contact?
}

/// What recording an attempt changed, for the worker to log: Core's decision and how many later deliveries of the
/// case died with it.
public struct RecordedAttempt: Sendable {
    /// What Core decided: the delivery's new state, the endpoint's health, whether later deliveries are held.
    public var consequence: AttemptConsequence
    /// Later deliveries of the same case to the same endpoint that died with this one.
    public var heldBehind: Int
}

/// One read of the delivery queue: what is due (each case's oldest open delivery per endpoint, most urgent first),
/// every endpoint's health, and when the next retry falls due.
package struct QueueScan {
    /// Due deliveries, most urgent first.
    package var due: [DueDelivery]
    /// Every endpoint's stored health, by name.
    package var health: [String: EndpointHealth]
    /// When the next retry falls due (Unix seconds), if any.
    package var nextRetryAt: Double?
}

extension CaseStore {
    /// One read of the queue for the delivery worker: every endpoint's health and, for each endpoint that may be
    /// sent to now, up to `limit` due deliveries (see `dueDeliveries`), with when the next retry falls due.
    package func scanQueue(endpoints: [Endpoint], now: Double, busy: Set<Int64>, limit: Int, perEndpoint: Int) throws -> QueueScan {
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
            var event = try OutboxRecord.fetchOne(event, arguments: [delivery.outboxID])!
            // Words for the patient go only where the patient's contact goes.
            if !endpoint.includeContact { event.message = nil }
            var details: WebhookMessage.Contact?
            if endpoint.includeContact, let caseID = event.caseID, let row = try Row.fetchOne(contact, arguments: [caseID]) {
                details = .init(name: row["patient_name"], email: row["patient_email"], phone: row["patient_phone"])
            }
            return DueDelivery(delivery: delivery, event: event, contact: details)
        }
    }

    /// Every endpoint's stored health, by name; endpoints that never had an attempt are absent.
    public func endpointHealth() throws -> [String: EndpointHealth] {
        try pool.read { try EndpointHealth.all($0) }
    }

    /// Records finished attempts in one transaction (one commit for a whole batch of transfers): load each
    /// delivery and its endpoint's health, let `AttemptPolicy` settle the attempt, persist the attempt row, the
    /// delivery's next state, any later deliveries of its case held behind a dead one, and each endpoint's health.
    /// A delivery that vanished is left out.
    public func recordAttempts(
        _ reports: [AttemptReport], settings: WebhookSettings, now: Date, random: () -> Double
    ) throws -> [Int64: RecordedAttempt] {
        guard !reports.isEmpty else { return [:] }
        return try pool.write { db in
            var health: [String: EndpointHealth] = [:]
            var recorded: [Int64: RecordedAttempt] = [:]
            let statements = try AttemptStatements(db)
            for report in reports {
                guard var delivery = try DeliveryRecord.fetchOne(statements.fetchDelivery, arguments: [report.deliveryID]) else { continue }
                try statements.insertAttempt.execute(arguments: [
                    report.deliveryID, Timestamps.format(report.startedAt), Int((report.duration * 1000).rounded()), report.status,
                    report.error, report.responseExcerpt,
                ])
                let before = try health[delivery.endpoint] ?? EndpointHealth.fetch(db, name: delivery.endpoint)
                let consequence = AttemptPolicy.settle(
                    report, progress: delivery.progress, health: before, settings: settings, now: now, random: random())
                delivery.progress = consequence.progress
                try statements.updateDelivery.execute(arguments: [
                    delivery.state.rawValue, delivery.attempts, delivery.nextAttemptAt, delivery.finishedAt, delivery.lastStatus,
                    delivery.lastError, delivery.id!,
                ])
                let heldBehind = consequence.holdsLaterDeliveries ? try holdBehind(delivery, at: Timestamps.format(now), db) : 0
                health[delivery.endpoint] = consequence.health
                recorded[report.deliveryID] = RecordedAttempt(consequence: consequence, heldBehind: heldBehind)
            }
            for entry in health.values { try entry.write(db) }
            return recorded
        }
    }

    /// The case's later open deliveries to the same endpoint die with a dead one, so none overtakes it.
    private func holdBehind(_ dead: DeliveryRecord, at: String, _ db: Database) throws -> Int {
        let columns = DeliveryRecord.Columns.self
        return try DeliveryRecord
            .filter(columns.endpoint == dead.endpoint && columns.orderingKey == dead.orderingKey)
            .filter(DeliveryState.open.map(\.rawValue).contains(columns.state) && columns.id > dead.id!)
            .updateAll(db, [
                columns.state.set(to: DeliveryState.dead.rawValue), columns.nextAttemptAt.set(to: nil),
                columns.finishedAt.set(to: at), columns.lastError.set(to: AttemptPolicy.heldBehindMessage(dead.id!)),
            ])
    }
}

/// The prepared statements `recordAttempts` runs for every attempt of a batch.
private struct AttemptStatements {
    let fetchDelivery: Statement
    let insertAttempt: Statement
    let updateDelivery: Statement

    init(_ db: Database) throws {
        fetchDelivery = try db.cachedStatement(sql: "SELECT * FROM deliveries WHERE id = ?")
        insertAttempt = try db.cachedStatement(sql: """
            INSERT INTO delivery_attempts (delivery_id, started_at, duration_ms, status, error, response_excerpt)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        updateDelivery = try db.cachedStatement(sql: """
            UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, finished_at = ?, last_status = ?,
                last_error = ? WHERE id = ?
            """)
    }
}
