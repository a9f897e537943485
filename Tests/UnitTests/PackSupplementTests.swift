import Foundation
import OpineCore
import OpinePack
import OpineTestSupport
import Testing

/// Answers with `supplements` make a supplement: blocks may be left out, any file may be added, and something must be.
@Suite("Packing a supplement: answers with supplements, files of any kind, and never an empty one")
struct PackSupplementTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static func answers(_ text: String) throws(PackAnswers.Problem) -> PackAnswers {
        try PackAnswers.parse(Array(text.utf8), limits: IntakeSettings(), now: now)
    }

    static func pack(_ study: URL, answers: String, report: String? = nil, to out: URL) throws(PackError) -> Packer.Result {
        try Packer.pack(.init(folder: study.path, answers: Array(answers.utf8), report: report, output: out.path, limits: IntakeSettings()), now: now)
    }

    @Test("Answers of only supplements make a supplement's manifest opined reads, with no patient, consent or request")
    func supplementsOnly() throws {
        let answers = try Self.answers(#"{"submission_id": "web-7k3m9q2d-s1", "supplements": "web-7k3m9q2d"}"#)
        #expect(answers.supplements == "web-7k3m9q2d" && !answers.requestSaysSomething)
        let file = Manifest.ListedFile(path: "notes.pdf", kind: "other", mediaType: .pdf, size: 1, sha256: String(repeating: "0", count: 64))
        let manifest = try Manifest.parse(answers.manifest(files: [file]), limits: IntakeSettings(), today: Self.now)
        #expect(manifest.supplements == "web-7k3m9q2d" && manifest.submissionID == "web-7k3m9q2d-s1")
        #expect(manifest.patient == nil && manifest.consentSignedAt == nil && manifest.question == nil)
        let documented = try Self.answers(#"{ "submission_id": "sftp-2026-1142-s1", "supplements": "sftp-2026-1142", "request": { "question": "Here is the report of my second MRI." } }"#)
        #expect(documented.requestSaysSomething)
    }

    @Test("supplements keeps submission_id's rules; answers without it still need every block")
    func supplementsRules() {
        for bad in [#""bad id!""#, #""""#, "7", "\"\(String(repeating: "a", count: 65))\""] {
            do {
                _ = try Self.answers(#"{"supplements": \#(bad)}"#)
                Issue.record("supplements \(bad) was accepted")
            } catch {
                #expect(error.faults.contains { $0.text.hasPrefix("answers: supplements") }, "\(error.message)")
            }
        }
        do {
            _ = try Self.answers(#"{"request": {"question": "More files"}}"#)
            Issue.record("answers with neither supplements nor a patient were accepted")
        } catch {
            #expect(error.faults.contains { $0.field == "patient" }, "\(error.message)")
        }
    }

    @Test("A supplement may hold any kind of file, where a first submission needs an image or a report")
    func anyKindOfFile() throws {
        let (study, work) = try PackerTests.folder(["letter.pdf": Samples.pdf])
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try Self.pack(study, answers: #"{"supplements": "web-7k3m9q2d"}"#, to: work.appendingPathComponent("supplement"))
        #expect(result.files.map(\.kind) == ["other"])
        let manifest = try Manifest.parse(
            Array(try Data(contentsOf: work.appendingPathComponent("supplement/manifest.json"))), limits: IntakeSettings(), today: Self.now)
        #expect(manifest.supplements == "web-7k3m9q2d" && manifest.submissionID == result.submissionID)
        do {
            _ = try PackerTests.pack(study, to: work.appendingPathComponent("first"))
            Issue.record("a first submission without an image or report was packed")
        } catch {
            #expect(error.kind == .invalid && error.message.contains("no DICOM image"))
        }
    }

    @Test("An empty folder makes a supplement when the request says something, and nothing at all when it does not")
    func somethingMustBeAdded() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("opine-pack-\(UUID().uuidString.prefix(8))")
        let study = work.appendingPathComponent("study")
        try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let noted = try Self.pack(
            study, answers: #"{"supplements": "web-7k3m9q2d", "request": {"question": "My left foot is weaker since last week."}}"#,
            to: work.appendingPathComponent("noted.zip"))
        #expect(noted.files.isEmpty)
        for empty in [#"{"supplements": "web-7k3m9q2d"}"#, #"{"supplements": "web-7k3m9q2d", "request": {}}"#] {
            do {
                _ = try Self.pack(study, answers: empty, to: work.appendingPathComponent("empty"))
                Issue.record("an empty supplement was packed: \(empty)")
            } catch {
                #expect(error.kind == .invalid && error.message.contains("brings nothing"), "\(error.message)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).sorted() == ["noted.zip", "study"], "nothing else is left behind")
    }
}

extension PackSupplementTests {
    @Test("The add-files page's body: the token and a note make a supplement's answers; anything else is refused")
    func pageSupplementAnswers() throws {
        let read = try SupplementAnswers.read(Array(#"{"supplements_token": "tok", "request": {"question": "Weaker since Monday."}}"#.utf8)).get()
        #expect(read.token == "tok" && read.saysSomething)
        let answers = try read.compose(submissionID: "web-7k3m9q2d-s1", supplements: "web-7k3m9q2d", now: Self.now, limits: IntakeSettings()).get()
        let parsed = try PackAnswers.parse(answers, limits: IntakeSettings(), now: Self.now)
        #expect(parsed.supplements == "web-7k3m9q2d" && parsed.submissionID == "web-7k3m9q2d-s1" && parsed.requestSaysSomething)
        for bad in [#"{"request": {}}"#, #"{"supplements_token": "tok", "patient": {}}"#, "[]", #"{"supplements_token": 7}"#] {
            guard case .failure(let refusal) = SupplementAnswers.read(Array(bad.utf8)) else { Issue.record("accepted: \(bad)"); continue }
            #expect(refusal.status == 400, "\(bad)")
        }
        let unknown = try SupplementAnswers.read(Array(#"{"supplements_token": "tok", "request": {"mood": "fine"}}"#.utf8)).get()
        guard case .failure(let refusal) = unknown.compose(submissionID: "web-a-s1", supplements: "web-a", now: Self.now, limits: IntakeSettings()) else {
            Issue.record("a request key the manifest does not know was accepted")
            return
        }
        #expect(refusal.status == 422 && !refusal.sentence.contains("mood"), "\(refusal.sentence)")
        #expect(SupplementAnswers.submissionID(supplementing: "web-7k3m9q2d", number: 2) == "web-7k3m9q2d-s2")
        #expect(SupplementAnswers.submissionID(supplementing: String(repeating: "a", count: 62), number: 10) == nil)
        #expect(PatientStatus.allCases.filter { !$0.takesSupplements } == [.withdrawn, .refused])
    }
}
