import Foundation
import OpineConfiguration
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

@Suite("Review workflow through the real opine CLI")
struct WorkflowCLITests {
    /// A sandbox with `count` received cases.
    static func sandboxWithCases(_ count: Int, settings: [String: String] = [:]) throws -> (Sandbox, [String]) {
        let sandbox = try Sandbox(settings)
        try sandbox.startDaemon()
        let work = try sandbox.workFolder()
        for index in 0..<count {
            try sandbox.dropRenamed(try BundleBuilder(submissionID: "web-flow-\(index)").writeDirectory(in: work, name: "b\(index)"), as: "b\(index)")
        }
        try waitUntil("\(count) cases exist") { try sandbox.cases().count == count }
        return (sandbox, try sandbox.cases().map { $0["id"] as! String }.sorted())
    }

    @Test("A case goes received → triaged → reviewed → responded, and every refused move exits 3 with a reason")
    func fullPathAndRefusals() throws {
        let (sandbox, ids) = try Self.sandboxWithCases(2)
        let id = ids[0]
        let me = ["OPINE_WORKFLOW_ADMINS": ""]

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
        // Only the assigned reviewer records the review; a non-admin may not act as someone else.
        let notAssigned = try sandbox.opine(["review", id, "--findings", "x"], extraEnvironment: me)
        #expect(notAssigned.status == 3 && notAssigned.stderr.contains("dr-okafor"))
        let impersonation = try sandbox.opine(["review", id, "--findings", "x", "--as", "dr-okafor"], extraEnvironment: me)
        #expect(impersonation.status == 3 && impersonation.stderr.contains("only admins may act as someone else"))
        // An admin may, and it is audited.
        let login = ProcessInfo.processInfo.environment["USER"] ?? String(cString: getpwuid(geteuid())!.pointee.pw_name)
        let admin = ["OPINE_WORKFLOW_ADMINS": login]
        let findings = sandbox.root.appendingPathComponent("findings.txt")
        try "Broad-based L4-L5 protrusion; no surgery indicated.".write(to: findings, atomically: true, encoding: .utf8)
        #expect(try sandbox.opine(["review", id, "--findings-file", findings.path, "--as", "dr-okafor"], extraEnvironment: admin).status == 0)
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

        let events = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
        #expect(events.map { $0["type"] as! String } == ["intake", "triage", "retriage", "review", "respond"])
        let review = try #require(events.first { $0["type"] as? String == "review" })
        #expect(review["actor"] as? String == "dr-okafor")
        #expect((review["detail"] as? [String: String])?["entered_by"] == login)
        let outbox = try sandbox.store().outbox(caseID: id).map(\.type)
        #expect(outbox == [.caseReceived, .caseTriaged, .caseTriaged, .caseReviewed, .caseResponded])

        // Withdraw works from an open state and needs a reason.
        #expect(try sandbox.opine(["withdraw", ids[1], "--reason", " "], extraEnvironment: me).status == 3)
        #expect(try sandbox.opine(["withdraw", ids[1], "--reason", "patient asked"], extraEnvironment: me).status == 0)

        // Paging: the first page says where the next starts; the last says there is none.
        let first = try sandbox.opine("list", "--all", "--limit", "1", "--json").json()
        #expect((first["cases"] as? [Any])?.count == 1 && first["next_offset"] as? Int == 1)
        let last = try sandbox.opine("list", "--all", "--limit", "1", "--offset", "1", "--json").json()
        #expect((last["cases"] as? [Any])?.count == 1 && last["next_offset"] is NSNull)
        #expect(try sandbox.opine("list", "--all", "--limit", "1").stdout.contains("--offset 1"))
        // Not found and usage errors have their own exit codes.
        #expect(try sandbox.opine("show", "C-19990101-0001").status == 2)
        #expect(try sandbox.opine("list", "--state", "pending").status == 64)
        #expect(try sandbox.opine(["review", ids[0]]).status == 64)
    }

    @Test("Two people acting on one case at once: exactly one succeeds, the other gets a conflict")
    func concurrentTransitionsConflict() throws {
        let (sandbox, ids) = try Self.sandboxWithCases(6, settings: ["OPINE_WORKFLOW_ADMINS": ""])
        let login = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        let reviewers = "dr-patel=Dr. Asha Patel;\(login)=Me"
        for id in ids {
            #expect(try sandbox.opine(["triage", id, "--assign", login], extraEnvironment: ["OPINE_REVIEWERS": reviewers]).status == 0)
        }
        for id in ids {
            let results = try runConcurrently(2) { index in
                try sandbox.opine(["review", id, "--findings", "findings \(index)"], extraEnvironment: ["OPINE_REVIEWERS": reviewers])
            }
            let statuses = results.map(\.status).sorted()
            #expect(statuses == [0, 3], "one success and one conflict, got \(results.map { ($0.status, $0.stderr) })")
            #expect(!results.contains { $0.stderr.contains("locked") })
            let history = try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
            #expect(history.map { $0["type"] as! String } == ["intake", "triage", "review"])
        }
    }

    @Test("A bad configuration is refused with the file, the key, the value and what is allowed")
    func badConfigurationIsRefused() throws {
        let sandbox = try Sandbox(["OPINE_INTAKE_SETTLE_SECONDS": "soon"])
        let result = try sandbox.opine("list")
        #expect(result.status == 78)
        #expect(result.stderr.contains("OPINE_INTAKE_SETTLE_SECONDS") && result.stderr.contains("soon") && result.stderr.contains("seconds from 0"))

        let daemon = Process()
        daemon.executableURL = Sandbox.binaries.appendingPathComponent("opined")
        daemon.environment = sandbox.environment
        let err = Pipe()
        daemon.standardError = err
        try daemon.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 78)
        #expect(output.contains("intake.settle_seconds"))
    }
}

/// Runs `body` on `count` threads released together.
func runConcurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let group = DispatchGroup()
    let lock = NSLock()
    nonisolated(unsafe) var results: [Int: Result<T, Error>] = [:]
    for index in 0..<count {
        DispatchQueue.global().async(group: group) {
            let result = Result { try body(index) }
            lock.withLock { results[index] = result }
        }
    }
    group.wait()
    return try (0..<count).map { try results[$0]!.get() }
}
