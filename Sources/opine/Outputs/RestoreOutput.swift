import OpineStore

/// `opine restore --json`: what was restored, where, and whether it is intact.
struct RestoreOutput: Encodable {
    /// The folder restored into.
    var directory: String
    /// Its state directory (the database and cases/).
    var state: String
    /// Its spool directory (rejected/ and drop/).
    var spool: String
    /// Its configuration file, or nil when the archive held none.
    @OrNull var configuration: String?
    /// The variables that point opine and opined at the restored tree.
    var environment: [String: String]
    /// Cases in the backup.
    var cases: Int
    /// Files restored (the manifest not counted).
    var files: Int
    /// Bytes restored.
    var bytes: Int64
    /// When the backup's snapshot was taken.
    var backupCreatedAt: String
    /// The audit head the backup recorded.
    var backupAuditHead: String
    /// The restored chain's head.
    var auditHead: String
    /// Endpoints whose URL credentials the backup removed.
    var redactedEndpoints: [String]
    /// True when the restored data passed every check (exit 0; otherwise 65).
    var intact: Bool
    /// Each problem found, as `opine verify` names them.
    var problems: [String]

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case directory, state, spool, configuration, environment, cases, files, bytes, intact, problems
        case backupCreatedAt = "backup_created_at", backupAuditHead = "backup_audit_head", auditHead = "audit_head"
        case redactedEndpoints = "redacted_endpoints"
    }

    /// What the store restored.
    init(_ summary: RestoreSummary) {
        directory = summary.directory
        state = summary.stateDirectory
        spool = summary.spoolDirectory
        configuration = summary.configuration
        var environment = ["OPINE_PATHS_STATE": summary.stateDirectory, "OPINE_PATHS_SPOOL": summary.spoolDirectory]
        if let file = summary.configuration { environment["OPINE_CONFIG"] = file }
        self.environment = environment
        cases = summary.manifest.cases
        files = summary.members
        bytes = summary.bytes
        backupCreatedAt = summary.manifest.createdAt
        backupAuditHead = summary.manifest.auditHead
        auditHead = summary.auditHead.description
        redactedEndpoints = summary.manifest.redactedEndpoints
        intact = summary.report.isClean
        problems = summary.report.problems
    }
}
