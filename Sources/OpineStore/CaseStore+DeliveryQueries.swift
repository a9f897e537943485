import Foundation
import GRDB
import OpineCore

/// Which deliveries `opine deliveries` lists; every field left nil matches everything.
public struct DeliveryFilter: Sendable {
    /// Only this case's deliveries, listed in sending order instead of newest first.
    public var caseID: String?
    /// Only deliveries in this state.
    public var state: DeliveryRecord.State?
    /// Only deliveries to this endpoint.
    public var endpoint: String?
    /// The most to list in one page.
    public var limit = 50
    /// How many to skip, for paging.
    public var offset = 0

    /// A filter matching every delivery, first page.
    public init() {}
}

/// A delivery as `opine deliveries` shows it: what was sent where, and every attempt.
public struct DeliveryListing: Sendable {
    /// The delivery as stored.
    public var delivery: DeliveryRecord
    /// The outbox event it delivers.
    public var event: OutboxRecord
    /// Every attempt at it, oldest first, across replays.
    public var attempts: [DeliveryAttemptRecord]
}

/// An endpoint as `opine endpoints` shows it.
public struct EndpointSummary: Sendable {
    /// The endpoint as configured.
    public var endpoint: Endpoint
    /// Its stored health, or a fresh one if it never had an attempt.
    public var health: EndpointHealth
    /// Deliveries waiting for a first attempt.
    public var pending: Int
    /// Deliveries that failed and wait for a retry.
    public var failed: Int
    /// Deliveries that are dead and need `opine redeliver`.
    public var dead: Int
}

extension CaseStore {
    /// Newest first; for one case, oldest first, the order its events are sent in.
    public func deliveries(_ filter: DeliveryFilter) throws -> [DeliveryListing] {
        let columns = DeliveryRecord.Columns.self
        return try pool.read { db in
            var request = DeliveryRecord.all()
            if let caseID = filter.caseID {
                guard try CaseRecord.filter(CaseRecord.Columns.id == caseID).fetchCount(db) > 0 else { throw StoreError.caseNotFound(caseID) }
                request = request.filter(columns.orderingKey == caseID).order(columns.id)
            } else {
                request = request.order(columns.id.desc)
            }
            if let state = filter.state { request = request.filter(columns.state == state.rawValue) }
            if let endpoint = filter.endpoint { request = request.filter(columns.endpoint == endpoint) }
            let deliveries = try request.limit(filter.limit, offset: filter.offset).fetchAll(db)
            return try deliveries.map { delivery in
                DeliveryListing(
                    delivery: delivery, event: try OutboxRecord.fetchOne(db, key: delivery.outboxID)!,
                    attempts: try DeliveryAttemptRecord.filter(DeliveryAttemptRecord.Columns.deliveryID == delivery.id!).order(DeliveryAttemptRecord.Columns.id).fetchAll(db))
            }
        }
    }

    /// Which deliveries `opine redeliver` releases.
    public enum Replay: Sendable {
        /// This delivery, whatever its state (a delivered one is sent again).
        case delivery(Int64)
        /// The case's failed and dead deliveries, optionally to one endpoint.
        case failedOrDead(caseID: String, endpoint: String?)
        /// Every dead delivery to the endpoint.
        case dead(endpoint: String)
    }

    /// Makes deliveries due now with a fresh round of attempts (their attempt history is kept). Returns their ids.
    public func redeliver(_ replay: Replay, now: Date) throws -> [Int64] {
        let columns = DeliveryRecord.Columns.self
        return try pool.write { db in
            let ids: [Int64]
            switch replay {
            case .delivery(let id):
                guard try DeliveryRecord.fetchOne(db, key: id) != nil else {
                    throw StoreError.notFound("no delivery \(id); `opine deliveries` lists them")
                }
                ids = [id]
            case .failedOrDead(let caseID, let endpoint):
                guard try CaseRecord.filter(CaseRecord.Columns.id == caseID).fetchCount(db) > 0 else { throw StoreError.caseNotFound(caseID) }
                var request = DeliveryRecord.filter(columns.orderingKey == caseID && [DeliveryState.failed, .dead].map(\.rawValue).contains(columns.state))
                if let endpoint { request = request.filter(columns.endpoint == endpoint) }
                ids = try Int64.fetchAll(db, request.select(columns.id).order(columns.id))
            case .dead(let endpoint):
                ids = try Int64.fetchAll(db, DeliveryRecord.select(columns.id)
                    .filter(columns.endpoint == endpoint && columns.state == DeliveryState.dead.rawValue).order(columns.id))
            }
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[chunk..<min(chunk + 500, ids.count)])
                // Every replayed delivery gets the same released values; only their last status and error differ.
                let released = AttemptPolicy.replayed(DeliveryProgress(state: .dead), now: now)
                try DeliveryRecord.filter(slice.contains(columns.id)).updateAll(db, [
                    columns.state.set(to: released.state.rawValue), columns.attempts.set(to: released.attempts),
                    columns.nextAttemptAt.set(to: released.nextAttemptAt), columns.finishedAt.set(to: released.finishedAt),
                ])
            }
            return ids
        }
    }

    /// Clears a 410 disable or a pause: the endpoint's waiting deliveries go out at once.
    public func enableEndpoint(_ name: String) throws -> EndpointHealth {
        try pool.write { db in
            var health = try EndpointHealth.fetch(db, name: name)
            health.enable()
            try health.write(db)
            return health
        }
    }

    /// Each given endpoint with its health and its undelivered counts, in the order given.
    public func endpointSummaries(_ endpoints: [Endpoint]) throws -> [EndpointSummary] {
        try pool.read { db in
            try endpoints.map { endpoint in
                var counts: [String: Int] = [:]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT state, count(*) AS n FROM deliveries
                    WHERE endpoint = ? AND state IN ('pending','failed','dead') GROUP BY state
                    """, arguments: [endpoint.name])
                for row in rows { counts[row["state"]] = row["n"] }
                return EndpointSummary(
                    endpoint: endpoint, health: try EndpointHealth.fetch(db, name: endpoint.name),
                    pending: counts["pending"] ?? 0, failed: counts["failed"] ?? 0, dead: counts["dead"] ?? 0)
            }
        }
    }

    /// Deliveries not yet delivered, by state, for `opine stats`.
    func deliveryBacklog(_ db: Database) throws -> DeliveryBacklog {
        var backlog = DeliveryBacklog()
        for row in try Row.fetchAll(db, sql: """
            SELECT state, count(*) AS n FROM deliveries WHERE state IN ('pending','failed','dead') GROUP BY state
            """) {
            let count: Int = row["n"]
            switch DeliveryState(rawValue: row["state"]) {
            case .pending: backlog.pending = count
            case .failed: backlog.failed = count
            case .dead: backlog.dead = count
            case .delivered, nil: break
            }
        }
        return backlog
    }
}

/// Webhook deliveries not yet delivered: waiting for a first attempt, retrying, and dead (needing `opine redeliver`).
public struct DeliveryBacklog: Codable, Sendable, Equatable {
    /// Waiting for a first attempt (or just replayed).
    public var pending = 0
    /// Failed and waiting for a retry.
    public var failed = 0
    /// Out of attempts, or held behind a dead one.
    public var dead = 0

    /// Still to be sent on their own: pending and retrying.
    public var waiting: Int { pending + failed }
}
