import GRDB
import OpineCore

extension CaseStore {
    /// A file the purge removed is judged by its tombstone, not by the file system: it is accepted as purged when the
    /// audit chain (whose hashes `verifyChain` checks) holds a `purge` event naming this case, the file's neutral name (`PurgedFileName`, which its row keeps) and its
    /// SHA-256. A file
    /// marked purged without one is reported: someone marked it by hand, and its disappearance is not accounted for.
    /// A purged file still on disk is not a problem: the next purge removes it (a crash cut the removal short).
    static func verifyPurged(_ db: Database, _ file: CaseFileRecord, into report: inout IntegrityReport) throws {
        let found = try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM events WHERE case_id = ? AND type = ?
                AND json_extract(detail, '$.what') = ? AND json_extract(detail, '$.file') = ? AND json_extract(detail, '$.sha256') = ?)
            """, arguments: [file.caseID, EventType.purge.rawValue, PurgedKind.caseFile.rawValue, file.path, file.storedSHA256 ?? file.sha256]) ?? false
        if !found {
            report.problems.append(
                "files: \(file.caseID)/\(file.path.escapedForDisplay) is marked purged but no tombstone in the audit chain records its removal")
        }
    }
}
