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

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, state, priority, assignee, regions
        case receivedAt = "received_at", updatedAt = "updated_at"
    }

    /// The queue line as the store read it.
    init(_ summary: CaseSummary) {
        id = summary.id
        state = summary.state
        priority = summary.priority
        assignee = summary.assignee
        regions = summary.regions
        receivedAt = summary.receivedAt
        updatedAt = summary.updatedAt
    }
}
