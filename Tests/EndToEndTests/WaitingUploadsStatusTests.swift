import Foundation
import OpineCore
import OpineTestSupport
import Testing

@Suite("Waiting uploads in opine status: a partial bundle is listed with its age, digest and what is missing, until it completes")
struct WaitingUploadsStatusTests {
    /// The uploads `opine status --json` lists as waiting.
    static func waiting(_ sandbox: Sandbox) throws -> [[String: Any]] {
        try sandbox.opine("status", "--json").json()["waiting"] as? [[String: Any]] ?? []
    }

    @Test("A bundle whose manifest lists a file not yet there waits as incomplete; once written it becomes a case and leaves the list")
    func partialBundleIsListedUntilComplete() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        // Named as upload pages name uploads, after the patient: the status may show it, opined's log may not.
        let name = Sandbox.patientUploadNames[1]
        let builder = BundleBuilder(submissionID: "web-waiting")
        let bundle = sandbox.drop.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: bundle.appendingPathComponent("MRI"), withIntermediateDirectories: true)
        try builder.files[1].data.write(to: bundle.appendingPathComponent("MRI/IM000001"))
        try builder.manifestData().write(to: bundle.appendingPathComponent("manifest.json"))

        try waitUntil("status lists the upload as incomplete") {
            try Self.waiting(sandbox).first?["reason"] as? String == "incomplete"
        }
        // Captured JSON (a monitoring check's) names the upload by digest and counts what is missing.
        let captured = try sandbox.opine("status", "--json")
        #expect(Sandbox.patientDataLeaks(in: captured.stdout).isEmpty && !captured.stdout.contains("report.pdf"), "\(captured.stdout)")
        let unnamed = try #require((try captured.json()["waiting"] as? [[String: Any]])?.first)
        #expect(unnamed["upload"] is NSNull && unnamed["upload_digest"] as? String == UploadDigest.of(name))
        #expect((unnamed["missing"] as? [String: Any])?["files_count"] as? Int == 1)
        // With --names, for the practice's staff: the name and the missing file's path.
        let report = try sandbox.opine("status", "--json", "--names")
        #expect(report.status == 0, "a waiting upload alone is no problem: \(report.stdout)")
        let json = try report.json()
        #expect(json["drop_backlog"] as? Int == 1 && json["waiting_more"] as? Int == 0)
        let upload = try #require((json["waiting"] as? [[String: Any]])?.first)
        #expect(upload["upload"] as? String == name.escapedForDisplay && upload["kind"] as? String == "directory")
        #expect(upload["upload_digest"] as? String == UploadDigest.of(name))
        let quiet = try #require(upload["quiet_seconds"] as? Double)
        #expect(quiet >= 0.2, "quiet at least the settle time before it is called incomplete")
        let missing = try #require(upload["missing"] as? [String: Any])
        #expect(missing["absent"] as? [String] == ["report.pdf"] && missing["files_count"] as? Int == 1)
        #expect(missing["manifest"] as? Bool == false && missing["short"] as? [String] == [])
        #expect(upload["refused_in_seconds"] as? Double ?? 0 > 23 * 3600)

        // Text captured by a program (a monitoring check) names the upload by digest alone, and no paths.
        let text = try sandbox.opine("status")
        #expect(text.stdout.contains("waiting uploads (quiet longest first):") && text.stdout.contains(UploadDigest.of(name)))
        #expect(text.stdout.contains("incomplete: 1 listed file missing or short; unless it changes, it is refused as incomplete in 23h"), "\(text.stdout)")
        #expect(Sandbox.patientDataLeaks(in: text.stdout).isEmpty && !text.stdout.contains("report.pdf"), "\(text.stdout)")

        try Samples.pdf.write(to: bundle.appendingPathComponent("report.pdf"))
        try waitUntil("the completed bundle is a case") { try sandbox.cases().count == 1 }
        try waitUntil("status lists nothing waiting") { try Self.waiting(sandbox).isEmpty }
        #expect(try sandbox.rejections().isEmpty)
    }

    @Test("While opined is stopped, status still lists a complete upload, as waiting for opined")
    func listedWhileOpinedIsDown() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        sandbox.stopDaemon()
        _ = try BundleBuilder(submissionID: "web-down").writeDirectory(in: sandbox.drop, name: "while-down")
        try waitUntil("the upload has been quiet past the settle time") {
            try Self.waiting(sandbox).first?["reason"] as? String == "opined_stopped"
        }
        let report = try sandbox.opine("status")
        #expect(report.status == 69 && report.stdout.contains(UploadDigest.of("while-down")))
        #expect(report.stdout.contains("complete, but opined is not running"), "\(report.stdout)")
    }
}
