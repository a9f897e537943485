import Foundation
import OpineCore
import OpineTestSupport
import Testing

/// `opine pack` and `opine validate` with the real binaries: a CD-like folder packed straight into a running opined's
/// drop directory becomes a case with exactly the study's files, and validate agrees with opined on every hostile
/// upload.
@Suite("opine pack and opine validate: from an MRI CD to a case, and opined's checks without storing")
struct PackValidateTests {
    /// What an MRI CD holds: a DICOMDIR, images without extensions, a README, the viewer and its folder, autorun,
    /// and the litter macOS and Windows add. The paths pack must keep, and what it must leave out with which reason.
    static func writeCD(in work: URL, seed: String) throws -> (folder: URL, kept: Set<String>, leftOut: [String: LitterReason]) {
        let cd = work.appendingPathComponent("cd-\(seed)")
        let files: [(String, Data)] = [
            ("DICOMDIR", Samples.dicom("\(seed)-dir")),
            ("DICOM/PA000000/ST000000/SE000000/IM000000", Samples.dicom("\(seed)-0")),
            ("DICOM/PA000000/ST000000/SE000000/IM000001", Samples.dicom("\(seed)-1")),
            ("DICOM/PA000000/ST000000/SE000001/IM000000", Samples.dicom("\(seed)-2")),
            ("README.TXT", Data("Images of 2026-11-02. Open with the viewer.\n".utf8)),
            ("setup.exe", Data([0x4D, 0x5A, 0x90, 0x00]) + Data(count: 200)),
            ("Viewer/viewer.dll", Data([0x4D, 0x5A]) + Data(count: 100)),
            ("Viewer/help/index.htm", Data("<html></html>".utf8)),
            ("autorun.inf", Data("[autorun]\nopen=setup.exe\n".utf8)),
            (".DS_Store", Data([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31])),
            ("DICOM/Thumbs.db", Data([0xD0, 0xCF, 0x11, 0xE0])),
            ("__MACOSX/DICOM/._IM000000", Data([0, 5, 0x16, 7])),
            ("DICOM/LOCKFILE", Data([0x00, 0x01, 0x02])),
        ]
        for (path, data) in files {
            let url = cd.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        let kept: Set<String> = [
            "DICOMDIR", "DICOM/PA000000/ST000000/SE000000/IM000000", "DICOM/PA000000/ST000000/SE000000/IM000001",
            "DICOM/PA000000/ST000000/SE000001/IM000000", "README.TXT", "report.pdf",
        ]
        let leftOut: [String: LitterReason] = [
            ".DS_Store": .operatingSystem, "DICOM/Thumbs.db": .operatingSystem, "__MACOSX/": .operatingSystem,
            "setup.exe": .viewerProgram, "Viewer/": .viewerProgram, "autorun.inf": .autorun, "DICOM/LOCKFILE": .unsupportedType,
        ]
        return (cd, kept, leftOut)
    }

    /// The answers for the test patient, with a red flag so the case is an emergency.
    static func writeAnswers(in work: URL, submissionID: String? = nil) throws -> URL {
        let patient = BundleBuilder.patient
        var answers: [String: Any] = [
            "patient": ["name": patient.name, "date_of_birth": patient.dateOfBirth, "email": patient.email],
            "consent": ["hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z"],
            "request": ["regions": ["lumbar"], "question": "Is surgery needed?", "symptoms": ["saddle_numbness", "sciatica"]],
        ]
        if let submissionID { answers["submission_id"] = submissionID }
        let url = work.appendingPathComponent("answers-\(UUID().uuidString.prefix(6)).json")
        try JSONSerialization.data(withJSONObject: answers).write(to: url)
        return url
    }

    @Test("A CD folder packed straight into the drop directory becomes a case with the study's files", arguments: [false, true])
    func packedCDBecomesACase(zip: Bool) throws {
        let sandbox = try Sandbox()
        try sandbox.startDaemon()
        let work = try sandbox.workFolder()
        let cd = try Self.writeCD(in: work, seed: zip ? "zip" : "dir")
        let report = work.appendingPathComponent("report-from-the-centre.pdf")
        try Samples.pdf.write(to: report)
        let answers = try Self.writeAnswers(in: work, submissionID: "cd-\(zip)")
        let out = sandbox.drop.appendingPathComponent(zip ? "cd.zip" : "cd").path

        let packed = try sandbox.opine("pack", cd.folder.path, "--answers", answers.path, "--report", report.path, "--out", out, "--json")
        #expect(packed.status == 0, "\(packed.stderr)")
        let output = try packed.json()
        #expect(output["submission_id"] as? String == "cd-\(zip)" && output["priority"] as? String == "emergency")
        let listed = try #require(output["files"] as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["path"] as? String }) == cd.kept)
        #expect(listed.first { $0["path"] as? String == "DICOMDIR" }?["kind"] as? String == "other")
        #expect(listed.first { $0["path"] as? String == "report.pdf" }?["kind"] as? String == "radiology_report")
        let leftOut = try #require(output["left_out"] as? [[String: Any]])
        let reasons = Dictionary(uniqueKeysWithValues: leftOut.map { ($0["path"] as? String ?? "", $0["reason"] as? String ?? "") })
        #expect(reasons == cd.leftOut.mapValues(\.rawValue))

        try waitUntil("the packed bundle is a case") { try sandbox.cases().count == 1 }
        let id = try #require(try sandbox.cases().first?["id"] as? String)
        let shown = try sandbox.opine("show", id, "--json").json()
        let stored = try #require(shown["files"] as? [[String: Any]])
        #expect(Set(stored.compactMap { $0["path"] as? String }) == cd.kept)
        #expect(shown["priority"] as? String == "emergency")
        #expect(try sandbox.rejections().isEmpty)
        #expect(!packed.stdout.contains("Jane") && !packed.stderr.contains("Jane"))
    }

    @Test("pack's text output names what it left out; validate finds the bundle valid; the output is never overwritten")
    func packTextAndValidate() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let cd = try Self.writeCD(in: work, seed: "text")
        let answers = try Self.writeAnswers(in: work)
        let out = work.appendingPathComponent("bundle").path
        let packed = try sandbox.opine("pack", cd.folder.path, "--answers", answers.path, "--out", out)
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(packed.stdout.contains("__MACOSX/") && packed.stdout.contains("the CD's viewer program"), "\(packed.stdout)")
        let valid = try sandbox.opine("validate", out, "--json")
        #expect(valid.status == 0, "\(valid.stdout)")
        #expect(try valid.json()["valid"] as? Bool == true)
        let again = try sandbox.opine("pack", cd.folder.path, "--answers", answers.path, "--out", out, "--json")
        #expect(again.status == 73 && again.stderr.contains("cannot_create"), "\(again.stderr)")
        let hidden = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "no temporary bundle is left behind: \(hidden)")
    }

    @Test("pack refuses invalid answers (65), a missing folder (66), and a folder with nothing to review (65)")
    func packRefusals() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let cd = try Self.writeCD(in: work, seed: "refuse")
        let bad = work.appendingPathComponent("bad.json")
        try Data(#"{"patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02"}, "consent": {"hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z"}, "request": {"regions": ["lumbar"], "question": "?", "symptoms": []}}"#.utf8).write(to: bad)
        let invalid = try sandbox.opine("pack", cd.folder.path, "--answers", bad.path, "--out", work.appendingPathComponent("b1").path)
        #expect(invalid.status == 65 && invalid.stderr.contains("answers: patient needs an email or a phone number"), "\(invalid.stderr)")
        #expect(!invalid.stderr.contains("Jane"))
        let answers = try Self.writeAnswers(in: work)
        let missing = try sandbox.opine("pack", work.appendingPathComponent("nope").path, "--answers", answers.path, "--out", work.appendingPathComponent("b2").path)
        #expect(missing.status == 66, "\(missing.stderr)")
        let empty = work.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("Viewer"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: empty.appendingPathComponent("setup.exe"))
        let nothing = try sandbox.opine("pack", empty.path, "--answers", answers.path, "--out", work.appendingPathComponent("b3").path)
        #expect(nothing.status == 65 && nothing.stderr.contains("nothing for the surgeon to review"), "\(nothing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("b1").path))
        let unreadable = work.appendingPathComponent("unreadable")
        try FileManager.default.createDirectory(at: unreadable, withIntermediateDirectories: true)
        try (Samples.dicomHeader + Data(count: 64)).write(to: unreadable.appendingPathComponent("IM1"))
        let refused = try sandbox.opine("pack", unreadable.path, "--answers", answers.path, "--out", work.appendingPathComponent("b4.zip").path)
        #expect(refused.status == 65 && refused.stderr.contains("(imaging_unreadable)"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".") }.isEmpty, "nothing left behind")
    }

    @Test("validate lists every problem, in opined's order, with the entry or field at fault")
    func validateListsEveryProblem() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        var builder = BundleBuilder(submissionID: "web-many")
        builder.files.append(("MRI/IM000002", Samples.dicom("two"), "imaging", "application/dicom"))
        var manifest = builder.completeManifest()
        var files = builder.listedFiles()
        files[0]["sha256"] = String(repeating: "0", count: 64)
        files[2]["sha256"] = String(repeating: "1", count: 64)
        manifest["files"] = files
        let folder = try builder.writeDirectory(in: work, name: "many")
        try JSONSerialization.data(withJSONObject: manifest).write(to: folder.appendingPathComponent("manifest.json"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let result = try sandbox.opine("validate", folder.path, "--json")
        #expect(result.status == 65)
        let problems = try #require(try result.json()["problems"] as? [[String: Any]])
        #expect(problems.map { $0["code"] as? String } == ["unlisted_file", "checksum_mismatch", "checksum_mismatch"])
        #expect(problems.map { $0["entry"] as? String } == ["notes.txt", "report.pdf", "MRI/IM000002"])
        #expect(problems.dropFirst().map { $0["field"] as? String } == ["files[0].sha256", "files[2].sha256"])
        let text = try sandbox.opine("validate", folder.path)
        #expect(text.status == 65 && text.stdout.contains("opined would refuse it as unlisted_file (3 problems)"), "\(text.stdout)")
        #expect(try sandbox.opine("validate", work.appendingPathComponent("absent").path).status == 66)
    }

    @Test("validate lists every entry a macOS or Windows zip adds, each with opined's code")
    func validateListsEveryZipEntry() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let builder = BundleBuilder(submissionID: "web-mac-zip")
        let zip = work.appendingPathComponent("mac.zip")
        let extras: [ZipWriter.Entry] = [
            .init(name: ".DS_Store", data: Data([0, 0, 0, 1])), .init(name: "__MACOSX/._report.pdf", data: Data([0, 5, 0x16, 7])),
            .init(name: "Thumbs.db", data: Data([0xD0, 0xCF])),
        ]
        try ZipWriter.build(try builder.zipEntries() + extras).write(to: zip)
        let result = try sandbox.opine("validate", zip.path, "--json")
        #expect(result.status == 65)
        let problems = try #require(try result.json()["problems"] as? [[String: Any]])
        #expect(problems.map { $0["code"] as? String } == ["unsafe_path", "unsafe_path", "unlisted_file"], "\(problems)")
        #expect(problems.map { $0["entry"] as? String } == [".DS_Store", "__MACOSX/._report.pdf", "Thumbs.db"])
    }
}
