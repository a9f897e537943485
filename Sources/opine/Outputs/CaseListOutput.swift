import Foundation
import OpineCore
import OpineStore

/// `opine list --json`: one page of the queue, and the `--offset` of the next page.
struct CaseListOutput: Encodable {
    /// The page's cases, in queue order.
    var cases: [CaseSummaryOutput]
    /// The `--offset` that shows the next page; null on the last page.
    @OrNull var nextOffset: Int?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case cases
        case nextOffset = "next_offset"
    }
}

/// One case of the queue (`opine list`, and `oldest_waiting` in `opine stats`).
struct CaseSummaryOutput: Encodable {
    /// The case id.
    var id: String
    /// Where the case stands in review.
    var state: CaseState
    /// The current priority.
    var priority: Priority
    /// The assigned reviewer; null when nobody is assigned.
    @OrNull var assignee: String?
    /// The body regions the patient asked about.
    var regions: [String]
    /// When intake stored the case (ISO 8601, UTC).
    var receivedAt: String
    /// When the case last changed (ISO 8601, UTC).
    var updatedAt: String
    /// When the case is due to leave its state (`[turnaround]`, counted from receipt); null once it is final.
    @OrNull var dueAt: String?
    /// The due time has passed (always false for a final case).
    var overdue: Bool
    /// What the image checks flagged (`patient_mismatch`, `several_patients`, `region_not_covered`); empty when none.
    var flags: [CaseFlag]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, state, priority, assignee, regions, overdue, flags
        case receivedAt = "received_at", updatedAt = "updated_at", dueAt = "due_at"
    }

    /// The queue line as the store read it, with its due time under `turnaround` at `now`.
    init(_ summary: CaseSummary, turnaround: TurnaroundPolicy, now: Date) {
        id = summary.id
        state = summary.state
        priority = summary.priority
        assignee = summary.assignee
        regions = summary.regions
        receivedAt = summary.receivedAt
        updatedAt = summary.updatedAt
        flags = summary.flags ?? []
        let due = summary.dueAt(turnaround)
        dueAt = due.map(Timestamps.format)
        overdue = due.map { now >= $0 } ?? false
    }
}

extension CaseSummary {
    /// When the case is due in its state under `policy` (its clock paused by waits for the patient); nil once it is
    /// final, and while it waits.
    func dueAt(_ policy: TurnaroundPolicy) -> Date? {
        Timestamps.parse(clockStartedAt ?? receivedAt).flatMap { policy.dueAt(priority: priority, state: state, receivedAt: $0) }
    }
}
