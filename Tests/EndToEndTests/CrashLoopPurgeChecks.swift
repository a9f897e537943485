import Foundation
import GRDB
import Testing

/// The crash loop's purge pass: with every retention at 0 days for withdrawn cases and refused uploads, a coordinator
/// withdraws a case and `opine purge` runs, killed with SIGKILL at a random moment as often as not, while opined
/// itself may be dying. The checks: every purged thing has its tombstones, nothing else was removed, and (after one
/// last purge finishes what was cut short) `opine verify` passes.
extension CrashLoopTests {
    /// Retention settings under which the purge has something to do in every pass.
    static let purgeSettings = ["OPINE_RETENTION_WITHDRAWN_CASES": "0", "OPINE_RETENTION_REJECTED_UPLOADS": "0"]

    /// Withdraws a random open case that no other upload of the stream names (its re-sends, duplicates and
    /// supplements must still find it open), then runs `opine purge` and kills it at a random moment or lets it end.
    func purgePass(_ sandbox: Sandbox, _ stream: inout Stream) throws {
        let path = sandbox.state.appendingPathComponent("opine.sqlite3").path
        guard FileManager.default.fileExists(atPath: path) else { return }
        // A submission sent twice, re-sent under another id (either side), or supplemented is left open.
        let named = Dictionary(grouping: stream.dropped.flatMap { [$0.submissionID, $0.updates, $0.supplements].compactMap { $0 } }, by: { $0 })
            .merging(stream.dropped.filter { $0.updates != nil }.map { ($0.submissionID, ["", ""]) }) { $0 + $1 }
        let open = (try? DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT id, submission_id FROM cases WHERE state IN ('received','triaged','awaiting_information','reviewed')")
        }) ?? []
        let alone = open.filter { named[$0["submission_id"] as String]?.count == 1 }
        if !alone.isEmpty {
            let row = alone[Int.random(in: 0..<alone.count, using: &stream.random)]
            let submission: String = row["submission_id"]
            stream.valid.removeAll { $0.submissionID == submission }
            let withdrawn = try sandbox.opine(["withdraw", row["id"], "--reason", "Patient asked to withdraw."], extraEnvironment: Sandbox.admin)
            #expect(withdrawn.status == 0 || withdrawn.status == 3, "withdraw: \(withdrawn.stderr)")
        }
        let purge = Process()
        purge.executableURL = Sandbox.binaries.appendingPathComponent("opine")
        purge.arguments = ["purge"]
        purge.environment = sandbox.environment
        purge.standardOutput = FileHandle.nullDevice
        purge.standardError = FileHandle.nullDevice
        try purge.run()
        if Bool.random(using: &stream.random) { usleep(UInt32.random(in: 0...60_000, using: &stream.random)) } else { purge.waitUntilExit() }
        if purge.isRunning { kill(purge.processIdentifier, SIGKILL) }
        purge.waitUntilExit()
    }

    /// Every purged case has one tombstone per recorded file (with its SHA-256) and no folder, and its patient
    /// fields are gone; every case not purged keeps its folder; every withdrawn case and every quarantined upload
    /// was purged by the end; nothing but withdrawn cases was.
    func checkPurged(database: DatabaseQueue, sandbox: Sandbox) throws {
        try database.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE purged_at IS NOT NULL AND state <> 'withdrawn'") == 0,
                    "only withdrawn cases are purged (responded ones are kept by default)")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE state = 'withdrawn' AND files_removed_at IS NULL") == 0,
                    "the last purge finished every withdrawn case")
            let purged = try String.fetchAll(db, sql: "SELECT id FROM cases WHERE purged_at IS NOT NULL")
            for id in purged {
                #expect(!FileManager.default.fileExists(atPath: sandbox.state.appendingPathComponent("cases/\(id)").path), "\(id) folder gone")
                let untombstoned = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM case_files f WHERE f.case_id = ? AND NOT EXISTS (SELECT 1 FROM events e
                        WHERE e.case_id = f.case_id AND e.type = 'purge' AND json_extract(e.detail, '$.file') = f.path
                        AND json_extract(e.detail, '$.sha256') = coalesce(f.stored_sha256, f.sha256))
                    """, arguments: [id])
                #expect(untombstoned == 0, "\(id): \(untombstoned ?? -1) files removed without a tombstone")
                #expect(try String.fetchOne(db, sql: "SELECT patient_name FROM cases WHERE id = ?", arguments: [id]) == "")
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE quarantine IS NOT NULL AND removed_at IS NULL") == 0,
                    "every refused upload was purged")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE purged_at IS NOT NULL")
                    == Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE type = 'purge' AND json_extract(detail, '$.what') IN ('rejected_upload', 'duplicate_upload')"),
                    "one tombstone per purged rejection")
            // A later purge than the one that tombstoned it removed the folder: a kill landed between the two steps.
            let finishedLater = try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE files_removed_at <> purged_at") ?? 0
            print("crash loop purge: \(purged.count) withdrawn cases purged, \(finishedLater) of them finished by a later purge")
        }
    }
}
