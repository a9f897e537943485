import OpineStore

/// `opine backup --json`: the archive written.
struct BackupOutput: Encodable {
    /// The archive.
    var file: String
    /// Cases in the snapshot.
    var cases: Int
    /// The archive's size in bytes.
    var bytes: Int64
    /// Files archived (database and configuration included, manifest not).
    var files: Int
    /// Quarantine folders archived.
    var rejectedFolders: Int
    /// Paths under rejected/ left out (not plain files, or unreadable).
    var skipped: [String]
    /// The audit chain's head in the snapshot, `SEQ:HASH`.
    var auditHead: String
    /// The manifest member's SHA-256.
    var manifestSHA256: String
    /// Endpoints whose URL credentials were removed from the archived configuration.
    var redactedEndpoints: [String]
    /// SQLite's `PRAGMA integrity_check` of the snapshot: always `ok` (a failed check is an error instead).
    let integrityCheck = "ok"

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case file, cases, bytes, files, skipped
        case rejectedFolders = "rejected_folders", auditHead = "audit_head", manifestSHA256 = "manifest_sha256"
        case redactedEndpoints = "redacted_endpoints", integrityCheck = "integrity_check"
    }

    /// What the store wrote.
    init(_ summary: BackupSummary) {
        file = summary.file
        cases = summary.cases
        bytes = summary.bytes
        files = summary.members
        rejectedFolders = summary.rejectedFolders
        skipped = summary.skipped
        auditHead = summary.auditHead.description
        manifestSHA256 = summary.manifestSHA256
        redactedEndpoints = summary.redactedEndpoints
    }
}
