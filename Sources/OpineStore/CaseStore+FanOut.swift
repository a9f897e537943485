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
            let insert = try db.cachedStatement(sql: """
                INSERT INTO deliveries (outbox_id, endpoint, ordering_key, priority_rank, state, attempts, next_attempt_at,
                    created_at, finished_at, last_error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let at = Timestamps.format(now)
            for event in events {
                try setWebhookID.execute(arguments: [Self.newWebhookID(), event.id!])
                let orderingKey = FanOutPolicy.orderingKey(caseID: event.caseID, rejectionID: event.rejectionID, outboxID: event.id!)
                for endpoint in FanOutPolicy.recipients(of: event.type, among: endpoints) {
                    let dead = try Int64.fetchOne(deadAhead, arguments: [endpoint.name, orderingKey])
                    let start = FanOutPolicy.start(deadAhead: dead, now: now)
                    // A prepared statement rather than the record's insert: fan-out writes thousands a second.
                    try insert.execute(arguments: [
                        event.id!, endpoint.name, orderingKey, event.priorityRank, start.state.rawValue, start.attempts,
                        start.nextAttemptAt, at, start.finishedAt, start.lastError,
                    ])
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
