import Foundation
import GRDB
import OpineCore

/// One webhook endpoint's figures: whether it is sending, what waits for it, and how long since it last took a
/// delivery. A disabled endpoint's pending deliveries are held until an operator enables it, so an alert on these
/// series is what notices them.
public struct EndpointFigures: Sendable, Equatable {
    /// The endpoint's name under `[endpoints]`.
    public var name: String
    /// Active, failing, paused or disabled (`EndpointHealth.status`).
    public var status: EndpointHealth.Status
    /// Deliveries not yet delivered, by state (`pending`, `failed`, `dead`).
    public var deliveries: [DeliveryState: Int]
    /// Seconds since an attempt last succeeded; nil before the first success.
    public var secondsSinceSuccess: Double?

    /// The delivery states counted per endpoint: delivered rows only grow, and are counted overall.
    public static let countedStates: [DeliveryState] = [.pending, .failed, .dead]

    /// Records one endpoint's figures.
    public init(name: String, status: EndpointHealth.Status, deliveries: [DeliveryState: Int], secondsSinceSuccess: Double?) {
        self.name = name
        self.status = status
        self.deliveries = deliveries
        self.secondsSinceSuccess = secondsSinceSuccess
    }

    static func families(_ endpoints: [EndpointFigures], _ text: inout PrometheusText) {
        text.family("opine_webhook_endpoint_state", .gauge, "1 for the state each endpoint is in (active, failing, paused, disabled), 0 for the others.",
                    endpoints.flatMap { endpoint in
                        EndpointHealth.Status.allCases.map { ([("endpoint", endpoint.name), ("state", $0.rawValue)], endpoint.status == $0 ? 1 : 0) }
                    })
        text.family("opine_webhook_endpoint_deliveries", .gauge, "Deliveries to each endpoint not yet delivered, by state (pending, failed, dead).",
                    endpoints.flatMap { endpoint in
                        countedStates.map { ([("endpoint", endpoint.name), ("state", $0.rawValue)], Double(endpoint.deliveries[$0] ?? 0)) }
                    })
        text.family("opine_webhook_endpoint_last_success_age_seconds", .gauge, "Seconds since each endpoint last took a delivery (absent before its first).",
                    endpoints.compactMap { endpoint in endpoint.secondsSinceSuccess.map { ([("endpoint", endpoint.name)], $0) } })
    }
}

extension CaseStore {
    /// The configured endpoints' figures, and those of any endpoint no longer configured that still has deliveries
    /// waiting (they would wait forever): one grouped read of the open deliveries and one of `endpoint_health`.
    func endpointFigures(_ db: Database, configured: [String], now: Date) throws -> [EndpointFigures] {
        var counts: [String: [DeliveryState: Int]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT endpoint, state, COUNT(*) AS n FROM deliveries WHERE state IN ('pending','failed','dead') GROUP BY endpoint, state
            """) {
            guard let state = DeliveryState(rawValue: row["state"]) else { continue }
            counts[row["endpoint"], default: [:]][state] = row["n"]
        }
        let health = try EndpointHealth.all(db)
        let names = Set(configured).union(counts.keys).sorted()
        return names.map { name in
            let stored = health[name] ?? EndpointHealth(name: name)
            let since = stored.lastSuccessAt.flatMap(Timestamps.parse).map { max(0, now.timeIntervalSince($0)) }
            return EndpointFigures(name: name, status: stored.status, deliveries: counts[name] ?? [:], secondsSinceSuccess: since)
        }
    }
}
