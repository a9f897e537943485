import Foundation
import OpineCore
import OpineTestSupport
import Testing

/// `opine pack` and `opine validate` as scripts run them: names opined never looks at, patient-named folders and
/// bundles in captured output, a pack ended by a signal, and answers files that are not what they should be.
@Suite("opine pack and opine validate: names opined ignores, patient names in captured output, signals, answers files")
struct PackSafetyTests {
    @Test("pack refuses an --out name opined never looks at (64) before writing anything; validate reports one (65)")
    func inProgressNames() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        try FileManager.default.createDirectory(at: sandbox.drop, withIntermediateDirectories: true)
        let cd = try PackValidateTests.writeCD(in: work, seed: "names")
        let answers = try PackValidateTests.writeAnswers(in: work)
        for name in ["case.tmp", "Jane Doe MRI~", ".case", "case.PART", "case.zip.crdownload"] {
            let packed = try sandbox.opine("pack", cd.folder.path, "--answers", answers.path, "--out", sandbox.drop.appendingPathComponent(name).path)
            #expect(packed.status == 64 && packed.stderr.contains("opined never looks at such a name"), "\(name): \(packed.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty, "nothing was written")
        let made = work.appendingPathComponent("case")
        #expect(try sandbox.opine("pack", cd.folder.path, "--answers", answers.path, "--out", made.path).status == 0)
        let renamed = work.appendingPathComponent("case.tmp")
        try FileManager.default.moveItem(at: made, to: renamed)
        let checked = try sandbox.opine("validate", renamed.path, "--json")
        #expect(checked.status == 65, "\(checked.stdout)")
        let problems = try #require(try checked.json()["problems"] as? [[String: Any]])
        #expect(problems.count == 1 && problems.first?["code"] as? String == "incomplete")
        #expect((problems.first?["message"] as? String)?.contains("ends in .tmp") == true, "\(problems)")
    }

    @Test("Off a terminal, the folder and the bundle are named by digest in pack's and validate's output; --names shows them")
    func patientNamesStayOut() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let answers = try PackValidateTests.writeAnswers(in: work)
        let folder = work.appendingPathComponent(Sandbox.patientUploadNames[1])
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Samples.dicom("a").write(to: folder.appendingPathComponent("IM1"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("IM2").path, withDestinationPath: "/etc/passwd")
        let linked = try sandbox.opine("pack", folder.path, "--answers", answers.path, "--out", work.appendingPathComponent("b").path)
        #expect(linked.status == 65 && linked.stderr.contains("IM2 is a symbolic link"), "\(linked.stderr)")
        #expect(Sandbox.patientDataLeaks(in: linked.stderr).isEmpty, "\(linked.stderr)")
        let absent = try sandbox.opine("pack", folder.path, "--answers", work.appendingPathComponent("Jane Doe answers.json").path, "--out", work.appendingPathComponent("b").path)
        #expect(absent.status == 66 && absent.stderr.contains("answers-\(UploadDigest.of("Jane Doe answers.json")): no such file"), "\(absent.stderr)")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("IM2"))

        let zipName = Sandbox.patientUploadNames[2]
        let zip = work.appendingPathComponent(zipName)
        let packed = try sandbox.opine("pack", folder.path, "--answers", answers.path, "--out", zip.path, "--json")
        #expect(packed.status == 0, "\(packed.stderr)")
        let digest = "upload-" + UploadDigest.of(zipName)
        #expect(try packed.json()["bundle_digest"] as? String == digest)
        let missing = try sandbox.opine("validate", work.appendingPathComponent("Jane Doe MRI.zip").path)
        #expect(missing.status == 66)
        for arguments in [["--json"], []] {
            let checked = try sandbox.opine(["validate", zip.path] + arguments)
            #expect(checked.status == 0 && checked.stdout.contains(digest), "\(checked.stdout)")
            #expect(Sandbox.patientDataLeaks(in: checked.stdout + packed.stdout).isEmpty, "\(checked.stdout)")
        }
        let named = try sandbox.opine("validate", zip.path, "--json", "--names")
        #expect(try named.json()["bundle"] as? String == zip.path)
    }

    @Test("SIGTERM during a pack removes the hidden copy and exits 143")
    func signalRemovesTheHiddenCopy() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let answers = try PackValidateTests.writeAnswers(in: work)
        try FileManager.default.createDirectory(at: sandbox.drop, withIntermediateDirectories: true)
        let folder = work.appendingPathComponent("big")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let image = Samples.dicom("big", size: 8 << 20)
        for index in 0..<32 { try image.write(to: folder.appendingPathComponent("IM\(index)")) }
        let process = Process()
        process.executableURL = Sandbox.binaries.appendingPathComponent("opine")
        process.arguments = ["pack", folder.path, "--answers", answers.path, "--out", sandbox.drop.appendingPathComponent("bigout.zip").path]
        process.environment = sandbox.environment
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let hidden = { (try? FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path))?.filter { $0.hasPrefix(".bigout.zip.pack-") } ?? [] }
        try waitUntil("the hidden copy exists") { !hidden().isEmpty || !process.isRunning }
        #expect(process.isRunning, "the pack ended before it could be interrupted")
        kill(process.processIdentifier, SIGTERM)
        try waitUntil("the pack exits") { !process.isRunning }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(process.terminationStatus): \(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.drop.path).isEmpty, "nothing is left: \(hidden())")
    }

    @Test("An answers file that is a folder or a link is refused (65), a missing one is 66, a huge one is refused for its size")
    func answersFiles() throws {
        let sandbox = try Sandbox()
        let work = try sandbox.workFolder()
        let cd = try PackValidateTests.writeCD(in: work, seed: "answers")
        let answers = try PackValidateTests.writeAnswers(in: work)
        let link = work.appendingPathComponent("link.json")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: answers.path)
        let huge = work.appendingPathComponent("huge.json")
        FileManager.default.createFile(atPath: huge.path, contents: nil)
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: 300 << 20)
        try handle.close()
        let cases: [(String, Int32, String)] = [
            (work.path, 65, "is a folder"), (link.path, 65, "symbolic link"), (work.appendingPathComponent("none.json").path, 66, "no such file"),
            (huge.path, 65, "larger than 256 KiB"),
        ]
        for (path, status, words) in cases {
            let out = work.appendingPathComponent("b-\(status)").path
            let result = try Self.packWithLittleMemory(sandbox, cd.folder.path, answers: path, out: out)
            #expect(result.status == status && result.stderr.contains(words), "\(path): \(result.status) \(result.stderr)")
        }
    }

    /// `opine pack` with its data segment held to 200 MB, so an answers file read whole would end it. Not under a
    /// sanitizer, whose shadow memory cannot be mapped inside that limit (`make test` keeps the bound).
    static func packWithLittleMemory(_ sandbox: Sandbox, _ folder: String, answers: String, out: String) throws -> Sandbox.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let limit = Sandbox.underSanitizer ? "" : "ulimit -d 200000; "
        process.arguments = ["-c", limit + "exec \"$0\" \"$@\"", Sandbox.binaries.appendingPathComponent("opine").path,
                             "pack", folder, "--answers", answers, "--out", out]
        process.environment = sandbox.environment
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Sandbox.Result(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
    }
}
