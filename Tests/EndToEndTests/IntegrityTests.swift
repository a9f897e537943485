import Foundation
import GRDB
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Tamper evidence: the audit chain and opine verify")
struct IntegrityTests {
    @Test("opine verify passes an intact store and names an altered event, a deleted event and a changed file")
    func tamperingIsFound() throws {
        let (sandbox, ids) = try Sandbox.withCases(3)
        for id in ids.prefix(2) {
            #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Sandbox.admin).status == 0)
        }
        #expect(sandbox.stopDaemon() == 0)
        let intact = try sandbox.opine("verify", "--json")
        let isIntact = try intact.json()["intact"] as? Bool
        #expect(intact.status == 0 && isIntact == true, "\(intact.stdout)\(intact.stderr)")

        // The database refuses to change or drop audit events.
        let database = try DatabaseQueue(path: sandbox.state.appendingPathComponent("opine.sqlite3").path)
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "UPDATE events SET actor = 'mallory' WHERE id = 2") } }
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "DELETE FROM events WHERE id = 3") } }

        // Someone with raw access goes around the triggers; the chain still tells.
        try database.write { db in
            try db.execute(sql: "DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete")
            try db.execute(sql: "UPDATE events SET actor = 'mallory' WHERE id = 2")
            try db.execute(sql: "DELETE FROM events WHERE id IN (3, 5)")
        }
        let shown = try sandbox.opine("show", ids[1], "--json").json()
        let folder = try #require(shown["folder"] as? String)
        try Data("not the report".utf8).write(to: URL(fileURLWithPath: folder + "/report.pdf"))

        let result = try sandbox.opine("verify")
        #expect(result.status == 65)
        #expect(result.stdout.contains("event 2 ") && result.stdout.contains("altered"), "\(result.stdout)")
        #expect(result.stdout.contains("event 4 does not follow event 2"), "\(result.stdout)")
        #expect(result.stdout.contains("events after event 4 were deleted"), "\(result.stdout)")
        #expect(result.stdout.contains("\(ids[1])/report.pdf does not match"), "\(result.stdout)")
        #expect(!result.stdout.contains(ids[0] + "/report.pdf") && !result.stdout.contains(ids[2] + "/"))
    }
}
