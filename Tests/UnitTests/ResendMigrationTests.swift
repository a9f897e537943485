import Foundation
import GRDB
import OpineCore
@testable import OpineStore
import Testing

@Suite("Migration v9-resends: cases keep every row, count and index; a submission id may now name several cases")
struct ResendMigrationTests {
    @Test("A v8 database with cases migrates in place, and a follow-up case can reuse a submission id")
    func migratesV8() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opine-migrate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("opine.sqlite3").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v8-outbox-priority")
            try queue.write { db in
                for (index, state) in ["received", "responded"].enumerated() {
                    try db.execute(sql: """
                        INSERT INTO cases (id, submission_id, content_sha256, state, priority, priority_rank, intake_priority,
                            regions, symptoms, patient_name, patient_date_of_birth, question, prior_treatments, submitted_at,
                            received_at, updated_at, file_count, total_bytes)
                        VALUES (?, ?, 'c', ?, 'routine', 2, 'routine', '["lumbar"]', '["sciatica"]', 'P', '1970-01-01', 'Q', '[]',
                            '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z', 1, 1)
                        """, arguments: ["C-20261130-000\(index + 1)", "web-\(index)", state])
                }
            }
            // Rows that refer to the cases, so the rebuild must keep every reference whole.
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO case_files (case_id, path, kind, media_type, size, sha256)
                        VALUES ('C-20261130-0001', 'report.pdf', 'radiology_report', 'application/pdf', 1, 'x');
                    INSERT INTO events (case_id, at, actor, type, detail) VALUES ('C-20261130-0001', 'now', 'opined', 'intake', '{}');
                    INSERT INTO outbox (type, case_id, created_at, data) VALUES ('case.received', 'C-20261130-0002', 'now', '{}');
                    INSERT INTO rejections (at, upload_name, code, message, duplicate_of)
                        VALUES ('now', 'again', 'duplicate', 'duplicate', 'C-20261130-0002');
                    """)
            }
        }
        let store = try CaseStore(path: path, mode: .createAndMigrate)
        try store.pool.write { db in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == AuditChain.schemaVersion)
            #expect(try String.fetchAll(db, sql: "SELECT id FROM cases ORDER BY seq") == ["C-20261130-0001", "C-20261130-0002"])
            #expect(try Int.fetchOne(db, sql: "SELECT SUM(n) FROM case_counts") == 2)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty, "every reference to a case still resolves")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM case_files JOIN cases ON cases.id = case_files.case_id") == 1)
            #expect(try String.fetchOne(db, sql: "SELECT manifest_sha256 FROM cases LIMIT 1") == nil, "unknown for older cases")
            // The counting triggers are back, and the submission id is no longer unique.
            try db.execute(sql: """
                INSERT INTO cases (id, submission_id, content_sha256, state, priority, priority_rank, intake_priority, regions,
                    symptoms, patient_name, patient_date_of_birth, question, prior_treatments, submitted_at, received_at,
                    updated_at, file_count, total_bytes, related_case_id, clock_started_at)
                SELECT 'C-20261201-0001', submission_id, content_sha256, 'received', priority, priority_rank, intake_priority,
                    regions, symptoms, patient_name, patient_date_of_birth, question, prior_treatments, submitted_at, received_at,
                    updated_at, file_count, total_bytes, id, clock_started_at FROM cases WHERE id = 'C-20261130-0002'
                """)
            #expect(try Int.fetchOne(db, sql: "SELECT n FROM case_counts WHERE state = 'received'") == 2)
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL")
            #expect(Set(indexes).isSuperset(of: ["cases_submission", "cases_content", "cases_by_state", "cases_open_queue"]))
        }
        #expect(try store.caseRecord("C-20261201-0001").relatedCaseID == "C-20261130-0002")
    }
}
