#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore
import OpinePack
import OpineTestSupport
import Testing

/// The folder survey of `opine pack` through `Packer.pack`: the bytes decide before the names, nothing is left out
/// unnamed, and every name opined would refuse is caught before anything is copied.
@Suite("The folder survey: images kept wherever they are, links and odd names named, clashes caught before copying")
struct FolderSurveyTests {
    /// Packs `study` into a new directory bundle beside it with the default limits (or `limits`).
    static func pack(_ study: URL, work: URL, limits: IntakeSettings = IntakeSettings(), report: String? = nil) throws(PackError) -> Packer.Result {
        let out = work.appendingPathComponent("bundle-\(UUID().uuidString.prefix(6))").path
        return try Packer.pack(.init(folder: study.path, answers: PackerTests.answers, report: report, output: out, limits: limits))
    }

    /// The reasons of what was left out, by path.
    static func reasons(_ result: Packer.Result) -> [String: String] {
        Dictionary(uniqueKeysWithValues: result.leftOut.map { ($0.path, $0.reason.rawValue) })
    }

    /// Expects the pack of `study` to stop as invalid input with a message holding every one of `words`, and nothing
    /// written beside the study.
    static func expectRefusal(_ study: URL, work: URL, _ words: [String]) throws {
        do {
            let result = try pack(study, work: work)
            Issue.record("packed: \(result.files.map(\.path)), left out \(result.leftOut)")
        } catch {
            #expect(error.kind == .invalid, "\(error.message)")
            for word in words { #expect(error.message.contains(word), "\(error.message)") }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["study"])
    }

    @Test("DICOM is kept in bin/, Viewer/ and For reviewer/, and as x.exe; the viewer's own files are still left out")
    func imagesAreKeptWhateverTheirNames() throws {
        let (study, work) = try PackerTests.folder([
            "DICOM/IM1": Samples.dicom("a"),
            "cd/bin/IM9": Samples.dicom("b"),
            "Viewer/IM3": Samples.dicom("c"),
            "Viewer/viewer.dll": Data([0x4D, 0x5A]) + Data(count: 100),
            "t5/For reviewer/IM7": Samples.dicom("d"),
            "t5/For reviewer/notes.txt": Data("Series 3 is the sagittal T2.\n".utf8),
            "x.exe": Samples.dicom("e", preamble: Samples.executablePreamble),
            "setup.exe": Data([0x4D, 0x5A, 0x90, 0x00]) + Data(count: 200),
        ])
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try Self.pack(study, work: work)
        #expect(Set(result.files.map(\.path)) == ["DICOM/IM1", "cd/bin/IM9", "Viewer/IM3", "t5/For reviewer/IM7", "t5/For reviewer/notes.txt", "x.exe"])
        #expect(result.files.filter { $0.kind == "imaging" }.count == 5)
        #expect(Self.reasons(result) == ["Viewer/": "viewer_program", "setup.exe": "viewer_program"])
    }

    @Test("A symbolic link with a litter name is left out and named; any other link stops the pack, named")
    func litterLinksAreNamed() throws {
        let (study, work) = try PackerTests.folder(["IM1": Samples.dicom("a")])
        defer { try? FileManager.default.removeItem(at: work) }
        for name in ["desktop.ini", ".DS_Store"] {
            try FileManager.default.createSymbolicLink(atPath: study.appendingPathComponent(name).path, withDestinationPath: "/etc/hostname")
        }
        let result = try Self.pack(study, work: work)
        #expect(result.files.map(\.path) == ["IM1"])
        #expect(Self.reasons(result) == ["desktop.ini": "operating_system", ".DS_Store": "operating_system"])
        try FileManager.default.createSymbolicLink(atPath: study.appendingPathComponent("IM2").path, withDestinationPath: "IM1")
        try FileManager.default.removeItem(atPath: result.output)
        try Self.expectRefusal(study, work: work, ["IM2", "symbolic link"])
    }

    /// Writes `data` under `name` (bytes, not necessarily UTF-8) in `folder`.
    static func write(_ data: Data, rawName name: [UInt8], in folder: URL) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) } }
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, data.count) } == data.count)
    }

    @Test("An image whose name is not UTF-8 stops the pack, named and escaped; junk so named is left out")
    func namesThatAreNotUTF8() throws {
        let (study, work) = try PackerTests.folder(["IM1": Samples.dicom("a")])
        defer { try? FileManager.default.removeItem(at: work) }
        try Self.write(Data([0x00, 0x01, 0x02]), rawName: [0x4C, 0x4F, 0x43, 0xFE], in: study)
        let result = try Self.pack(study, work: work)
        #expect(result.files.map(\.path) == ["IM1"])
        #expect(Self.reasons(result) == ["LOC\\xFE": "unsupported_type"])
        try FileManager.default.removeItem(atPath: result.output)
        try Self.write(Samples.dicom("b"), rawName: [0x49, 0x4D, 0xFF, 0x32], in: study)
        try Self.expectRefusal(study, work: work, ["not valid UTF-8", "IM\\xFF2", "rename"])
    }

    @Test("Two names opined takes for one stop the pack before copying, both named; a bundle's own files are left out")
    func clashesAndBundleFiles() throws {
        let (study, work) = try PackerTests.folder([
            "IM1": Samples.dicom("a"), "manifest.json": Data("{}".utf8), "reason.json": Data("{}".utf8),
            "DICOM/manifest.json": Data("{}".utf8),
        ])
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try Self.pack(study, work: work)
        #expect(Set(result.files.map(\.path)) == ["IM1", "DICOM/manifest.json"])
        #expect(Self.reasons(result) == ["manifest.json": "bundle_file", "reason.json": "bundle_file"])
        try FileManager.default.removeItem(atPath: result.output)
        try Samples.dicom("b").write(to: study.appendingPathComponent("DICOM/IM1"))
        try Samples.dicom("c").write(to: study.appendingPathComponent("DICOM/im1"))
        try Self.expectRefusal(study, work: work, ["DICOM/IM1", "DICOM/im1", "ignoring case"])
    }

    @Test("Junk with a name opined refuses is left out; a picture over max_file_bytes too, but not the report")
    func junkAndLargeFilesAreLeftOut() throws {
        let (study, work) = try PackerTests.folder([
            "IM1": Samples.dicom("a", size: 2000), "a\tb": Data([0x00, 0x01]), "preview.png": Samples.png + Data(count: 3000),
            "big-report.pdf": Data("%PDF-1.4\n%".utf8) + Data(repeating: 0x41, count: 3000) + Samples.pdf.dropFirst(9),
        ])
        defer { try? FileManager.default.removeItem(at: work) }
        var limits = IntakeSettings()
        limits.maxFileBytes = 2500
        let result = try Self.pack(study, work: work, limits: limits)
        #expect(result.files.map(\.path) == ["IM1"])
        #expect(Self.reasons(result) == ["a\tb": "unsupported_type", "preview.png": "too_large", "big-report.pdf": "too_large"])
        do {
            let packed = try Self.pack(study, work: work, limits: limits, report: study.appendingPathComponent("big-report.pdf").path)
            Issue.record("a report over the limit was packed: \(packed.files.map(\.path))")
        } catch {
            #expect(error.kind == .invalid && error.message.contains("big-report.pdf is 3") && error.message.contains("at most 2500"), "\(error.message)")
        }
    }
}
