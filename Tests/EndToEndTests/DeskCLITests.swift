import Foundation
import GRDB
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("The desk through the real opine CLI: notes, letters, find, export, case ids, list filters, local times")
struct DeskCLITests {
    static let notAdmin = ["OPINE_WORKFLOW_ADMINS": ""]

    /// The case's audit events through `opine history --json`.
    static func events(_ sandbox: Sandbox, _ id: String) throws -> [[String: Any]] {
        try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
    }

    /// Every `access` event in the store, oldest first.
    static func accessEvents(_ sandbox: Sandbox) throws -> [EventRecord] {
        try sandbox.store().pool.read { db in
            try EventRecord.filter(EventRecord.Columns.type == EventType.access.rawValue).order(EventRecord.Columns.id).fetchAll(db)
        }
    }

    @Test("A note goes on a case in any state, changes nothing else, and refuses blank text and unknown --as names")
    func notes() throws {
        let (sandbox, ids) = try Sandbox.withCases(1)
        let id = ids[0]
        #expect(try sandbox.opine(["withdraw", id, "--reason", "patient asked"], extraEnvironment: Self.notAdmin).status == 0)
        let before = try sandbox.opine("show", id, "--json").json()
        let outbox = try sandbox.store().outbox(caseID: id).count
        let lower = id.lowercased()
        let added = try sandbox.opine(["note", lower, "--text", "Patient called back", "--json"], extraEnvironment: Self.notAdmin)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try added.json()["id"] as? String == id)
        let file = sandbox.root.appendingPathComponent("note.txt")
        try "Second note from a file".write(to: file, atomically: true, encoding: .utf8)
        let asOther = try sandbox.opine(["note", id, "--text-file", file.path, "--as", "dr-patel"], extraEnvironment: Sandbox.admin)
        #expect(asOther.status == 0, "\(asOther.stderr)")

        let notes = try Self.events(sandbox, id).filter { $0["type"] as? String == "note" }
        #expect(notes.map { ($0["detail"] as? [String: String])?["note"] } == ["Patient called back", "Second note from a file"])
        #expect(notes.allSatisfy { $0["from"] is NSNull && $0["to"] is NSNull }, "a note moves no state")
        #expect((notes[1]["detail"] as? [String: String])?["entered_by"] == Sandbox.login && notes[1]["actor"] as? String == "dr-patel")
        let after = try sandbox.opine("show", id, "--json").json()
        #expect(after["version"] as? Int == before["version"] as? Int, "a note never makes someone else's command conflict")
        #expect(try sandbox.store().outbox(caseID: id).count == outbox, "a note is announced to no one")

        #expect(try sandbox.opine("note", id, "--text", "  ").status == 64)
        #expect(try sandbox.opine("note", id).status == 64)
        #expect(try sandbox.opine("note", id, "--text", "x", "--text-file", file.path).status == 64)
        let typo = try sandbox.opine(["note", id, "--text", "x", "--as", "dr-patil"], extraEnvironment: Sandbox.admin)
        #expect(typo.status == 3 && typo.stderr.contains("dr-patel") && typo.stderr.contains("dr-okafor"), "\(typo.stderr)")
        #expect(try sandbox.opine("verify", "--skip-files").status == 0)
    }

    @Test("opine letter writes the stored letter byte for byte, audited; a damaged one exits 65; respond checks letters like uploads")
    func letters() throws {
        let (sandbox, ids) = try Sandbox.withCases(1)
        let id = ids[0], me = ReviewWorkflowCLITests.notAdmin
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: me).status == 0)
        #expect(try sandbox.opine(["review", id, "--findings", "ok", "--as", "dr-patel"], extraEnvironment: Sandbox.admin).status == 0)
        #expect(try sandbox.opine("letter", id).status == 2, "no letter before the response")

        let cut = sandbox.root.appendingPathComponent("cut.pdf")
        try Data("%PDF-1.4\n1 0 obj<<>>endobj\n".utf8).write(to: cut)
        let refused = try sandbox.opine(["respond", id, "--letter-file", cut.path], extraEnvironment: me)
        #expect(refused.status == 64 && refused.stderr.contains("%%EOF"), "\(refused.stderr)")
        let binary = sandbox.root.appendingPathComponent("letter.bin")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        #expect(try sandbox.opine(["respond", id, "--letter-file", binary.path], extraEnvironment: me).status == 64)

        let letter = sandbox.root.appendingPathComponent("letter.pdf")
        try Samples.pdf.write(to: letter)
        #expect(try sandbox.opine(["respond", id, "--letter-file", letter.path], extraEnvironment: me).status == 0)
        let stdout = try sandbox.opine("letter", id.lowercased())
        #expect(stdout.status == 0 && Data(stdout.stdout.utf8) == Samples.pdf)
        let out = sandbox.root.appendingPathComponent("copy.pdf")
        #expect(try sandbox.opine("letter", id, "--out", out.path).status == 0)
        #expect(try Data(contentsOf: out) == Samples.pdf)
        #expect(try sandbox.opine("letter", id, "--out", out.path).status == 64, "never overwrites without --force")
        #expect(try sandbox.opine("letter", id, "--out", out.path, "--force").status == 0)
        #expect(try sandbox.opine("letter", id, "--index", "2").status == 2)
        let listed = try #require(try sandbox.opine("letter", id, "--json").json()["letters"] as? [[String: Any]])
        #expect(listed.count == 1 && listed[0]["index"] as? Int == 1 && listed[0]["sha256"] as? String == Samples.sha256(Samples.pdf))
        #expect(listed[0]["file_name"] as? String == "letter.pdf" && listed[0]["media_type"] as? String == "application/pdf")

        let reads = try Self.events(sandbox, id).filter { $0["type"] as? String == "access" }
        #expect(reads.count == 3, "two to stdout or file, one forced; the --json list discloses nothing")
        #expect(reads.allSatisfy { ($0["detail"] as? [String: String])?["what"] == "letter" })

        try sandbox.store().pool.write { db in
            try db.execute(sql: "UPDATE letters SET content = ? WHERE case_id = ?", arguments: [Data("%PDF-1.4 forged\n%%EOF\n".utf8), id])
        }
        let damaged = try sandbox.opine("letter", id, "--json", "--out", sandbox.root.appendingPathComponent("bad.pdf").path)
        #expect(damaged.status == 65 && damaged.stderr.contains("\"integrity\""), "\(damaged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent("bad.pdf").path))
    }

    @Test("opine find matches case id prefixes, submission ids, names (any order, accents), e-mail and phone digits; patient-data searches are audited once")
    func find() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let ids = try sandbox.addCases([
            BundleBuilder(submissionID: "web-find-1"), BundleBuilder(submissionID: "web-find-2", name: "José Álvarez-Núñez"),
        ])
        func found(_ text: String, _ extra: [String] = []) throws -> [[String: Any]] {
            let result = try sandbox.opine(["find", text, "--json"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let json = try result.json()
            return json["cases"] as? [[String: Any]] ?? []
        }
        let prefix = String(ids[0].lowercased().prefix(10))
        #expect(Set(try found(prefix).compactMap { $0["id"] as? String }) == Set(ids))
        #expect(try found(prefix).allSatisfy { $0["matched_by"] as? String == "case_id" && $0["state"] as? String == "received" })
        #expect(try Self.accessEvents(sandbox).isEmpty, "a search by case id discloses no patient data")
        #expect(try found("web-find-2").map { $0["id"] as? String } == [ids[1]])

        #expect(try found("doe jan").map { $0["id"] as? String } == [ids[0]])
        #expect(try found("NUNEZ jose").map { $0["matched_by"] as? String } == ["name"])
        #expect(try found("jane smith").isEmpty, "every word must match")
        #expect(try found("JANE.DOE@EXAMPLE.ORG").map { $0["matched_by"] as? String } == ["email", "email"])
        #expect(try found("+1 (405) 555-0100").count == 2)
        let page = try sandbox.opine("find", "+1 (405) 555-0100", "--json", "--limit", "1").json()
        #expect(page["next_offset"] as? Int == 1)
        // Which of the two is newest depends on which intake lane committed first.
        let paged = ((page["cases"] as? [[String: Any]])?.first?["id"] as? String) == ids[0] ? 1 : 0

        let access = try Self.accessEvents(sandbox)
        #expect(access.count == 7, "one event per case a patient-data search showed: \(access.map(\.detail))")
        let first = JSONText.decode(access[0].detail)
        #expect(first["what"] == "search" && access[0].caseID == ids[0] && first["matched_by"] == "name")
        #expect(access.allSatisfy { $0.caseID != nil && $0.actor == Sandbox.login })
        #expect(Set(access.map { JSONText.decode($0.detail)["search"] ?? "" }).count == 5, "five searches")
        let history = try Self.events(sandbox, ids[0]).filter { $0["type"] as? String == "access" }
        #expect(history.count == 3 + paged, "the case's history shows each search that found it by its patient's data")
        for event in access { #expect(!event.detail.lowercased().contains("doe") && !event.detail.contains("555")) }
        let verify = try sandbox.opine("verify", "--json")
        let intact = try verify.json()["intact"] as? Bool
        #expect(verify.status == 0 && intact == true, "\(verify.stdout)")
        #expect(try sandbox.opine("find", " ").status == 64)
        #expect(try sandbox.opine("find", "web-find-2").stdout.contains("submission_id"))
    }

    @Test("opine export copies the case's files, checked, keeping folders; refuses a non-empty target; is audited")
    func export() throws {
        let (sandbox, ids) = try Sandbox.withCases(1)
        let id = ids[0]
        let target = sandbox.root.appendingPathComponent("viewer")
        let result = try sandbox.opine("export", id.lowercased(), "--to", target.path, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try result.json()["files"] as? Int == 2)
        let folder = target.appendingPathComponent(id)
        let stored = sandbox.state.appendingPathComponent("cases/\(id)")
        for path in ["report.pdf", "MRI/IM000001"] {
            #expect(try Data(contentsOf: folder.appendingPathComponent(path)) == Data(contentsOf: stored.appendingPathComponent(path)))
        }
        #expect(try sandbox.opine("export", id, "--to", target.path).status == 64, "a non-empty target is refused")
        let exports = try Self.events(sandbox, id).filter { $0["type"] as? String == "access" }
        #expect(exports.count == 1 && (exports[0]["detail"] as? [String: String])?["what"] == "export")
        #expect(try sandbox.opine("show", id).stdout.contains("opine export \(id) --to DIR"))

        // A damaged stored file is found, and nothing is left behind.
        try Data("garbage".utf8).write(to: stored.appendingPathComponent("report.pdf"))
        let other = sandbox.root.appendingPathComponent("other")
        let damaged = try sandbox.opine("export", id, "--to", other.path)
        #expect(damaged.status == 65 && damaged.stderr.contains("report.pdf"), "\(damaged.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: other.path)) ?? []).isEmpty)
    }

    @Test("Case ids in any letter case and submission ids resolve; list filters; unknown names refused; local times and 'took'")
    func caseIDsListAndTimes() throws {
        let (sandbox, ids) = try Sandbox.withCases(2)
        let me = Self.notAdmin
        #expect(try sandbox.opine("show", ids[0].lowercased(), "--json").json()["id"] as? String == ids[0])
        #expect(try sandbox.opine("show", "web-flow-1", "--json").json()["id"] as? String == ids[1])
        #expect(try sandbox.opine("history", "web-flow-1", "--json").json()["case"] as? String == ids[1])
        let bySubmission = try sandbox.opine(["triage", "web-flow-1", "--assign", "dr-patel"], extraEnvironment: me)
        #expect(bySubmission.status == 2 && bySubmission.stderr.contains(ids[1]) && bySubmission.stderr.contains("opine find"))
        #expect(try sandbox.opine(["triage", ids[0].lowercased(), "--assign", "dr-patel"], extraEnvironment: me).status == 0)

        #expect(try sandbox.cases(["--unassigned"]).compactMap { $0["id"] as? String } == [ids[1]])
        #expect(try sandbox.cases(["--submission-id", "web-flow-0"]).compactMap { $0["id"] as? String } == [ids[0]])
        let unknown = try sandbox.opine("list", "--assignee", "dr-patil", "--json")
        #expect(unknown.status == 3 && unknown.stderr.contains("dr-okafor"), "\(unknown.stderr)")
        let typo = try sandbox.opine(["review", ids[0], "--findings", "x", "--as", "dr-patil"], extraEnvironment: Sandbox.admin)
        #expect(typo.status == 3 && typo.stderr.contains("known reviewers"))

        #expect(try sandbox.opine(["withdraw", ids[1], "--reason", "duplicate request"], extraEnvironment: me).status == 0)
        let chicago = try sandbox.opine(["list", "--all"], extraEnvironment: ["TZ": "America/Chicago"]).stdout
        #expect(chicago.contains(" CST") || chicago.contains(" CDT"), "\(chicago)")
        #expect(chicago.contains("took "), "a closed case shows how long it took")
        let history = try sandbox.opine(["history", ids[0]], extraEnvironment: ["TZ": "Asia/Tokyo"]).stdout
        #expect(history.contains(" GMT+9") || history.contains(" JST"), "\(history)")
    }

    @Test("Argument errors under --json are JSON on stderr with exit 64; help still works; pages give next_offset")
    func jsonUsageErrorsAndPaging() throws {
        let (sandbox, ids) = try Sandbox.withCases(1)
        for arguments in [["list", "--state", "pending", "--json"], ["review", ids[0], "--json"], ["list", "--limit", "0", "--json"],
                          ["review", ids[0], "--findings", "", "--json"]] {
            let result = try sandbox.opine(arguments)
            #expect(result.status == 64, "\(arguments)")
            let error = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
            let detail = error?["error"] as? [String: String]
            #expect(detail?["code"] == "usage" && !(detail?["message"] ?? "").isEmpty, "\(arguments): \(result.stderr)")
        }
        #expect(try sandbox.opine("review", ids[0], "--findings", " ").status == 64, "blank findings are a usage error")
        let help = try sandbox.opine("find", "--help")
        #expect(help.status == 0 && help.stdout.contains("Example"))
        #expect(try sandbox.opine("--version").status == 0)
        let rejected = try sandbox.opine("rejected", "--json").json()
        #expect(rejected.keys.contains("next_offset") && rejected["next_offset"] is NSNull)
        let deliveries = try sandbox.opine("deliveries", "--json").json()
        #expect(deliveries.keys.contains("next_offset") && deliveries["next_offset"] is NSNull)
    }
}
