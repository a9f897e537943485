import Foundation
import GRDB
import OpineCore

/// The figures ops graph and alert on, in the Prometheus text format: no patient data, only counts and times.
public struct Metrics: Sendable {
    /// How many cases are in each state at each priority; also summed as the intake counter.
    public var casesByStateAndPriority: [CaseState: [Priority: Int]] = [:]
    /// How long the oldest open case has waited, nil when none is open.
    public var oldestWaitingSeconds: Double?
    /// Uploads quarantined with a reason, ever.
    public var rejections = 0
    /// Uploads removed as duplicates, ever.
    public var duplicates = 0
    /// Webhook deliveries in each state.
    public var deliveriesByState: [DeliveryState: Int] = [:]
    /// Attempts that did not get a 2xx (an error status, a timeout or no answer), ever.
    public var failedAttempts = 0
    /// When the newest case arrived, nil before the first.
    public var lastIntakeAt: Date?
    /// Open cases past their due time (`TurnaroundPolicy`), per priority.
    public var overdueByPriority: [Priority: Int] = [:]
    /// How long the oldest emergency still waiting for triage has waited, nil when none is.
    public var oldestUntriagedEmergencySeconds: Double?

    /// The metrics as a node_exporter textfile: HELP and TYPE lines, then samples, every state and priority present.
    public func prometheus() -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples { lines.append("\(name)\(labels) \(Self.format(value))") }
        }
        metric("opine_cases", "gauge", "Cases by state and priority.", CaseState.allCases.flatMap { state in
            Priority.allCases.map { priority in
                ("{state=\"\(state.rawValue)\",priority=\"\(priority.rawValue)\"}", Double(casesByStateAndPriority[state]?[priority] ?? 0))
            }
        })
        metric("opine_intake_cases_total", "counter", "Bundles stored as cases since the database was created.",
               [("", Double(casesByStateAndPriority.values.flatMap(\.values).reduce(0, +)))])
        metric("opine_intake_rejections_total", "counter", "Uploads quarantined with a reason.", [("", Double(rejections))])
        metric("opine_intake_duplicates_total", "counter", "Uploads removed as duplicates of a case.", [("", Double(duplicates))])
        metric("opine_oldest_waiting_seconds", "gauge", "Age of the oldest open case (0 when none).", [("", oldestWaitingSeconds ?? 0)])
        metric("opine_cases_overdue", "gauge", "Open cases past their due time, by priority.", Priority.allCases.map {
            ("{priority=\"\($0.rawValue)\"}", Double(overdueByPriority[$0] ?? 0))
        })
        metric("opine_oldest_untriaged_emergency_seconds", "gauge", "Age of the oldest emergency waiting for triage (0 when none).",
               [("", oldestUntriagedEmergencySeconds ?? 0)])
        metric("opine_last_intake_timestamp_seconds", "gauge", "When the newest case arrived (0 when none).",
               [("", lastIntakeAt?.timeIntervalSince1970 ?? 0)])
        metric("opine_webhook_deliveries", "gauge", "Webhook deliveries by state.", DeliveryRecord.State.allCases.map {
            ("{state=\"\($0.rawValue)\"}", Double(deliveriesByState[$0] ?? 0))
        })
        metric("opine_webhook_failed_attempts_total", "counter", "Webhook attempts that did not get a 2xx.", [("", Double(failedAttempts))])
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}

extension CaseStore {
    /// Reads every figure in one read transaction; `now` dates the oldest open case's wait, and `turnaround` says
    /// which open cases are overdue.
    public func metrics(now: Date = Date(), turnaround: TurnaroundPolicy = TurnaroundPolicy()) throws -> Metrics {
        try pool.read { db in
            var metrics = Metrics()
            for row in try Row.fetchAll(db, sql: "SELECT state, priority, COUNT(*) AS n FROM cases GROUP BY state, priority") {
                guard let state = CaseState(rawValue: row["state"]), let priority = Priority(rawValue: row["priority"]) else { continue }
                metrics.casesByStateAndPriority[state, default: [:]][priority] = row["n"]
            }
            let stats = try stats(db)
            if let oldest = stats.oldestWaiting, let received = Timestamps.parse(oldest.receivedAt) {
                metrics.oldestWaitingSeconds = max(0, now.timeIntervalSince(received))
            }
            metrics.overdueByPriority = try overdueCounts(db, policy: turnaround, now: now)
            metrics.oldestUntriagedEmergencySeconds = try oldestUntriagedEmergency(db).map { max(0, now.timeIntervalSince($0)) }
            metrics.rejections = stats.rejected
            metrics.duplicates = stats.duplicates
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state") {
                guard let state = DeliveryState(rawValue: row["state"]) else { continue }
                metrics.deliveriesByState[state] = row["n"]
            }
            metrics.failedAttempts = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM delivery_attempts WHERE status IS NULL OR status < 200 OR status > 299
                """) ?? 0
            metrics.lastIntakeAt = try String.fetchOne(db, sql: "SELECT received_at FROM cases ORDER BY seq DESC LIMIT 1")
                .flatMap(Timestamps.parse)
            return metrics
        }
    }
}
