import Foundation
import GRDB
import OpineCore
@testable import OpineStore
import Testing

@Suite("v12-search: cases stored before the migration are found, and the triggers keep the index in step")
struct SearchMigrationTests {
    @Test("Existing rows are indexed by the migration; inserts and name changes after it by the triggers")
    func indexesExistingRows() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opine-search-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("opine.sqlite3").path
        func insert(_ db: Database, _ index: Int, name: String, email: String?, phone: String?) throws {
            try db.execute(sql: """
                INSERT INTO cases (id, submission_id, content_sha256, state, priority, priority_rank, intake_priority,
                    regions, symptoms, patient_name, patient_date_of_birth, patient_email, patient_phone, question,
                    prior_treatments, submitted_at, received_at, updated_at, file_count, total_bytes, clock_started_at)
                VALUES (?, ?, 'c', 'received', 'routine', 2, 'routine', '["lumbar"]', '[]', ?, '1970-01-01', ?, ?, 'Q', '[]',
                    '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z', 1, 1, '2026-11-30T00:00:00Z')
                """, arguments: ["C-20261130-000\(index)", "web-\(index)", name, email, phone])
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v11-conversation")
            try queue.write { db in try insert(db, 1, name: "Zoë Ångström", email: "Zoe@Example.org", phone: "+46 (8) 555-0100") }
        }
        let store = try CaseStore(path: path, mode: .createAndMigrate)
        #expect(try store.find("angstrom zo", limit: 10).map(\.matchedBy) == [.name])
        #expect(try store.find("zoe@example.ORG", limit: 10).map(\.matchedBy) == [.email])
        #expect(try store.find("4685550100", limit: 10).map(\.matchedBy) == [.phone])
        try store.pool.write { db in
            try insert(db, 2, name: "Ana Lima", email: nil, phone: nil)
            try db.execute(sql: "UPDATE cases SET patient_name = 'Zoë Berg' WHERE id = 'C-20261130-0001'")
        }
        #expect(try store.find("lima", limit: 10).map(\.summary.id) == ["C-20261130-0002"])
        #expect(try store.find("angstrom", limit: 10).isEmpty, "the old name left the index")
        #expect(try store.find("berg zoe", limit: 10).map(\.summary.id) == ["C-20261130-0001"])
        // FTS5's own check compares the index with the content table (it writes nothing, but needs a write transaction).
        try store.pool.write { db in
            try db.execute(sql: "INSERT INTO cases_search (cases_search, rank) VALUES ('integrity-check', 1)")
        }
    }
}
