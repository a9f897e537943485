import Foundation
import OpineCore
import OpineStore
import OpineTestSupport
import Testing

/// A case is a conversation, end to end with the real opined and opine: supplements add files, the practice waits
/// for the patient with its clock paused, follow-up questions and addenda.
@Suite("A case is a conversation: supplements, waiting for the patient, follow-ups and addenda")
struct ConversationTests {
    static let admin = Sandbox.admin

    /// The follow-up of the first bundle: `files`, naming `original`'s submission in `supplements`, under the same
    /// submission id (as an upload page's second step would), with no patient, consent or request block.
    static func supplement(of original: String, id: String? = nil, files: [BundleBuilder.File], question: String? = nil) -> BundleBuilder {
        var bundle = BundleBuilder(submissionID: id ?? original)
        bundle.files = files
        bundle.manifest["supplements"] = original
        bundle.manifest["patient"] = nil
        bundle.manifest["consent"] = nil
        bundle.manifest["request"] = question.map { ["question": $0] }
        return bundle
    }

    static func history(_ sandbox: Sandbox, _ id: String) throws -> [[String: Any]] {
        try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
    }

    static func sha256(_ url: URL) throws -> String { Samples.sha256(try Data(contentsOf: url)) }

    @Test("The radiology report the first upload lacked arrives as a supplement: stored, hashed, files.added, case.updated")
    func reportAdded() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        try sandbox.startDaemon()
        var first = BundleBuilder(submissionID: "web-sample-0001")
        first.files.removeFirst()  // The CD only; the report was forgotten.
        let id = try #require(try sandbox.addCases([first]).first)

        let report = Samples.pdf, image = Samples.dicom("a second series")
        let follow = Self.supplement(of: "web-sample-0001", files: [
            ("report.pdf", report, "radiology_report", "application/pdf"), ("MRI/IM000001", image, "imaging", "application/dicom"),
        ])
        try sandbox.drop(follow, as: "web-sample-0001-more")
        try waitUntil("the files are added") { try Self.history(sandbox, id).contains { $0["type"] as? String == "files.added" } }

        let shown = try sandbox.opine("show", id, "--json").json()
        let files = try #require(shown["files"] as? [[String: Any]])
        let added = files.filter { $0["supplement_id"] is NSNumber }
        #expect(Set(added.compactMap { $0["path"] as? String }) == ["report.pdf", "MRI/IM000001-2"], "the taken name got a suffix")
        let folder = sandbox.state.appendingPathComponent("cases/\(id)")
        #expect(try Self.sha256(folder.appendingPathComponent("report.pdf")) == Samples.sha256(report))
        #expect(try Self.sha256(folder.appendingPathComponent("MRI/IM000001")) == Samples.sha256(first.files[0].data), "nothing overwritten")
        #expect(added.first { $0["path"] as? String == "report.pdf" }?["sha256"] as? String == Samples.sha256(report))
        let updates = try #require(shown["updates"] as? [[String: Any]])
        #expect(updates.map { $0["kind"] as? String } == ["supplement"])

        try waitUntil("case.updated reaches the desk") { receiver.requests("/ok").contains { $0.type == "case.updated" && $0.caseID == id } }
        let notice = try #require(receiver.requests("/ok").first { $0.type == "case.updated" })
        #expect(notice.data["changed"] as? [String] == ["files"])
        #expect(!BundleBuilder.patientData.contains { notice.body.contains($0) })

        // The same supplement sent again (a retried upload) is a duplicate, and nothing is stored twice.
        try sandbox.drop(follow, as: "web-sample-0001-retry")
        try waitUntil("the repeat is recorded") { try sandbox.rejections().contains { $0["code"] as? String == "duplicate" } }
        #expect((try sandbox.opine("show", id, "--json").json()["files"] as? [[String: Any]])?.count == 3)
    }

    @Test("Supplements for unknown and withdrawn cases are refused with their codes; one for a responded case is a follow-up question")
    func refusedAndFollowUp() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        sandbox.environment["OPINE_INTAKE_SUPPLEMENT_WAIT"] = "1s"
        try sandbox.startDaemon()
        let ids = try sandbox.addCases([BundleBuilder(submissionID: "web-withdrawn"), BundleBuilder(submissionID: "web-answered")])
        #expect(try sandbox.opine(["withdraw", ids[0], "--reason", "patient asked"], extraEnvironment: Self.admin).status == 0)
        try WebhookDeliveryTests.walk(sandbox, ids[1])
        let note = ("note.txt", Data("More pain at night.".utf8), "other", "text/plain")
        try sandbox.drop(Self.supplement(of: "web-nobody", id: "web-s1", files: [note]))
        try sandbox.drop(Self.supplement(of: "web-withdrawn", id: "web-s2", files: [note]))
        try waitUntil("both are quarantined") { try sandbox.rejections().count == 2 }
        let codes = Dictionary(try sandbox.rejections().map { ($0["submission_id"] as? String ?? "", $0["code"] as? String ?? "") }) { a, _ in a }
        #expect(codes == ["web-s1": "supplement_unknown_case", "web-s2": "supplement_case_withdrawn"])

        try sandbox.drop(Self.supplement(of: "web-answered", id: "web-s3", files: [], question: "Can I still swim?"))
        try waitUntil("the follow-up is on the case") { try Self.history(sandbox, ids[1]).contains { $0["type"] as? String == "follow_up_question" } }
        #expect(try sandbox.cases().count == 2, "no new case")
        let conversation = try #require(try sandbox.opine("show", ids[1], "--json").json()["conversation"] as? [String: Any])
        #expect(conversation["follow_up_since"] is String)
        let amend = try sandbox.opine(["amend", ids[1], "--findings", "Swimming is fine.", "--reason", "patient's follow-up", "--as", "dr-patel"], extraEnvironment: Self.admin)
        #expect(amend.status == 0, "\(amend.stderr)")
        #expect((try sandbox.opine("show", ids[1], "--json").json()["conversation"] as? [String: Any])?["follow_up_since"] is NSNull)
    }

    @Test("A supplement that arrives before its submission waits for the case, then is added to it")
    func supplementBeforeItsCase() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let first = BundleBuilder(submissionID: "web-early")
        try sandbox.drop(Self.supplement(of: "web-early", id: "web-early-2", files: [("report.pdf", Samples.pdf, "radiology_report", "application/pdf")]))
        try waitUntil("the supplement waits") { sandbox.log.contains("a supplement waits for the submission it names") }
        #expect(try sandbox.rejections().isEmpty, "not quarantined while its case may still come")
        let id = try #require(try sandbox.addCases([first]).first)
        try waitUntil("the supplement is added", seconds: 30) {
            try Self.history(sandbox, id).contains { $0["type"] as? String == "files.added" }
        }
        #expect(try sandbox.rejections().isEmpty && (try sandbox.opine("status").status) == 0, "waiting was never an intake problem")
    }

    @Test("request-info pauses the clock until a supplement returns the case; the reminder goes once; only include_contact hears the message")
    func waitingForThePatient() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok")
            + receiver.endpoint("messaging", path: "/messaging", extra: "include_contact = true"))
        sandbox.environment["OPINE_TURNAROUND_INFORMATION_REMINDER_AFTER"] = "1s"
        try sandbox.startDaemon()
        let id = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-wait")]).first)
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Self.admin).status == 0)
        let dueBefore = try #require(try sandbox.opine("show", id, "--json").json()["due_at"] as? String)
        let message = "Please upload the radiology report from your MRI."
        let asked = try sandbox.opine(["request-info", id, "--message", message], extraEnvironment: Self.admin)
        #expect(asked.status == 0, "\(asked.stderr)")
        let waiting = try sandbox.opine("show", id, "--json").json()
        #expect(waiting["state"] as? String == "awaiting_information" && waiting["due_at"] is NSNull)
        let stale = { (days: String) in try #require(try sandbox.opine("list", "--stale", days, "--json").json()["cases"] as? [[String: Any]]) }
        #expect(try stale("0").map { $0["id"] as? String } == [id])
        #expect(try stale("1").isEmpty)

        try waitUntil("the reminder reaches the messaging endpoint") {
            receiver.requests("/messaging").contains { $0.type == "case.information_reminder" }
        }
        for type in ["case.information_requested", "case.information_reminder"] {
            let told = try #require(receiver.requests("/messaging").first { $0.type == type })
            #expect(told.data["message"] as? String == message, "\(type) carries the words for the patient")
            try waitUntil("the desk hears of \(type)") { receiver.requests("/ok").contains { $0.type == type } }
            #expect(!receiver.requests("/ok").contains { $0.type == type && $0.body.contains("radiology report") }, "not to the desk")
        }
        // Another case asked later gets its own reminder from a later sweep; by then the first has had only one.
        let other = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-wait-other")]).first)
        #expect(try sandbox.opine(["request-info", other, "--message", "Please send the CD."], extraEnvironment: Self.admin).status == 0)
        try waitUntil("the other case is reminded") { try Self.history(sandbox, other).contains { $0["type"] as? String == "information_reminder" } }
        #expect(try Self.history(sandbox, id).filter { $0["type"] as? String == "information_reminder" }.count == 1)

        let report = ("report-2.pdf", Samples.pdf, "radiology_report", "application/pdf")
        try sandbox.drop(Self.supplement(of: "web-wait", id: "web-wait-2", files: [report]))
        try waitUntil("the case is back in triage") { try sandbox.opine("show", id, "--json").json()["state"] as? String == "triaged" }
        let back = try sandbox.opine("show", id, "--json").json()
        let conversation = try #require(back["conversation"] as? [String: Any])
        let request = try #require((conversation["information_requests"] as? [[String: Any]])?.first)
        let asked_at = try #require(Timestamps.parse(request["at"] as? String ?? ""))
        let answered = try #require(Timestamps.parse(request["answered_at"] as? String ?? ""))
        let dueAfter = try #require(Timestamps.parse(back["due_at"] as? String ?? ""))
        let moved = dueAfter.timeIntervalSince(try #require(Timestamps.parse(dueBefore)))
        #expect(abs(moved - answered.timeIntervalSince(asked_at)) < 0.002, "the due time moved by exactly the time waited (\(moved) s)")
        #expect(moved >= 1, "the wait lasted at least until the reminder (1 s)")
        #expect(try Self.history(sandbox, id).map { $0["type"] as? String }.suffix(3) == ["request_info", "information_reminder", "files.added"])
    }

    @Test("Addenda after review and after response; the letter command returns each letter byte for byte")
    func addendaAndLetters() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        try sandbox.startDaemon()
        let id = try #require(try sandbox.addCases([BundleBuilder(submissionID: "web-amend")]).first)
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: Self.admin).status == 0)
        #expect(try sandbox.opine(["review", id, "--findings", "L4-L5 herniation.", "--as", "dr-patel"], extraEnvironment: Self.admin).status == 0)
        let findings = try sandbox.opine(
            ["amend", id, "--findings", "Also mild L5-S1 narrowing.", "--reason", "missed on first read", "--as", "dr-patel"], extraEnvironment: Self.admin)
        #expect(findings.status == 0, "\(findings.stderr)")
        let early = sandbox.root.appendingPathComponent("early.txt")
        try Data("A letter before any response".utf8).write(to: early)
        #expect(try sandbox.opine(["amend", id, "--letter-file", early.path, "--reason", "too soon"], extraEnvironment: Self.admin).status == 3)

        let letter = sandbox.root.appendingPathComponent("letter.pdf"), corrected = sandbox.root.appendingPathComponent("corrected.txt")
        // A PDF with the binary comment line real ones carry after the header: bytes no text round trip keeps.
        let pdf = Data("%PDF-1.4\n%".utf8) + Data([0xE2, 0xE3, 0xCF, 0xD3, 0x0A]) + Samples.pdf.drop(while: { $0 != 0x0A }).dropFirst()
        try pdf.write(to: letter)
        try Data("Dear patient,\nthe corrected date is 2 December.\n".utf8).write(to: corrected)
        #expect(try sandbox.opine(["respond", id, "--letter-file", letter.path], extraEnvironment: Self.admin).status == 0)
        #expect(try sandbox.opine(["amend", id, "--letter-file", corrected.path, "--reason", "wrong date"], extraEnvironment: Self.admin).status == 0)

        let out = sandbox.root.appendingPathComponent("read-back.txt"), first = sandbox.root.appendingPathComponent("read-back.pdf")
        #expect(try sandbox.opine("letter", id, "--index", "2", "--out", out.path).status == 0)
        #expect(try Data(contentsOf: out) == Data(contentsOf: corrected))
        #expect(try sandbox.opine("letter", id, "--out", first.path).status == 0)
        #expect(try Data(contentsOf: first) == pdf, "the response letter, byte for byte")
        let text = try sandbox.opine("show", id).stdout
        #expect(text.contains("L4-L5 herniation.") && text.contains("Also mild L5-S1 narrowing.") && text.contains("wrong date"))
        let conversation = try #require(try sandbox.opine("show", id, "--json").json()["conversation"] as? [String: Any])
        #expect((conversation["addenda"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["findings", "letter"])
        try waitUntil("both addenda are announced") { receiver.requests("/ok").filter { $0.type == "case.amended" }.count == 2 }
        #expect(receiver.requests("/ok").filter { $0.type == "case.amended" }.map { $0.data["amended"] as? String } == ["findings", "letter"])
        #expect(try sandbox.opine("verify").status == 0)
    }
}
