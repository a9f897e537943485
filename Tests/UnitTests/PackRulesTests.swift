import Foundation
@testable import OpineCore
import OpineTestSupport
import Testing

@Suite("Packing rules: what on an MRI CD is the study, and the answers a bundle is made from")
struct PackRulesTests {
    @Test("Operating-system litter, viewer programs and autorun files are left out, each with its reason")
    func litterIsLeftOut() {
        let files: [(String, LitterReason)] = [
            (".DS_Store", .operatingSystem), ("DICOM/Thumbs.db", .operatingSystem), ("desktop.ini", .operatingSystem),
            ("DICOM/._IM000001", .operatingSystem), (".hidden-note", .hidden), ("setup.exe", .viewerProgram),
            ("Viewer/dcmview.DLL", .viewerProgram), ("install.msi", .viewerProgram), ("weasis.jar", .viewerProgram),
            ("index.htm", .viewerProgram), ("autorun.inf", .autorun), ("AUTORUN.EXE", .autorun), ("autoplay.ini", .autorun),
        ]
        for (path, reason) in files {
            #expect(Litter.reason(for: path, isFolder: false) == reason, "\(path)")
        }
        let folders: [(String, LitterReason)] = [
            ("__MACOSX", .operatingSystem), ("$RECYCLE.BIN", .operatingSystem), ("System Volume Information", .operatingSystem),
            (".Trashes", .operatingSystem), (".git", .hidden), ("Viewer", .viewerProgram), ("DICOM Viewer", .viewerProgram),
            ("eFilm_Lite", .viewerProgram), ("CD/RadiAnt", .viewerProgram), ("OsiriX Lite.app", .viewerProgram), ("JRE", .viewerProgram),
        ]
        for (path, reason) in folders {
            #expect(Litter.reason(for: path, isFolder: true) == reason, "\(path)/")
        }
    }

    @Test("The study's own names are kept: files without extensions, DICOMDIR, a report, the usual folders")
    func studyIsKept() {
        for path in ["DICOMDIR", "DICOM/PA000000/ST000000/SE000000/IM000000", "IMAGES/I0001.dcm", "report.pdf", "README.TXT"] {
            #expect(Litter.reason(for: path, isFolder: false) == nil, "\(path)")
        }
        for path in ["DICOM", "DICOM/PA000000", "IMAGES", "Series 3"] {
            #expect(Litter.reason(for: path, isFolder: true) == nil, "\(path)/")
        }
    }

    @Test("DICOM is recognised by DICM at byte 128, whatever the name; a DICOMDIR is other; the rest by signature")
    func contentDecidesTheType() {
        let dicom = Array(Samples.dicom("a"))
        #expect(StudyContent.classify(head: dicom, path: "DICOM/IM1") == .listed(.imaging, .dicom))
        #expect(StudyContent.classify(head: dicom, path: "notes.txt") == .listed(.imaging, .dicom), "content, not the extension")
        #expect(StudyContent.classify(head: dicom, path: "DICOMDIR") == .listed(.other, .dicom))
        #expect(StudyContent.classify(head: Array(Samples.pdf), path: "x") == .listed(.other, .pdf))
        #expect(StudyContent.classify(head: Array(Samples.png), path: "x") == .listed(.other, .png))
        #expect(StudyContent.classify(head: Array("Study of 2026-11-02\n".utf8), path: "README") == .listed(.other, .text))
        #expect(StudyContent.classify(head: [0x4D, 0x5A, 0x90, 0x00, 0x03], path: "IM2") == .unsupported, "a program is not text")
        #expect(StudyContent.classify(head: [0xC3, 0x28, 0x41], path: "x") == .unsupported, "invalid UTF-8 is not text")
        #expect(StudyContent.classify(head: [], path: "empty") == .unsupported)
    }

    static let answers = """
        {
          "patient": { "name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "email": "jane.doe@example.org" },
          "consent": { "hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z" },
          "request": { "regions": ["lumbar"], "question": "Is surgery needed?", "symptoms": ["saddle_numbness"] }
        }
        """

    @Test("Answers make a manifest opined parses, with a made submission id and the time of packing")
    func answersMakeAManifest() throws {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let answers = try PackAnswers.parse(Array(Self.answers.utf8), limits: IntakeSettings(), now: now)
        #expect(answers.submissionID.hasPrefix("pack-") && answers.submissionID.count == 21)
        let file = Manifest.ListedFile(path: "DICOM/IM1", kind: "imaging", mediaType: .dicom, size: 600, sha256: String(repeating: "ab", count: 32))
        let manifest = try Manifest.parse(answers.manifest(files: [file]), limits: IntakeSettings(), today: now)
        #expect(manifest.submittedAt == Timestamps.format(now))
        #expect(manifest.priority == .emergency)
        #expect(manifest.files == [file])
        #expect(manifest.patient?.email == "jane.doe@example.org")
    }

    @Test("An answers file is refused with the field at fault and the code a manifest would get")
    func badAnswersAreRefused() {
        func problem(_ text: String) -> PackAnswers.Problem? {
            do { _ = try PackAnswers.parse(Array(text.utf8), limits: IntakeSettings()); return nil } catch { return error }
        }
        let cases: [(String, String, Rejection.Code, String)] = [
            ("\"hipaa_authorization\": true", "\"hipaa_authorization\": false", .consentMissing, "consent.hipaa_authorization"),
            ("\"saddle_numbness\"", "\"tingly\"", .unknownSymptom, "request.symptoms[0]"),
            ("\"1968-04-02\"", "\"1968-02-30\"", .manifestInvalidField, "patient.date_of_birth"),
            ("\"patient\":", "\"patients\":", .manifestInvalidField, "key 1 of the object is not an answer (did you mean patient?)"),
        ]
        for (from, to, code, field) in cases {
            let found = problem(Self.answers.replacingOccurrences(of: from, with: to))
            #expect(found?.code == code, "\(to)")
            #expect(found?.faults.first?.text.hasPrefix("answers: \(field)") == true, "\(found?.message ?? "accepted")")
            #expect(found?.message.contains("Jane") == false, "no patient data in the message")
        }
        #expect(problem("{\"a\": 1, \"a\": 2}")?.code == .manifestInvalidJSON)
        #expect(problem("[]")?.code == .manifestInvalidJSON)
        #expect(problem(Self.answers.replacingOccurrences(of: "{\n  \"patient\"", with: "{ \"submission_id\": 7,\n  \"patient\""))?.code == .manifestInvalidField)
    }

    @Test("A given submission id and time are kept, and the manifest writes every text escaped")
    func givenIDIsKept() throws {
        let text = Self.answers.replacingOccurrences(of: "{\n  \"patient\"", with: "{ \"submission_id\": \"web-42\", \"submitted_at\": \"2026-11-26T09:30:00Z\",\n  \"patient\"")
            .replacingOccurrences(of: "Is surgery needed?", with: "Line one\\nand \\\"two\\\" \\\\ three")
        let answers = try PackAnswers.parse(Array(text.utf8), limits: IntakeSettings())
        #expect(answers.submissionID == "web-42" && answers.submittedAt == "2026-11-26T09:30:00Z")
        let file = Manifest.ListedFile(path: "report.pdf", kind: "radiology_report", mediaType: .pdf, size: 1, sha256: String(repeating: "0", count: 64))
        let manifest = try Manifest.parse(answers.manifest(files: [file]), limits: IntakeSettings())
        #expect(manifest.question == "Line one\nand \"two\" \\ three")
    }
}

extension PackRulesTests {
    @Test("The answers example of docs/bundle-format.md is accepted")
    func documentedAnswersParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/bundle-format.md"), encoding: .utf8)
        let blocks = text.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let answers = blocks.filter { $0.contains("\"consent\"") && !$0.contains("\"files\"") }
        #expect(answers.count == 1)
        for block in answers {
            let parsed = try PackAnswers.parse(Array(block.utf8), limits: IntakeSettings(), now: Date(timeIntervalSince1970: 1_796_000_000))
            #expect(parsed.submissionID == "sftp-2026-1142")
        }
    }
}

extension PackRulesTests {
    @Test("A collecting manifest read lists every field's problem; the first and the result are a plain read's")
    func collectingReadListsEveryProblem() throws {
        var builder = BundleBuilder(submissionID: "web-many", symptoms: ["tingly"])
        builder.edit("patient") { $0["date_of_birth"] = "1968-02-30" }
        builder.edit("consent") { $0["hipaa_authorization"] = false }
        var files = builder.listedFiles()
        files[0]["sha256"] = "xyz"
        files[1]["kind"] = "scan"
        builder.manifest["files"] = files
        let bytes = Array(try builder.manifestData())
        let plain = Manifest.read(bytes, limits: IntakeSettings())
        let collected = Manifest.read(bytes, limits: IntakeSettings(), collecting: true)
        guard case .failure(let first) = plain.result, case .failure(let same) = collected.result else {
            Issue.record("the manifest was accepted")
            return
        }
        #expect(first == same && plain.problems.isEmpty)
        #expect(collected.problems.first == first)
        #expect(collected.problems.map(\.code) == [.manifestInvalidField, .consentMissing, .unknownSymptom, .manifestInvalidField, .manifestInvalidField])
        #expect(collected.problems.compactMap(\.field)
            == ["patient.date_of_birth", "consent.hipaa_authorization", "request.symptoms[0]", "files[0].sha256", "files[1].kind"])
        #expect(collected.submissionID == "web-many")
    }
}
