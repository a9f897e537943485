import Foundation
import GRDB
import OpineCore

/// The figures ops graph and alert on, in the Prometheus text format: no patient data, only counts and times.
/// The store fills the case and webhook figures; whoever writes the metrics (opined, or `opine stats`) fills
/// `daemon` from what it can see of the running opined.
public struct Metrics: Sendable {
    /// When the figures were read.
    public var at = Date()
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
    /// Attempts on record that did not get a 2xx (an error status, a timeout or no answer). Not a counter: the purge
    /// removes attempts older than `retention.delivery_attempts`, so this falls when they go.
    public var failedAttemptsRecorded = 0
    /// When the newest case arrived, nil before the first.
    public var lastIntakeAt: Date?
    /// Open cases past their due time (`TurnaroundPolicy`), per priority.
    public var overdueByPriority: [Priority: Int] = [:]
    /// How long the oldest case of each priority still waiting for triage has waited; a priority is missing when
    /// none is waiting.
    public var oldestUntriagedSeconds: [Priority: Double] = [:]
    /// Each endpoint's health and backlog: the configured ones, and any other that still has deliveries waiting.
    public var endpoints: [EndpointFigures] = []
    /// What the writer could see of opined itself.
    public var daemon = DaemonFigures()

    /// How long the oldest emergency still waiting for triage has waited, nil when none is.
    public var oldestUntriagedEmergencySeconds: Double? { oldestUntriagedSeconds[.emergency] }

    /// The metrics as a node_exporter textfile: HELP and TYPE lines, then samples, every state and priority present.
    public func prometheus() -> String {
        var text = PrometheusText()
        caseFamilies(&text)
        webhookFamilies(&text)
        daemon.families(&text)
        text.single("opine_metrics_timestamp_seconds", .gauge, "When these figures were read (Unix time).", at.timeIntervalSince1970)
        return text.text
    }

    private func caseFamilies(_ text: inout PrometheusText) {
        text.family("opine_cases", .gauge, "Cases by state and priority.", CaseState.allCases.flatMap { state in
            Priority.allCases.map { ([("state", state.rawValue), ("priority", $0.rawValue)], Double(casesByStateAndPriority[state]?[$0] ?? 0)) }
        })
        text.single("opine_intake_cases_total", .counter, "Bundles stored as cases since the database was created.",
                    Double(casesByStateAndPriority.values.flatMap(\.values).reduce(0, +)))
        text.single("opine_intake_rejections_total", .counter, "Uploads quarantined with a reason.", Double(rejections))
        text.single("opine_intake_duplicates_total", .counter, "Uploads removed as duplicates of a case.", Double(duplicates))
        text.single("opine_oldest_waiting_seconds", .gauge, "Age of the oldest open case (0 when none).", oldestWaitingSeconds ?? 0)
        text.family("opine_cases_overdue", .gauge, "Open cases past their due time, by priority.", Priority.allCases.map {
            ([("priority", $0.rawValue)], Double(overdueByPriority[$0] ?? 0))
        })
        text.family("opine_oldest_untriaged_seconds", .gauge, "Age of the oldest case waiting for triage, by priority (0 when none).",
                    Priority.allCases.map { ([("priority", $0.rawValue)], oldestUntriagedSeconds[$0] ?? 0) })
        text.single("opine_oldest_untriaged_emergency_seconds", .gauge, "Age of the oldest emergency waiting for triage (0 when none).",
                    oldestUntriagedEmergencySeconds ?? 0)
        text.single("opine_last_intake_timestamp_seconds", .gauge, "When the newest case arrived (0 when none).",
                    lastIntakeAt?.timeIntervalSince1970 ?? 0)
    }

    private func webhookFamilies(_ text: inout PrometheusText) {
        text.family("opine_webhook_deliveries", .gauge, "Webhook deliveries by state.", DeliveryRecord.State.allCases.map {
            ([("state", $0.rawValue)], Double(deliveriesByState[$0] ?? 0))
        })
        text.single("opine_webhook_failed_attempts_recorded", .gauge,
                    "Webhook attempts on record that did not get a 2xx; attempts older than retention.delivery_attempts are purged.",
                    Double(failedAttemptsRecorded))
        EndpointFigures.families(endpoints, &text)
    }
}

extension CaseStore {
    /// Reads every figure in one read transaction; `now` dates the waits, `turnaround` says which open cases are
    /// overdue, and `endpoints` names the configured endpoints (each gets its series even before its first delivery).
    public func metrics(
        now: Date = Date(), turnaround: TurnaroundPolicy = TurnaroundPolicy(), endpoints: [String] = []
    ) throws -> Metrics {
        try pool.read { db in
            var metrics = Metrics()
            metrics.at = now
            for row in try Row.fetchAll(db, sql: "SELECT state, priority, COUNT(*) AS n FROM cases GROUP BY state, priority") {
                guard let state = CaseState(rawValue: row["state"]), let priority = Priority(rawValue: row["priority"]) else { continue }
                metrics.casesByStateAndPriority[state, default: [:]][priority] = row["n"]
            }
            let stats = try stats(db)
            if let oldest = stats.oldestWaiting, let received = Timestamps.parse(oldest.receivedAt) {
                metrics.oldestWaitingSeconds = max(0, now.timeIntervalSince(received))
            }
            metrics.overdueByPriority = try overdueCounts(db, policy: turnaround, now: now)
            for priority in Priority.allCases {
                metrics.oldestUntriagedSeconds[priority] = try oldestUntriaged(db, priority: priority).map { max(0, now.timeIntervalSince($0)) }
            }
            metrics.rejections = stats.rejected
            metrics.duplicates = stats.duplicates
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state") {
                guard let state = DeliveryState(rawValue: row["state"]) else { continue }
                metrics.deliveriesByState[state] = row["n"]
            }
            metrics.failedAttemptsRecorded = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM delivery_attempts WHERE status IS NULL OR status < 200 OR status > 299
                """) ?? 0
            metrics.lastIntakeAt = try String.fetchOne(db, sql: "SELECT received_at FROM cases ORDER BY seq DESC LIMIT 1")
                .flatMap(Timestamps.parse)
            metrics.endpoints = try endpointFigures(db, configured: endpoints, now: now)
            return metrics
        }
    }
}
