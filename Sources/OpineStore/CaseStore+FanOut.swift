import Foundation
import GRDB
import OpineCore

extension CaseStore {
    /// Gives each event not yet fanned out its `webhook-id` and one delivery per endpoint that wants it, in one
    /// transaction, so a crash leaves an event either untouched or fully fanned out. Who gets what, in which order and
    /// whether a delivery starts held behind a dead one is `FanOutPolicy`'s; this loads and persists. Returns how many
    /// events it took.
    @discardableResult
    public func fanOut(to endpoints: [Endpoint], now: Date, limit: Int = 500) throws -> Int {
        let waiting = try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE webhook_id IS NULL)") ?? false
        }
        guard waiting else { return 0 }
        return try pool.write { db in
            let events = try OutboxRecord.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM outbox WHERE webhook_id IS NULL ORDER BY id LIMIT ?
                """), arguments: [limit])
            let setWebhookID = try db.cachedStatement(sql: "UPDATE outbox SET webhook_id = ? WHERE id = ?")
            let deadAhead = try db.cachedStatement(sql: """
                SELECT id FROM deliveries WHERE endpoint = ? AND ordering_key = ? AND state = 'dead' ORDER BY id LIMIT 1
                """)
            let at = Timestamps.format(now)
            for event in events {
                try setWebhookID.execute(arguments: [Self.newWebhookID(), event.id!])
                let orderingKey = FanOutPolicy.orderingKey(caseID: event.caseID, rejectionID: event.rejectionID, outboxID: event.id!)
                for endpoint in FanOutPolicy.recipients(of: event.type, among: endpoints) {
                    let dead = try Int64.fetchOne(deadAhead, arguments: [endpoint.name, orderingKey])
                    var delivery = DeliveryRecord(
                        outboxID: event.id!, endpoint: endpoint.name, orderingKey: orderingKey, priorityRank: event.priorityRank,
                        progress: FanOutPolicy.start(deadAhead: dead, now: now), createdAt: at)
                    try delivery.insert(db)
                }
            }
            return events.count
        }
    }

    /// `msg_` and 32 lowercase hex digits of a random UUID: unique per event, stable across its attempts.
    static func newWebhookID() -> String {
        withUnsafeBytes(of: UUID().uuid) { Hex.lowercase($0, prefix: "msg_") }
    }
}

extension DeliveryRecord {
    /// A new delivery of an outbox event to one endpoint, starting as fan-out decided.
    init(outboxID: Int64, endpoint: String, orderingKey: String, priorityRank: Int, progress: DeliveryProgress, createdAt: String) {
        self.init(
            outboxID: outboxID, endpoint: endpoint, orderingKey: orderingKey, priorityRank: priorityRank, state: progress.state,
            attempts: progress.attempts, nextAttemptAt: progress.nextAttemptAt, createdAt: createdAt, finishedAt: progress.finishedAt,
            lastStatus: progress.lastStatus, lastError: progress.lastError)
    }
}
