/// `opine backup --json`: the backup written and checked.
struct BackupOutput: Encodable {
    /// The backup file.
    var file: String
    /// Cases in the backup.
    var cases: Int
    /// The backup's size.
    var bytes: Int
    /// SQLite's `PRAGMA integrity_check` of the backup: always `ok` (a failed check is an error instead).
    let integrityCheck = "ok"

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case file, cases, bytes
        case integrityCheck = "integrity_check"
    }
}
