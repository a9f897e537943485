import Foundation
@testable import OpinePack
import OpineCore
import Testing

@Suite("Answers' faults all at once, never echoing a made-up key; given paths by digest; a bundle named without replacing")
struct PackAnswersFaultTests {
    static let faulty = """
        {"patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-02-30", "Jane Doe DOB": 1},
         "Jane Doe": "x", "submision_id": "a",
         "consent": {"hipaa_authorization": false, "signed_at": "2026-11-26T09:29:00Z"},
         "request": {"regions": ["lumbar"], "question": "?", "symptoms": ["tingly"]}}
        """

    @Test("Every fault of the answers is reported in one run, and no key the answers made up is repeated")
    func everyFaultAtOnce() {
        do {
            _ = try PackAnswers.parse(Array(Self.faulty.utf8), limits: IntakeSettings())
            Issue.record("faulty answers accepted")
        } catch {
            let texts = error.faults.map(\.text)
            #expect(texts.count == 5, "\(texts)")
            #expect(texts[0].hasPrefix("answers: key 2 of the object is not an answer;"))
            #expect(texts[1].hasPrefix("answers: key 3 of the object is not an answer (did you mean submission_id?)"))
            #expect(texts.contains { $0.hasPrefix("answers: patient has a key that is not a field") }, "\(texts)")
            #expect(error.faults.map(\.code).contains(.consentMissing) && error.faults.map(\.code).contains(.unknownSymptom))
            #expect(error.message.hasPrefix("the answers file has 5 problems"))
            #expect(!error.message.contains("Jane") && !error.message.contains("submision"), "\(error.message)")
        }
    }

    @Test("A key of the bundle format that is not an answer is named")
    func formatKeyIsNamed() {
        let text = Self.faulty.replacingOccurrences(of: "\"Jane Doe\": \"x\", \"submision_id\": \"a\",", with: "\"files\": [],")
        var message = "accepted"
        do { _ = try PackAnswers.parse(Array(text.utf8), limits: IntakeSettings()) } catch { message = error.message }
        #expect(message.contains("answers: files is not an answer"), "\(message)")
    }

    @Test("Given paths are shown by role and digest, the part inside kept; --names shows them as given")
    func givenPaths() {
        var paths = GivenPaths(naming: false)
        paths.add("/srv/in/Jane Doe DOB 1968-04-02 MRI/", as: .folder)
        paths.add("drop/Jane Doe MRI.zip", as: .upload)
        let folder = "folder-" + UploadDigest.of("Jane Doe DOB 1968-04-02 MRI")
        let upload = "upload-" + UploadDigest.of("Jane Doe MRI.zip")
        #expect(paths.scrub("/srv/in/Jane Doe DOB 1968-04-02 MRI/IM2 is a link") == "\(folder)/IM2 is a link")
        #expect(paths.scrub("drop/.Jane Doe MRI.zip.pack-12: write failed") == ".\(upload).pack-12: write failed")
        #expect(paths.scrub("file:///drop/Jane%20Doe%20MRI.zip failed").contains(upload))
        #expect(paths.shown("drop/Jane Doe MRI.zip", as: .upload) == upload)
        var short = GivenPaths(naming: false)
        short.add("cd", as: .folder)
        #expect(short.scrub("cd/IM1 in cdrom") == "folder-\(UploadDigest.of("cd"))/IM1 in cdrom")
        #expect(GivenPaths(naming: true).scrub("/srv/in/Jane Doe/IM2") == "/srv/in/Jane Doe/IM2")
    }

    @Test("A directory bundle is never named over an empty directory that appeared meanwhile")
    func namingNeverReplaces() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("opine-name-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        let temporary = work.appendingPathComponent(".b.pack-1"), output = work.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        try Data("m".utf8).write(to: temporary.appendingPathComponent("manifest.json"))
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        #expect(throws: PackError.self) { try Packer.giveName(temporary.path, as: output.path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).isEmpty, "the directory found there is untouched")
        try FileManager.default.removeItem(at: output)
        try Packer.giveName(temporary.path, as: output.path)
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
    }

    @Test("In-progress marks are opined's: each is refused with its own words, and ordinary names pass")
    func inProgressMarks() {
        #expect(InProgressMark.of("case.TMP") == .tmp && InProgressMark.of(".x") == .hidden && InProgressMark.of("a~") == .tilde)
        #expect(InProgressMark.of("case.zip") == nil && InProgressMark.of("Jane Doe MRI") == nil)
        #expect(InProgressMark.tmp.sentence.contains("ends in .tmp"))
    }

    @Test("An --out in a folder that does not exist says so, before anything is read")
    func missingOutputFolder() {
        let answers = Array(#"{"patient": {}}"#.utf8)
        do {
            _ = try Packer.pack(.init(folder: "/nonexistent", answers: answers, report: nil, output: "/nonexistent-dir/x.zip", limits: IntakeSettings()))
            Issue.record("packed into nothing")
        } catch {
            #expect(error.kind == .cannotCreate && error.message.contains("the folder /nonexistent-dir does not exist"), "\(error.message)")
        }
    }
}
