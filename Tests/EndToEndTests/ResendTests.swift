import Foundation
import OpineStore
import OpineTestSupport
import Testing

@Suite("Re-sends: nothing a patient sends is lost as a duplicate; new information updates the case or opens a linked one")
struct ResendTests {
    /// A sandbox with a receiver subscribed to everything, and one routine case stored from `original`.
    static func withCase(_ original: BundleBuilder) throws -> (Sandbox, Receiver, String) {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        try sandbox.startDaemon()
        let id = try #require(try sandbox.addCases([original]).first)
        try waitUntil("case.received is delivered") { receiver.requests("/ok").contains { $0.caseID == id } }
        return (sandbox, receiver, id)
    }

    static func history(_ sandbox: Sandbox, _ id: String) throws -> [[String: Any]] {
        try #require(try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])
    }

    @Test("The same submission id, manifest and files again: removed as a true duplicate, and the removal audited")
    func trueDuplicate() throws {
        let original = BundleBuilder(submissionID: "web-resend-same")
        let (sandbox, _, id) = try Self.withCase(original)
        try sandbox.drop(original, as: "again")
        try waitUntil("the duplicate is recorded") { try sandbox.rejections().count == 1 }
        let rejection = try #require(try sandbox.rejections().first)
        #expect(rejection["code"] as? String == "duplicate" && rejection["duplicate_of"] as? String == id)
        #expect(try Self.history(sandbox, id).filter { $0["type"] as? String == "duplicate" }.count == 1)
        #expect(try sandbox.cases().count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty)
    }

    @Test("The same files under a new submission id with a red flag: the case becomes an emergency, announced")
    func newSymptomsEscalate() throws {
        let original = BundleBuilder(submissionID: "web-resend-first")
        let (sandbox, receiver, id) = try Self.withCase(original)
        var again = original
        again.manifest["submission_id"] = "web-resend-second"
        again.edit("request") { $0["symptoms"] = ["bowel_bladder_dysfunction"] }
        try sandbox.drop(again, as: "again")

        try waitUntil("case.emergency and case.updated are delivered") {
            Set(receiver.requests("/ok").filter { $0.caseID == id }.map(\.type)).isSuperset(of: ["case.emergency", "case.updated"])
        }
        let sent = receiver.requests("/ok").filter { $0.caseID == id }
        #expect(sent.map(\.type) == ["case.received", "case.emergency", "case.updated"])
        let updated = try #require(sent.last)
        #expect(updated.data["changed"] as? [String] == ["symptoms", "submission_id"])
        #expect(updated.data["priority"] as? String == "emergency" && updated.data["priority_from"] as? String == "routine")
        for secret in WebhookDeliveryTests.patientData { #expect(!updated.body.contains(secret)) }

        #expect(try sandbox.cases().count == 1, "no second case")
        let shown = try sandbox.opine("show", id, "--json").json()
        #expect(shown["priority"] as? String == "emergency")
        #expect(shown["symptoms"] as? [String] == ["sciatica", "bowel_bladder_dysfunction"], "merged, not replaced")
        let update = try #require(try Self.history(sandbox, id).last)
        #expect(update["type"] as? String == "update")
        let detail = try #require(update["detail"] as? [String: String])
        #expect(detail["changed"] == "symptoms,submission_id" && detail["priority_to"] == "emergency")
        // The manifest as sent is kept with the case.
        let kept = try #require(try sandbox.store().updates(of: id).first)
        #expect(kept.manifest == (try again.manifestData()) && kept.submissionID == "web-resend-second")
        #expect(try sandbox.rejections().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty)
    }

    @Test("The same submission with only a new question: the case is updated, its priority kept, no emergency")
    func newQuestionOnly() throws {
        let original = BundleBuilder(submissionID: "web-resend-question")
        let (sandbox, receiver, id) = try Self.withCase(original)
        var again = original
        again.edit("request") { $0["question"] = "Could physiotherapy be enough?" }
        try sandbox.drop(again, as: "again")
        try waitUntil("case.updated is delivered") { receiver.requests("/ok").contains { $0.type == "case.updated" } }
        let updated = try #require(receiver.requests("/ok").first { $0.type == "case.updated" })
        #expect(updated.data["changed"] as? [String] == ["question"] && updated.data["priority_from"] == nil)
        #expect(!receiver.requests("/ok").contains { $0.type == "case.emergency" })
        let shown = try sandbox.opine("show", id, "--json").json()
        #expect(shown["priority"] as? String == "routine" && shown["question"] as? String == "Could physiotherapy be enough?")
        #expect(!updated.body.contains("physiotherapy"), "free text never reaches a webhook")
    }

    @Test("A re-send with new information: on a responded case a follow-up question on it; on a withdrawn one a new, linked case")
    func resendAfterFinal() throws {
        let original = BundleBuilder(submissionID: "web-resend-late")
        let (sandbox, receiver, id) = try Self.withCase(original)
        try WebhookDeliveryTests.walk(sandbox, id)
        var again = original
        again.edit("request") { $0["symptoms"] = ["sciatica", "progressive_weakness"] }
        try sandbox.drop(again, as: "again")
        try waitUntil("the follow-up is recorded") { try Self.history(sandbox, id).last?["type"] as? String == "follow_up_question" }
        #expect(try sandbox.cases().count == 1, "no new case for a responded one")
        let shown = try sandbox.opine("show", id, "--json").json()
        let conversation = try #require(shown["conversation"] as? [String: Any])
        #expect(shown["state"] as? String == "responded" && conversation["follow_up_since"] is String)
        #expect(try sandbox.opine("list", "--follow-up", "--json").json()["cases"].map { ($0 as? [[String: Any]])?.count } == 1)
        try waitUntil("case.updated is delivered") { receiver.requests("/ok").contains { $0.type == "case.updated" && $0.caseID == id } }

        let withdrawn = BundleBuilder(submissionID: "web-resend-withdrawn")
        let withdrawnID = try #require(try sandbox.addCases([withdrawn]).first)
        #expect(try sandbox.opine("withdraw", withdrawnID, "--reason", "patient asked").status == 0)
        var later = withdrawn
        later.edit("request") { $0["question"] = "Can you look after all?" }
        try sandbox.drop(later, as: "later")
        try waitUntil("a new case exists") { try sandbox.cases().count == 3 }
        let newID = try #require(try sandbox.caseID(submission: "web-resend-withdrawn"))
        #expect(newID != withdrawnID)
        #expect(try sandbox.opine("show", newID, "--json").json()["related_case_id"] as? String == withdrawnID)
        #expect(try Self.history(sandbox, withdrawnID).last?["type"] as? String == "follow_up")
    }

    @Test("Other files under a case's submission id: quarantined with its own reason, never removed")
    func otherFilesSameSubmission() throws {
        let original = BundleBuilder(submissionID: "web-resend-other")
        let (sandbox, _, _) = try Self.withCase(original)
        var other = original
        other.files.append(("MRI/IM000002", Samples.dicom("another image"), "imaging", "application/dicom"))
        try sandbox.drop(other, as: "other")
        try waitUntil("the upload is quarantined") { try sandbox.rejections().count == 1 }
        #expect(try sandbox.rejections().first?["code"] as? String == "submission_reused")
        #expect(try sandbox.cases().count == 1)
        let kept = try FileManager.default.contentsOfDirectory(atPath: sandbox.rejected.path)
        #expect(kept.count == 1, "the upload is kept in quarantine")
    }
}
