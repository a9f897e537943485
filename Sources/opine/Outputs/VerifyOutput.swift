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

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case intact, problems
        case eventsChecked = "events_checked", filesChecked = "files_checked", bytesChecked = "bytes_checked"
    }

    /// What the store's check found.
    init(_ report: IntegrityReport) {
        intact = report.isClean
        problems = report.problems
        eventsChecked = report.eventsChecked
        filesChecked = report.filesChecked
        bytesChecked = report.bytesChecked
    }
}
