import Crypto
import Foundation
import GRDB
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Anchoring the audit chain: opined logs and beats its head, opine verify --head proves the chain extends it")
struct AuditHeadTests {
    @Test("verify --head is green on the real chain and red after the whole chain is rewritten and rehashed")
    func wholeChainRewriteIsFound() throws {
        let (sandbox, ids) = try Sandbox.withCases(3)
        for id in ids {
            #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Sandbox.admin).status == 0)
        }
        // The head is in the heartbeat file while opined runs.
        let heartbeatFile = sandbox.state.appendingPathComponent("opined.heartbeat")
        var beatHead: String?
        try waitUntil("the heartbeat names the head after the last triage") {
            let data = (try? Data(contentsOf: heartbeatFile)) ?? Data()
            beatHead = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["audit_head"] as? String
            return beatHead.flatMap(AuditHead.init(parsing:))?.seq ?? 0 >= 6
        }
        let earlier = try #require(beatHead)
        #expect(try sandbox.opine("verify", "--head", earlier).status == 0)
        #expect(sandbox.stopDaemon() == 0)
        // The log has it at start and at the clean stop.
        #expect(sandbox.log.contains("audit chain head") && sandbox.log.contains("moment=start"))
        let stopped = try #require(sandbox.log.components(separatedBy: "\n").last { $0.contains("moment=stop") })
        let loggedHead = try #require(stopped.components(separatedBy: " ").first { $0.hasPrefix("audit_head=") }?.dropFirst(11))
        let verified = try sandbox.opine("verify", "--head", String(loggedHead), "--json")
        let json = try verified.json()
        #expect(verified.status == 0 && json["head_matches"] as? Bool == true, "\(verified.stdout)\(verified.stderr)")
        #expect(json["audit_head"] as? String == String(loggedHead))

        try Self.rewriteWholeChain(sandbox, from: 2)
        let plain = try sandbox.opine("verify", "--skip-files")
        #expect(plain.status == 0, "a rehashed chain passes the plain check: \(plain.stdout)")
        let anchored = try sandbox.opine("verify", "--skip-files", "--head", earlier, "--json")
        let result = try anchored.json()
        #expect(anchored.status == 65 && result["head_matches"] as? Bool == false)
        let problems = try #require(result["problems"] as? [String])
        #expect(problems.contains { $0.contains("rewritten after the head was recorded") }, "\(problems)")
        #expect(try sandbox.opine("verify", "--head", "7:nothex").status == 64)
    }

    /// Alters event `from` and recomputes every later hash, as someone with write access to the file could.
    static func rewriteWholeChain(_ sandbox: Sandbox, from id: Int64) throws {
        let database = try DatabaseQueue(path: sandbox.state.appendingPathComponent("opine.sqlite3").path)
        try database.write { db in
            try db.execute(sql: "DROP TRIGGER events_are_append_only_update")
            try db.execute(sql: "UPDATE events SET actor = 'mallory' WHERE id = ?", arguments: [id])
            var previous = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE id = ?", arguments: [id - 1]) ?? AuditChain.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM events WHERE id >= ? ORDER BY id", arguments: [id]) {
                let fields: [String?] = [previous, row["case_id"], row["at"], row["actor"], row["type"], row["from_state"], row["to_state"], row["detail"]]
                let hash = Hex.lowercase(SHA256.hash(data: Data(fields.map { $0 ?? "" }.joined(separator: "\u{1F}").utf8)))
                try db.execute(sql: "UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", arguments: [previous, hash, row["id"] as Int64])
                previous = hash
            }
        }
    }
}
