import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Review workflow through the real opine CLI: moves, refusals, audit, withdrawal, paging and conflicts")
struct ReviewWorkflowCLITests {
    /// An environment in which the test user is no workflow admin.
    static let notAdmin = ["OPINE_WORKFLOW_ADMINS": ""]

    @Test("A case goes received → triaged → reviewed → responded, and every refused move exits 3 with a reason")
    func fullPathAndRefusals() throws {
        let (sandbox, ids) = try Sandbox.withCases(1)
        let id = ids[0], me = Self.notAdmin

        // Refused before triage.
        #expect(try sandbox.opine(["review", id, "--findings", "x"], extraEnvironment: me).status == 3)
        #expect(try sandbox.opine(["respond", id, "--letter-file", "/dev/null"], extraEnvironment: me).status != 0)
        let unknown = try sandbox.opine(["triage", id, "--assign", "dr-nobody"], extraEnvironment: me)
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("dr-patel"), "the error lists the known reviewers")
        let noNote = try sandbox.opine(["triage", id, "--priority", "urgent"], extraEnvironment: me)
        #expect(noNote.status == 3 && noNote.stderr.contains("--note"))

        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel", "--priority", "urgent", "--note", "weakness on exam"], extraEnvironment: me).status == 0)
        // Re-triage stays triaged.
        let retriage = try sandbox.opine(["triage", id, "--assign", "dr-okafor", "--json"], extraEnvironment: me).json()
        #expect(retriage["state"] as? String == "triaged" && retriage["assignee"] as? String == "dr-okafor")
        try Self.reviewAsAssignee(sandbox, id)
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: me).status == 3, "reviewed cases cannot be re-triaged")

        let letter = sandbox.root.appendingPathComponent("letter.pdf")
        try Samples.pdf.write(to: letter)
        #expect(try sandbox.opine(["respond", id, "--letter-file", letter.path], extraEnvironment: me).status == 0)
        let shown = try sandbox.opine("show", id, "--json").json()
        #expect(shown["state"] as? String == "responded")
        #expect(shown["priority"] as? String == "urgent" && shown["intake_priority"] as? String == "routine")
        #expect((shown["letters"] as? [[String: Any]])?.first?["sha256"] as? String == Samples.sha256(Samples.pdf))
        // Final states accept nothing.
        #expect(try sandbox.opine(["withdraw", id, "--reason", "x"], extraEnvironment: me).status == 3)
        try Self.checkAudited(sandbox, id)
    }

    /// Only the assigned reviewer (dr-okafor) records the review; a non-admin may not act as someone else; an admin
    /// may, and it is audited.
    static func reviewAsAssignee(_ sandbox: Sandbox, _ id: String) throws {
        let notAssigned = try sandbox.opine(["review", id, "--findings", "x"], extraEnvironment: notAdmin)
        #expect(notAssigned.status == 3 && notAssigned.stderr.contains("dr-okafor"))
        let impersonation = try sandbox.opine(["review", id, "--findings", "x", "--as", "dr-okafor"], extraEnvironment: notAdmin)
        #expect(impersonation.status == 3 && impersonation.stderr.contains("only admins may act as someone else"))
        let findings = sandbox.root.appendingPathComponent("findings.txt")
        try "Broad-based L4-L5 protrusion; no surgery indicated.".write(to: findings, atomically: true, encoding: .utf8)
        #expect(try sandbox.opine(["review", id, "--findings-file", findings.path, "--as", "dr-okafor"], extraEnvironment: Sandbox.admin).status == 0)
    }

    /// The history shows every move once, the review by dr-okafor entered by the admin, and the outbox announces each.
    static func checkAudited(_ sandbox: Sandbox, _ id: String) throws {
        let events = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
        #expect(events.map { $0["type"] as? String } == ["intake", "triage", "retriage", "review", "respond"])
        let review = try #require(events.first { $0["type"] as? String == "review" })
        #expect(review["actor"] as? String == "dr-okafor")
        #expect((review["detail"] as? [String: String])?["entered_by"] == Sandbox.login)
        let outbox = try sandbox.store().outbox(caseID: id).map(\.type)
        #expect(outbox == [.caseReceived, .caseTriaged, .caseTriaged, .caseReviewed, .caseResponded])
    }

    @Test("Withdrawal needs a reason; list pages say where the next starts; not found and usage errors have their own exit codes")
    func withdrawPagingAndErrors() throws {
        let (sandbox, ids) = try Sandbox.withCases(2)
        #expect(try sandbox.opine(["withdraw", ids[1], "--reason", " "], extraEnvironment: Self.notAdmin).status == 3)
        #expect(try sandbox.opine(["withdraw", ids[1], "--reason", "patient asked"], extraEnvironment: Self.notAdmin).status == 0)
        #expect(try sandbox.opine("show", ids[1], "--json").json()["state"] as? String == "withdrawn")

        let first = try sandbox.opine("list", "--all", "--limit", "1", "--json").json()
        #expect((first["cases"] as? [Any])?.count == 1 && first["next_offset"] as? Int == 1)
        let last = try sandbox.opine("list", "--all", "--limit", "1", "--offset", "1", "--json").json()
        #expect((last["cases"] as? [Any])?.count == 1 && last["next_offset"] is NSNull)
        #expect(try sandbox.opine("list", "--all", "--limit", "1").stdout.contains("--offset 1"))
        #expect(try sandbox.opine("show", "C-19990101-0001").status == 2)
        #expect(try sandbox.opine("list", "--state", "pending").status == 64)
        #expect(try sandbox.opine(["review", ids[0]]).status == 64)
    }

    @Test("Two people acting on one case at once: exactly one succeeds, the other gets a conflict")
    func concurrentTransitionsConflict() throws {
        let (sandbox, ids) = try Sandbox.withCases(6, settings: Self.notAdmin)
        let reviewers = ["OPINE_REVIEWERS": "dr-patel=Dr. Asha Patel;\(Sandbox.login)=Me"]
        for id in ids {
            #expect(try sandbox.opine(["triage", id, "--assign", Sandbox.login], extraEnvironment: reviewers).status == 0)
        }
        for id in ids {
            let results = try runConcurrently(2) { index in
                try sandbox.opine(["review", id, "--findings", "findings \(index)"], extraEnvironment: reviewers)
            }
            let statuses = results.map(\.status).sorted()
            #expect(statuses == [0, 3], "one success and one conflict, got \(results.map { ($0.status, $0.stderr) })")
            #expect(!results.contains { $0.stderr.contains("locked") })
            let history = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
            #expect(history.map { $0["type"] as? String } == ["intake", "triage", "review"])
        }
    }
}
