import Foundation
import GRDB

extension CaseStore {
    /// Gives each event not yet fanned out its `webhook-id` and one delivery per endpoint that wants it, in one
    /// transaction, so a crash leaves an event either untouched or fully fanned out. Returns how many events it took.
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
            // Behind a dead delivery of the same case, a later event would arrive out of order: it waits with it,
            // dead, until an operator replays them together.
            let deadAhead = try db.cachedStatement(sql: """
                SELECT id FROM deliveries WHERE endpoint = ? AND ordering_key = ? AND state = 'dead' ORDER BY id LIMIT 1
                """)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO deliveries (outbox_id, endpoint, ordering_key, priority_rank, state, attempts, next_attempt_at,
                    created_at, finished_at, last_error)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
                """)
            let at = Timestamps.format(now)
            for event in events {
                try setWebhookID.execute(arguments: [Self.newWebhookID(), event.id!])
                let orderingKey = event.caseID ?? "rejection:\(event.rejectionID ?? event.id!)"
                let rank = Self.deliveryRank(event)
                for endpoint in endpoints where endpoint.events.contains(event.type) {
                    let dead = try Int64.fetchOne(deadAhead, arguments: [endpoint.name, orderingKey])
                    try insert.execute(arguments: [
                        event.id!, endpoint.name, orderingKey, rank, dead == nil ? "pending" : "dead",
                        dead == nil ? now.timeIntervalSince1970 : nil, at, dead == nil ? nil : at,
                        dead.map { "held behind dead delivery \($0) of the same case" },
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

    /// Emergencies go before everything else, then each event by its case's priority.
    static func deliveryRank(_ event: OutboxRecord) -> Int {
        if event.type == .caseEmergency { return Priority.emergency.rank }
        return (try? NotificationData.decode(event.data).priority)?.rank ?? Priority.routine.rank
    }
}
