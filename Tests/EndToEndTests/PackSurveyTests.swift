#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore
import OpineTestSupport
import Testing

/// `opine pack`'s folder survey with the real binary: images in folders named like a viewer's are packed and the
/// bundle is valid; a name that is not UTF-8 is refused with exit 65, named.
@Suite("opine pack's survey: every image kept whatever its folder's name, odd names refused by name")
struct PackSurveyTests {
    @Test("Images in bin/ and For reviewer/ are packed, litter links named; an image named IM\\xFF2 stops the pack with 65")
    func surveyWithTheBinary() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let cd = work.appendingPathComponent("cd")
        for (path, data) in [("DICOM/IM1", Samples.dicom("one")), ("cd/bin/IM9", Samples.dicom("nine")), ("t5/For reviewer/IM7", Samples.dicom("seven"))] {
            let url = cd.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        try FileManager.default.createSymbolicLink(atPath: cd.appendingPathComponent("desktop.ini").path, withDestinationPath: "/etc/hostname")
        let answers = try PackValidateTests.writeAnswers(in: work)
        let out = work.appendingPathComponent("bundle").path
        let packed = try sandbox.opine("pack", cd.path, "--answers", answers.path, "--out", out, "--json")
        #expect(packed.status == 0, "\(packed.stderr)")
        let files = try #require(try packed.json()["files"] as? [[String: Any]])
        #expect(Set(files.compactMap { $0["path"] as? String }) == ["DICOM/IM1", "cd/bin/IM9", "t5/For reviewer/IM7"])
        let leftOut = try #require(try packed.json()["left_out"] as? [[String: Any]])
        #expect(leftOut.map { $0["path"] as? String } == ["desktop.ini"] && leftOut.first?["reason"] as? String == "operating_system")
        #expect(try sandbox.opine("validate", out).status == 0)

        let raw = Array(cd.path.utf8) + Array("/DICOM/IM".utf8) + [0xFF, 0x32, 0]
        let fd = raw.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) } }
        try #require(fd >= 0)
        let image = Samples.dicom("two")
        #expect(image.withUnsafeBytes { write(fd, $0.baseAddress, image.count) } == image.count)
        close(fd)
        let refused = try sandbox.opine("pack", cd.path, "--answers", answers.path, "--out", work.appendingPathComponent("again").path)
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("a name is not valid UTF-8: DICOM/IM\\xFF2; rename it"), "\(refused.stderr)")
    }
}
