import Foundation
import GRDB
import OpineCore
@testable import OpineStore
import Testing

@Suite("Migration v11-conversation: the cases table rebuilt keeps every column, clock, index and trigger")
struct ConversationMigrationTests {
    @Test("A v10 database migrates in place: clocks start at receipt, closed cases keep when they closed, the clock indexes are made again")
    func migratesV10() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opine-migrate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("opine.sqlite3").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v10-turnaround-clocks")
            try queue.write { db in
                for (index, state) in ["received", "withdrawn"].enumerated() {
                    try db.execute(sql: """
                        INSERT INTO cases (id, submission_id, content_sha256, state, priority, priority_rank, intake_priority,
                            regions, symptoms, patient_name, patient_date_of_birth, question, prior_treatments, submitted_at,
                            received_at, updated_at, file_count, total_bytes, manifest_sha256, overdue_notified_state,
                            emergency_announced_at)
                        VALUES (?, ?, 'c', ?, 'emergency', 0, 'emergency', '["lumbar"]', '["saddle_numbness"]', 'P', '1970-01-01',
                            'Q', '[]', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-30T05:00:00Z', 1, 1, 'm',
                            'received', '2026-11-30T00:30:00Z')
                        """, arguments: ["C-20261130-000\(index + 1)", "web-\(index)", state])
                }
                try db.execute(sql: """
                    INSERT INTO case_files (case_id, path, kind, media_type, size, sha256)
                        VALUES ('C-20261130-0001', 'report.pdf', 'radiology_report', 'application/pdf', 1, 'x');
                    """)
            }
        }
        let store = try CaseStore(path: path, mode: .createAndMigrate)
        try store.pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, manifest_sha256, overdue_notified_state, emergency_announced_at, clock_started_at, closed_at
                FROM cases ORDER BY seq
                """)
            #expect(rows.map { $0["manifest_sha256"] as String? } == ["m", "m"])
            #expect(rows.allSatisfy { $0["overdue_notified_state"] == "received" && $0["emergency_announced_at"] == "2026-11-30T00:30:00Z" })
            #expect(rows.allSatisfy { $0["clock_started_at"] == "2026-11-30T00:00:00Z" }, "every clock starts at receipt")
            #expect(rows.map { $0["closed_at"] as String? } == [nil, "2026-11-30T05:00:00Z"])
            let indexes = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases'"))
            #expect(indexes.isSuperset(of: [
                "cases_open_queue", "cases_open_by_receipt", "cases_overdue_unnoticed", "cases_awaiting", "cases_follow_up",
                "cases_red_flag", "cases_submission", "cases_content", "cases_by_email", "cases_by_phone_digits",
            ]), "\(indexes.sorted())")
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases'"))
            #expect(triggers.isSuperset(of: ["case_counts_insert", "case_counts_update", "case_counts_delete", "cases_search_insert"]))
            #expect(try Int.fetchOne(db, sql: "SELECT SUM(n) FROM case_counts") == 2)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            // The open queue still reads its partial index as list spells it.
            let plan = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT id FROM cases INDEXED BY cases_open_queue
                WHERE state IN ('received','triaged','awaiting_information','reviewed') ORDER BY priority_rank, seq LIMIT 50
                """)
            #expect(plan.contains { ($0["detail"] as String? ?? "").contains("cases_open_queue") })
        }
        #expect(try store.caseRecord("C-20261130-0001").clock?.receivedAt == Timestamps.parse("2026-11-30T00:00:00Z"))
    }
}
