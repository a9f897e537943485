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
            let events = try OutboxRecord.filter(Column("webhook_id") == nil).order(Column("id")).limit(limit).fetchAll(db)
            let at = Timestamps.format(now)
            for var event in events {
                event.webhookID = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                try event.update(db, columns: [OutboxRecord.CodingKeys.webhookID.rawValue])
                let orderingKey = event.caseID ?? "rejection:\(event.rejectionID ?? event.id!)"
                for endpoint in endpoints where endpoint.events.contains(event.type) {
                    // Behind a dead delivery of the same case, a later event would arrive out of order: it waits
                    // with it, dead, until an operator replays them together.
                    let deadAhead = try Int64.fetchOne(db, sql: """
                        SELECT id FROM deliveries WHERE endpoint = ? AND ordering_key = ? AND state = 'dead' ORDER BY id LIMIT 1
                        """, arguments: [endpoint.name, orderingKey])
                    var delivery = DeliveryRecord(
                        outboxID: event.id!, endpoint: endpoint.name, orderingKey: orderingKey,
                        priorityRank: Self.deliveryRank(event), state: deadAhead == nil ? .pending : .dead, attempts: 0,
                        nextAttemptAt: deadAhead == nil ? now.timeIntervalSince1970 : nil, createdAt: at,
                        finishedAt: deadAhead == nil ? nil : at, lastStatus: nil,
                        lastError: deadAhead.map { "held behind dead delivery \($0) of the same case" })
                    try delivery.insert(db)
                }
            }
            return events.count
        }
    }

    /// Emergencies go before everything else, then each event by its case's priority.
    static func deliveryRank(_ event: OutboxRecord) -> Int {
        if event.type == .caseEmergency { return Priority.emergency.rank }
        return (try? NotificationData.decode(event.data).priority)?.rank ?? Priority.routine.rank
    }
}
