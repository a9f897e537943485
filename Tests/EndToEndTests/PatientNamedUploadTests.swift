import Foundation
import OpineCore
import OpineTestSupport
import Testing

@Suite("Uploads named after patients: logs carry a digest of the name, never the name")
struct PatientNamedUploadTests {
    @Test("The log check finds a patient-named upload in every escaped form a log line could give it")
    func logCheckSeesEscapedNames() {
        for line in [
            #"warning upload rejected upload=Jane\x20Doe\x20DOB\x201968-04-02\x20MRI.pdf"#,
            #"notice removed folder=20261201T101010Z-Jane_Doe_DOB_1968-04-02_MRI.pdf"#,
            #"error open /spool/drop/Doe,\u{20}Jane\u{20}Q.\u{20}-\u{20}lumbar\u{20}MRI.zip"#,
        ] {
            #expect(!Sandbox.patientDataLeaks(in: line).isEmpty, "\(line)")
        }
        #expect(Sandbox.patientDataLeaks(in: "warning upload rejected upload=3f2a9c0d1e4b reason=not_a_bundle").isEmpty)
    }

    @Test("A file, a zip and a bundle folder named after the patient: rejected or stored, logged by digest, resolvable by opine rejected")
    func patientNamedUploads() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let file = Sandbox.patientUploadNames[0], folder = Sandbox.patientUploadNames[1], zip = Sandbox.patientUploadNames[2]
        let work = try sandbox.workFolder()
        try Samples.pdf.write(to: work.appendingPathComponent(file))
        try sandbox.dropRenamed(work.appendingPathComponent(file), as: file)
        // A whole zip whose manifest is refused.
        var refused = BundleBuilder(submissionID: "web-named-zip")
        refused.manifest["version"] = 99
        try sandbox.dropRenamed(try refused.writeZip(in: try sandbox.workFolder(), name: zip), as: zip)
        // A bundle folder named after the patient, holding a report named after her too.
        var builder = BundleBuilder(submissionID: "web-named")
        builder.files.append((path: "\(file)", data: Samples.pdf, kind: "radiology_report", mediaType: "application/pdf"))
        try sandbox.dropRenamed(try builder.writeDirectory(in: try sandbox.workFolder(), name: folder), as: folder)

        try waitUntil("two rejections and one case") { try sandbox.rejections().count == 2 && sandbox.cases().count == 1 }
        let rejections = try sandbox.rejections()
        for name in [file, zip] {
            let digest = UploadDigest.of(name)
            let row = try #require(rejections.first { $0["upload"] as? String == name }, "opine rejected names \(name)")
            #expect(row["upload_digest"] as? String == digest && digest.count == 12)
            #expect(sandbox.log.contains("upload=\(digest)"), "the log names the upload by its digest")
        }
        #expect(sandbox.log.contains("upload=\(UploadDigest.of(folder))"), "case stored names its upload by digest")
        let table = try sandbox.opine("rejected").stdout
        #expect(table.contains("DIGEST") && table.contains(UploadDigest.of(file)))
        #expect(sandbox.log.contains("upload rejected"))
        #expect(Sandbox.patientDataLeaks(in: sandbox.log).isEmpty, "\(Sandbox.patientDataLeaks(in: sandbox.log))")
        #expect(sandbox.stopDaemon() == 0)
    }
}
