import Foundation
import OpineTestSupport
import Testing

/// What intake reads from the images, end to end: the synthetic studies of `scripts/make-samples.py` (real DICOM,
/// checked by dcmtk when generated) dropped into the real opined, their summary and checks read back with opine.
@Suite("Image headers at intake: the study summary, the wrong-patient and spine-protocol checks")
struct ImageChecksTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/make-samples.py")

    /// Generates the sample bundles into the sandbox's work folder with the project's generator.
    static func generate(_ sandbox: Sandbox, _ names: [String]) throws -> URL {
        let out = try sandbox.workFolder()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, out.path, "--only"] + names
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "make-samples.py failed (run scripts/install-deps.sh): \(message)")
        return out
    }

    static func show(_ sandbox: Sandbox, submission: String) throws -> [String: Any] {
        let id = try #require(try sandbox.caseID(submission: submission))
        return try sandbox.opine("show", id, "--json").json()
    }

    @Test("A lumbar study becomes a summary of its series; another patient, two patients and a missing region are flagged, by code only")
    func summaryAndFlags() throws {
        let receiver = try Receiver()
        let sandbox = try Sandbox(receiver: receiver, endpoints: receiver.endpoint("desk", path: "/ok"))
        try sandbox.startDaemon()
        let names = ["lumbar-mri", "wrong-patient", "cervical-only", "two-patients"]
        let out = try Self.generate(sandbox, names)
        for name in names { try sandbox.dropRenamed(out.appendingPathComponent(name), as: name) }
        try waitUntil("four cases", seconds: 60) { try sandbox.cases().count == 4 }

        let lumbar = try Self.show(sandbox, submission: "sample-lumbar-mri")
        let study = try #require(lumbar["study"] as? [String: Any])
        let studies = try #require(study["studies"] as? [[String: Any]])
        #expect(studies.count == 1 && study["dicomdirs"] as? Int == 1 && study["unreadable_files"] as? Int == 0)
        let series = try #require(studies[0]["series"] as? [[String: Any]])
        #expect(series.map { $0["images"] as? Int } == [15, 15, 20])
        #expect(series.map { $0["plane"] as? String } == ["sagittal", "sagittal", "axial"])
        #expect(studies[0]["date"] as? String == "20261014" && studies[0]["field_strength"] as? Double == 1.5)
        let checks = try #require(lumbar["checks"] as? [String: Any])
        #expect(checks["patient"] as? String == "match" && (checks["flags"] as? [String])?.isEmpty == true)
        let text = try sandbox.opine("show", try #require(try sandbox.caseID(submission: "sample-lumbar-mri"))).stdout
        #expect(text.contains("lumbar: sagittal T1, sagittal T2, axial T2 — adequate"), "\(text)")

        let flags = { (submission: String) in try (Self.show(sandbox, submission: submission)["checks"] as? [String: Any])?["flags"] as? [String] }
        #expect(try flags("sample-wrong-patient") == ["patient_mismatch"])
        #expect(try flags("sample-two-patients") == ["patient_mismatch", "several_patients"], "the second patient is not the manifest's")
        #expect(try flags("sample-cervical-only") == ["region_not_covered"])
        let flagged = try #require(try sandbox.opine("list", "--flagged", "--json").json()["cases"] as? [[String: Any]])
        #expect(flagged.count == 3)

        try waitUntil("case.received for every case") { receiver.requests("/ok").filter { $0.type == "case.received" }.count == 4 }
        let wrong = try #require(receiver.requests("/ok").first {
            $0.type == "case.received" && ($0.data["flags"] as? [String]) == ["patient_mismatch"]
        })
        #expect(!["DOE", "JOHN", "Jane", "1971"].contains { wrong.body.contains($0) }, "the webhook carries the code, never the names")
        let id = try #require(try sandbox.caseID(submission: "sample-wrong-patient"))
        let intake = try #require((try sandbox.opine("history", id, "--json").json()["events"] as? [[String: Any]])?.first)
        let detail = try #require(intake["detail"] as? [String: String])
        #expect(detail["patient_check"] == "mismatch" && detail["flags"] == "patient_mismatch" && detail["region_check"] == "lumbar=adequate")
    }

    @Test("An upload none of whose DICOM files can be read is refused; one unreadable among readable ones is reported")
    func unreadable() throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        var broken = BundleBuilder(submissionID: "web-unreadable")
        broken.files[1].data = Samples.dicomHeader + Data([0x10, 0x00, 0x10, 0x00, 0x50, 0x4E, 0xFF, 0x7F])  // a name running past the end
        try sandbox.drop(broken)
        var partly = BundleBuilder(submissionID: "web-partly")
        partly.files.append(("MRI/IM000002", broken.files[1].data, "imaging", "application/dicom"))
        let id = try #require(try sandbox.addCases([partly]).first)
        try waitUntil("the unreadable upload is refused") { try sandbox.rejections().contains { $0["code"] as? String == "imaging_unreadable" } }
        let study = try #require(try sandbox.opine("show", id, "--json").json()["study"] as? [String: Any])
        #expect(study["unreadable_files"] as? Int == 1)
        #expect(try sandbox.opine("show", id).stdout.contains("1 file could not be read"))
    }
}
