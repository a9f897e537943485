import OpineCore
import OpineStore

/// `opine verify --json`: whether the audit chain, the schema and the stored files are intact.
struct VerifyOutput: Encodable {
    /// True when no problem was found (exit status 0; otherwise 65).
    var intact: Bool
    /// Each problem, naming the event, table or file.
    var problems: [String]
    /// Audit events whose hash was checked.
    var eventsChecked: Int
    /// Case files re-hashed (0 with `--skip-files`).
    var filesChecked: Int
    /// Bytes re-hashed.
    var bytesChecked: Int64
    /// The chain's head now, `SEQ:HASH`, to keep outside the database.
    var auditHead: String
    /// The head given with `--head`, or nil.
    @OrNull var head: String?
    /// Whether the chain still extends `--head` (nil without it).
    @OrNull var headMatches: Bool?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case intact, problems
        case eventsChecked = "events_checked", filesChecked = "files_checked", bytesChecked = "bytes_checked"
        case auditHead = "audit_head", head, headMatches = "head_matches"
    }

    /// What the store's check found; `head` the head given with `--head` and why the chain does not extend it,
    /// `now` the chain's head.
    init(_ report: IntegrityReport, head: AuditHead?, headProblem: String?, now: AuditHead) {
        intact = report.isClean
        problems = report.problems
        eventsChecked = report.eventsChecked
        filesChecked = report.filesChecked
        bytesChecked = report.bytesChecked
        auditHead = now.description
        self.head = head?.description
        headMatches = head.map { _ in headProblem == nil }
    }
}
