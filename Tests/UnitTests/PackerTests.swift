import Foundation
import OpineCore
import OpinePack
import OpineTestSupport
import Testing

@Suite("The packer: the report's place, damaged and linked files, and nothing left behind on a refusal")
struct PackerTests {
    static let answers = Array("""
        {"patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "phone": "+1 405 555 0100"},
         "consent": {"hipaa_authorization": true, "signed_at": "2026-11-26T09:29:00Z"},
         "request": {"regions": ["cervical"], "question": "Is surgery needed?", "symptoms": []}}
        """.utf8)

    /// A fresh folder holding `files` (path → bytes), and the folder beside it where bundles go.
    static func folder(_ files: [String: Data]) throws -> (study: URL, work: URL) {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("opine-pack-\(UUID().uuidString.prefix(8))")
        let study = work.appendingPathComponent("study")
        for (path, data) in files {
            let url = study.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        return (study, work)
    }

    static func pack(_ study: URL, report: String? = nil, to out: URL) throws(PackError) -> Packer.Result {
        try Packer.pack(.init(folder: study.path, answers: answers, report: report, output: out.path, limits: IntakeSettings()))
    }

    @Test("A report from outside takes a free name at the top; one inside the folder keeps its path and kind")
    func reportPlacement() throws {
        let (study, work) = try Self.folder(["IM1": Samples.dicom("a"), "report.pdf": Samples.pdf, "scans/letter.pdf": Samples.pdf])
        defer { try? FileManager.default.removeItem(at: work) }
        let outside = work.appendingPathComponent("from-the-centre.pdf")
        try Samples.pdf.write(to: outside)
        let first = try Self.pack(study, report: outside.path, to: work.appendingPathComponent("one"))
        #expect(first.files.first { $0.kind == "radiology_report" }?.path == "radiology-report.pdf")
        #expect(first.files.first { $0.path == "report.pdf" }?.kind == "other")
        let second = try Self.pack(study, report: study.appendingPathComponent("scans/letter.pdf").path, to: work.appendingPathComponent("two.zip"))
        #expect(second.files.filter { $0.kind == "radiology_report" }.map(\.path) == ["scans/letter.pdf"])
        #expect(second.files.count == 3)
    }

    @Test("A DICOM file with a cut-short meta header is left out as damaged; the rest is packed")
    func damagedFileIsLeftOut() throws {
        let (study, work) = try Self.folder(["IM1": Samples.dicom("a"), "IM2": Samples.dicomHeader.prefix(128 + 4 + 16)])
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try Self.pack(study, to: work.appendingPathComponent("bundle"))
        #expect(result.files.map(\.path) == ["IM1"])
        #expect(result.leftOut == [LeftOut(path: "IM2", reason: .damaged)])
        #expect(result.priority == .routine)
    }

    @Test("A symbolic link in the folder refuses the pack, and nothing is left behind")
    func linkRefuses() throws {
        let (study, work) = try Self.folder(["IM1": Samples.dicom("a")])
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createSymbolicLink(atPath: study.appendingPathComponent("IM2").path, withDestinationPath: "/etc/passwd")
        do {
            _ = try Self.pack(study, to: work.appendingPathComponent("bundle.zip"))
            Issue.record("a link was packed")
        } catch {
            #expect(error.kind == .invalid && error.message.contains("symbolic link"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["study"])
    }

    @Test("Past the intake limits nothing is written: too many files, a file too large")
    func limitsRefuseEarly() throws {
        let (study, work) = try Self.folder(["IM1": Samples.dicom("a"), "IM2": Samples.dicom("b"), "IM3": Samples.dicom("c", size: 4000)])
        defer { try? FileManager.default.removeItem(at: work) }
        var limits = IntakeSettings()
        limits.maxFiles = 2
        for (limits, words) in [(limits, "at most 2"), ({ var l = IntakeSettings(); l.maxFileBytes = 1000; return l }(), "IM3")] {
            do {
                _ = try Packer.pack(.init(folder: study.path, answers: Self.answers, report: nil, output: work.appendingPathComponent("b").path, limits: limits))
                Issue.record("packed past the limits")
            } catch {
                #expect(error.kind == .invalid && error.message.contains(words), "\(error.message)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["study"])
    }
}
