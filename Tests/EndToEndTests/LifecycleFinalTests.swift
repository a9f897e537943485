import Foundation
import OpineCore
import OpineTestSupport
import Testing

/// A purged case is final: what would add patient data to it is refused or becomes a new case, since the purge has
/// passed and would never remove it.
@Suite("Lifecycle: a purged case takes nothing more")
struct LifecycleFinalTests {
    @Test("After the purge of a responded case: a supplement is quarantined, a re-send is a new linked case, notes and amendments are refused (3); verify is green")
    func purgedCaseIsFinal() throws {
        let sandbox = try Sandbox(["OPINE_RETENTION_RESPONDED_CASES": "0"])
        try sandbox.startDaemon()
        let original = BundleBuilder(submissionID: "web-final")
        let id = try sandbox.addCases([original])[0]
        let admin = Sandbox.admin
        #expect(try sandbox.opine(["triage", id, "--assign", "dr-patel"], extraEnvironment: admin).status == 0)
        #expect(try sandbox.opine(["review", id, "--findings", "L4-L5 herniation.", "--as", "dr-patel"], extraEnvironment: admin).status == 0)
        let letter = sandbox.root.appendingPathComponent("letter.txt")
        try Data("Dear patient,\nno surgery is needed.\n".utf8).write(to: letter)
        #expect(try sandbox.opine(["respond", id, "--letter-file", letter.path], extraEnvironment: admin).status == 0)
        let purge = try sandbox.opine("purge", "--json")
        #expect(try purge.status == 0 && LifecycleTests.targets(purge.json(), "case_file") == [id], "\(purge.stdout)\(purge.stderr)")

        let note = try sandbox.opine(["note", id, "--text", "Patient called"], extraEnvironment: admin)
        #expect(note.status == 3 && note.stderr.contains("patient data was purged on"), "\(note.stderr)")
        let amend = try sandbox.opine(["amend", id, "--findings", "More.", "--reason", "late", "--as", "dr-patel"], extraEnvironment: admin)
        #expect(amend.status == 3, "\(amend.stderr)")

        let extra = ConversationTests.supplement(of: "web-final", files: [("more.pdf", Samples.pdf, "radiology_report", "application/pdf")])
        try sandbox.drop(extra, as: "web-final-more")
        try waitUntil("the supplement is quarantined") { try sandbox.rejections().contains { $0["code"] as? String == "supplement_case_purged" } }
        #expect(try sandbox.store().files(of: id).count == 2, "nothing was added to the purged case")
        #expect(!FileManager.default.fileExists(atPath: sandbox.state.appendingPathComponent("cases/\(id)").path))

        var resend = original
        resend.manifest["request"] = ["regions": ["lumbar"], "question": "It hurts again", "symptoms": ["sciatica"]]
        try sandbox.drop(resend, as: "web-final-again")
        try waitUntil("the re-send is a new case") { try sandbox.cases().count == 2 }
        let newID = try #require(try sandbox.cases().compactMap { $0["id"] as? String }.first { $0 != id })
        #expect(try sandbox.opine("show", newID, "--json").json()["related_case_id"] as? String == id)
        #expect(try sandbox.opine("verify").status == 0)
    }
}
