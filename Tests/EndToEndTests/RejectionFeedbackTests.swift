import Foundation
import OpineTestSupport
import Testing

/// What an uploader learns from opined's `bundle.rejected` webhook, with the real opined and a loopback receiver:
/// the refusal's id (the same in reason.json and `opine rejected`), the upload's digest, the submission id whenever
/// the manifest has a readable one, and the entry or field at fault — never patient data.
@Suite("Rejection feedback: bundle.rejected names the refusal, the upload, the submission and what is at fault")
struct RejectionFeedbackTests {
    static let patientData = ["Jane", "Doe", "jane.doe@example.org", "555 0100", "1968-04-02", "herniation", "02/04/1968"]

    /// A sandbox whose one endpoint is `receiver`'s `/ok`, with the incomplete timeout given (in hours).
    static func sandbox(_ receiver: Receiver, incompleteAfterHours: String = "24") throws -> Sandbox {
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        sandbox.environment["OPINE_INTAKE_INCOMPLETE_AFTER_HOURS"] = incompleteAfterHours
        try sandbox.startDaemon()
        return sandbox
    }

    /// The `bundle.rejected` data for the upload `name`, once it arrived; checked against `opine rejected` and the
    /// quarantine folder's reason.json, and for patient data.
    static func rejected(_ sandbox: Sandbox, _ receiver: Receiver, upload name: String, seconds: Double = 20) throws -> [String: Any] {
        var found: [String: Any]?
        try waitUntil("the rejection of \(name) is announced", seconds: seconds) {
            guard let row = try sandbox.rejections().first(where: { $0["upload"] as? String == name }),
                  let id = row["rejection_id"] as? String else { return false }
            found = receiver.requests("/ok").first { $0.type == "bundle.rejected" && $0.data["rejection_id"] as? String == id }?.data
            return found != nil
        }
        let data = try #require(found)
        let row = try #require(try sandbox.rejections().first { $0["upload"] as? String == name })
        #expect(row["upload_digest"] as? String == data["upload_digest"] as? String)
        #expect((data["upload_digest"] as? String)?.count == 12)
        #expect(row["code"] as? String == data["reason"] as? String)
        for key in ["submission_id", "entry", "field"] {
            #expect(row[key] as? String == data[key] as? String, "\(key) differs between opine rejected and the webhook")
        }
        let folder = try #require(row["quarantine"] as? String)
        let reason = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/reason.json"))) as? [String: Any]
        #expect(reason?["rejection_id"] as? String == data["rejection_id"] as? String)
        let text = try sandbox.opine("rejected").stdout
        #expect(text.contains(data["rejection_id"] as? String ?? "?"), "the text table shows the rejection id")
        let body = String(decoding: try JSONSerialization.data(withJSONObject: data), as: UTF8.self)
        for secret in patientData { #expect(!body.contains(secret), "bundle.rejected leaked \(secret)") }
        return data
    }

    @Test("Checksum mismatch, a zip refused for another entry, a manifest with one bad field, a listed symlink (at once)")
    func refusalsNameWhatIsAtFault() throws {
        let receiver = try Receiver()
        let sandbox = try Self.sandbox(receiver)

        var checksum = BundleBuilder(submissionID: "web-fb-sum")
        checksum.manifest["files"] = checksum.listedFiles()
        checksum.files[0].data[checksum.files[0].data.count / 2] ^= 0xFF
        try sandbox.drop(checksum, as: "sum")

        let zipped = BundleBuilder(submissionID: "web-fb-zip")
        let zipPath = try sandbox.workFolder().appendingPathComponent("upload.zip")
        let entries = try zipped.zipEntries() + [ZipWriter.Entry(name: "../escape.txt", data: Data("x".utf8), deflate: true)]
        try ZipWriter.build(entries).write(to: zipPath)
        try sandbox.dropRenamed(zipPath, as: "escape.zip")

        var field = BundleBuilder(submissionID: "web-fb-field")
        field.edit("patient") { $0["date_of_birth"] = "02/04/1968" }
        try sandbox.drop(field, as: "field")

        let linked = BundleBuilder(submissionID: "web-fb-link")
        let folder = try linked.writeDirectory(in: try sandbox.workFolder(), name: "link")
        let image = folder.appendingPathComponent("MRI/IM000001")
        let outside = try sandbox.workFolder().appendingPathComponent("IM000001")
        try FileManager.default.moveItem(at: image, to: outside)
        try FileManager.default.createSymbolicLink(at: image, withDestinationURL: outside)
        try sandbox.dropRenamed(folder, as: "link")

        let sum = try Self.rejected(sandbox, receiver, upload: "sum")
        #expect(sum["reason"] as? String == "checksum_mismatch")
        #expect(sum["entry"] as? String == "report.pdf" && sum["field"] as? String == "files[0].sha256")
        #expect(sum["submission_id"] as? String == "web-fb-sum")

        let zip = try Self.rejected(sandbox, receiver, upload: "escape.zip")
        #expect(zip["reason"] as? String == "unsafe_path" && zip["entry"] as? String == "../escape.txt")
        #expect(zip["submission_id"] as? String == "web-fb-zip", "read from the zip's manifest.json entry")

        let bad = try Self.rejected(sandbox, receiver, upload: "field")
        #expect(bad["reason"] as? String == "manifest_invalid_field" && bad["field"] as? String == "patient.date_of_birth")
        #expect(bad["submission_id"] as? String == "web-fb-field" && bad["entry"] == nil)

        // The incomplete timeout is a day: the link is refused long before it.
        let link = try Self.rejected(sandbox, receiver, upload: "link")
        #expect(link["reason"] as? String == "special_file" && link["entry"] as? String == "MRI/IM000001")
        #expect(link["submission_id"] as? String == "web-fb-link")

        let ids = Set(receiver.requests("/ok").compactMap { $0.data["rejection_id"] as? String })
        #expect(ids.count == 4, "each refusal has its own id")
        #expect(Sandbox.patientDataLeaks(in: sandbox.log).isEmpty)
        #expect(try sandbox.opine("verify", "--skip-files").status == 0, "the rejections' audit events keep the chain")
    }

    @Test("An upload refused as incomplete names the missing file, as the reason and the entry")
    func incompleteNamesMissingFile() throws {
        let receiver = try Receiver()
        // 3.6 s, so the refusal comes within the test.
        let sandbox = try Self.sandbox(receiver, incompleteAfterHours: "0.001")
        let builder = BundleBuilder(submissionID: "web-fb-missing")
        let folder = try builder.writeDirectory(in: try sandbox.workFolder(), name: "missing")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("report.pdf"))
        try sandbox.dropRenamed(folder, as: "missing")

        let data = try Self.rejected(sandbox, receiver, upload: "missing", seconds: 30)
        #expect(data["reason"] as? String == "incomplete" && data["entry"] as? String == "report.pdf")
        #expect(data["submission_id"] as? String == "web-fb-missing")
        let row = try #require(try sandbox.rejections().first { $0["upload"] as? String == "missing" })
        #expect((row["message"] as? String)?.contains("report.pdf is not there") == true, "\(row["message"] ?? "")")
    }
}
