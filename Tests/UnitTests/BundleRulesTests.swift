import Foundation
@testable import OpineCore
@testable import OpineIntake
import OpineTestSupport
import Testing

@Suite("Bundle rules: manifest fields, strict JSON, paths, readiness, DICOM preambles and content sniffing")
struct BundleRulesTests {
    /// The example manifest of docs/bundle-format.md: the test patient, two symptoms, onset and treatments, and the
    /// report listed with the example's size (the parser checks no file).
    static let validManifest: String = {
        var builder = BundleBuilder(submissionID: "web-8f2c1a", symptoms: ["sciatica", "numbness_tingling"])
        builder.edit("request") { request in
            request["symptom_onset"] = "2026-08-01"
            request["prior_treatments"] = ["physical_therapy", "medication", "injection"]
        }
        builder.manifest["files"] = [[
            "path": "report.pdf", "kind": "radiology_report", "media_type": "application/pdf", "size": 48213,
            "sha256": String(repeating: "a", count: 64),
        ]]
        return (try? builder.manifestText()) ?? ""
    }()

    static func parse(_ text: String) -> Result<Manifest, Rejection> {
        Result { () throws(Rejection) in try Manifest.parse(Array(text.utf8), limits: IntakeSettings()) }
    }

    static func rejectionCode(_ text: String) -> Rejection.Code? {
        if case .failure(let rejection) = parse(text) { return rejection.code }
        return nil
    }

    @Test("The documented example manifest parses, with the priority its symptoms give")
    func validManifest() throws {
        let manifest = try Self.parse(Self.validManifest).get()
        #expect(manifest.submissionID == "web-8f2c1a")
        #expect(manifest.priority == .urgent)
        #expect(manifest.files.first?.mediaType == .pdf)
    }

    @Test("Broken manifests are refused with the field named", arguments: [
        ("\"version\":1", "\"version\":2", Rejection.Code.unsupportedVersion, "version"),
        ("\"hipaa_authorization\":true", "\"hipaa_authorization\":false", .consentMissing, "consent.hipaa_authorization"),
        ("\"sciatica\",", "\"sciatica\",\"itch\",", .unknownSymptom, "request.symptoms[1]"),
        ("\"lumbar\"", "\"sacral\"", .manifestInvalidField, "request.regions[0]"),
        ("1968-04-02", "1968-02-30", .manifestInvalidField, "patient.date_of_birth"),
        ("\"size\":48213", "\"size\":-1", .manifestInvalidField, "files[0].size"),
        ("\"path\":\"report.pdf\"", "\"path\":\"a//b.pdf\"", .unsafePath, "files[0].path"),
        ("\"web-8f2c1a\"", "\"web 8f2c1a\"", .manifestInvalidField, "submission_id"),
        ("\"question\":\"Is surgery needed for my L4-L5 herniation?\"", "\"question\":\"\"", .manifestInvalidField, "request.question"),
        ("\"regions\"", "\"regionz\"", .manifestInvalidField, "request.regionz"),
        ("\"radiology_report\"", "\"other\"", .manifestInvalidField, "files"),
        ("\"version\":1", "\"version\":1,\"version\":1", .manifestInvalidJSON, "twice"),
    ])
    func brokenManifests(original: String, replacement: String, code: Rejection.Code, mentions: String) {
        let text = Self.validManifest.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.validManifest, "the test's replacement must apply")
        guard case .failure(let rejection) = Self.parse(text) else {
            Issue.record("accepted: \(replacement)")
            return
        }
        #expect(rejection.code == code)
        #expect(rejection.message.contains(mentions), "\(rejection.message)")
        #expect(!rejection.message.contains("Jane"), "no patient data in reasons")
    }

    @Test("Strict JSON: duplicate keys, a BOM, deep nesting, invalid UTF-8 and trailing text are refused")
    func strictJSON() {
        #expect(throws: JSONSyntaxError.self) { try StrictJSONParser.parse(Array("{\"a\":1,\"a\":2}".utf8)) }
        #expect(throws: JSONSyntaxError.self) { try StrictJSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) }
        #expect(throws: JSONSyntaxError.self) { try StrictJSONParser.parse(Array((String(repeating: "[", count: 40) + String(repeating: "]", count: 40)).utf8)) }
        #expect(throws: JSONSyntaxError.self) { try StrictJSONParser.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONSyntaxError.self) { try StrictJSONParser.parse(Array("{} x".utf8)) }
        #expect(throws: JSONSyntaxError.self) { try StrictJSONParser.parse(Array("[01]".utf8)) }
        #expect((try? StrictJSONParser.parse(Array("{\"a\":[1,2.5e3,\"\\u00e9\\ud83d\\ude00\",null,true]}".utf8))) ==
            .object([("a", .array([.number("1"), .number("2.5e3"), .string("é😀"), .null, .bool(true)]))]))
    }

    @Test("Path rules", arguments: [
        ("report.pdf", true), ("MRI/series1/IM000001", true), ("../x", false), ("/etc/passwd", false),
        ("a\\b", false), ("a//b", false), ("a/./b", false), (".hidden", false), ("MRI/.DS_Store", false),
        ("a\u{0}b", false), ("a\nb", false), ("rep\u{202E}fdp.exe", false), ("a/b/c/d/e/f/g/h", true),
        ("a/b/c/d/e/f/g/h/i", false), (String(repeating: "x", count: 256), false), ("", false),
    ])
    func pathRules(path: String, allowed: Bool) {
        #expect((PathRules.problem(with: path) == nil) == allowed, "\(path.escapedForDisplay)")
    }

    @Test("Names that collide on case-insensitive or normalizing file systems share a key")
    func collisions() {
        #expect(PathRules.collisionKey("Report.PDF") == PathRules.collisionKey("report.pdf"))
        #expect(PathRules.collisionKey("caf\u{E9}") == PathRules.collisionKey("cafe\u{301}"))
    }

    @Test("Readiness: renamed-in bundles go at once, in-place ones after the settle time, stale incomplete ones are rejected")
    func readiness() {
        let policy = ReadinessPolicy(settleSeconds: 2, incompleteAfterSeconds: 100)
        let fresh = ReadinessPolicy.Observation(complete: true, lastChange: 1000)
        #expect(policy.decide(fresh, now: 1000.5, renamedIn: true) == .take)
        #expect(policy.decide(fresh, now: 1000.5, renamedIn: false) == .wait(until: 1002))
        #expect(policy.decide(fresh, now: 1002, renamedIn: false) == .take)
        let partial = ReadinessPolicy.Observation(complete: false, lastChange: 1000)
        #expect(policy.decide(partial, now: 1050, renamedIn: true) == .wait(until: 1052))
        #expect(policy.decide(partial, now: 1100, renamedIn: false) == .reject(policy.incomplete(partial)))
        #expect(ReadinessPolicy.isInProgressName(".upload") && ReadinessPolicy.isInProgressName("b.zip.part"))
        #expect(ReadinessPolicy.isInProgressName("x.crdownload") && ReadinessPolicy.isInProgressName("x~"))
        #expect(!ReadinessPolicy.isInProgressName("bundle-1") && !ReadinessPolicy.isInProgressName("b.zip"))
    }

    @Test("Readiness: a listed file below a linked folder is special at once, naming the link; others are missing or short")
    func listedBelowLinkedFolder() {
        func listed(_ path: String, _ size: Int64) -> Manifest.ListedFile {
            Manifest.ListedFile(path: path, kind: "imaging", mediaType: .dicom, size: size, sha256: String(repeating: "0", count: 64))
        }
        let files = [listed("report.pdf", 10), listed("MRI/a/IM1", 20), listed("MRI/b/IM2", 30)]
        let linked = ReadinessPolicy.observe(files, sizes: ["report.pdf": 10], special: ["MRI/a"], lastChange: 1000)
        #expect(linked.specialEntry == "MRI/a" && !linked.complete)
        guard case .reject(let rejection) = ReadinessPolicy(settleSeconds: 2, incompleteAfterSeconds: 86400)
            .decide(linked, now: 1000, renamedIn: false) else { Issue.record("refused at once"); return }
        #expect(rejection.code == .specialFile && rejection.entry == "MRI/a")
        let plain = ReadinessPolicy.observe(files, sizes: ["report.pdf": 10, "MRI/a/IM1": 5], special: ["MRIs", "MRI/a/IM"], lastChange: 1000)
        #expect(plain.specialEntry == nil, "only a whole folder name on the path counts, not a name it starts with")
        #expect(plain.gaps == [.short("MRI/a/IM1", expected: 20, found: 5), .missing("MRI/b/IM2")] && plain.gapCount == 2)
        #expect(ReadinessPolicy.observe(files, sizes: ["report.pdf": 10, "MRI/a/IM1": 20, "MRI/b/IM2": 30], special: [], lastChange: 1).complete)
    }

    @Test("A zip over a whole-archive limit names no entry; one over the per-file limit names that file")
    func zipLimitsAndEntries() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opine-zip-limits-\(UUID().uuidString.prefix(8)).zip").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func refusal(_ limits: IntakeSettings) throws -> Rejection? {
            let entries = (1...3).map { ZipWriter.Entry(name: "MRI/IM\($0)", data: Data(repeating: 7, count: 100 * $0)) }
            try ZipWriter.build(entries).write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            do { _ = try ZipInspector.inspect(fd: fd, fileSize: UInt64(lseek(fd, 0, SEEK_END)), limits: limits) } catch let r as Rejection { return r }
            return nil
        }
        var few = IntakeSettings()
        few.maxFiles = 1  // the manifest counts beside them
        let tooMany = try #require(try refusal(few))
        #expect(tooMany.code == .limitExceeded && tooMany.entry == nil, "the third file crossed the count, but is not at fault")
        var small = IntakeSettings()
        small.maxBundleBytes = 250
        #expect(try refusal(small)?.entry == nil)
        var perFile = IntakeSettings()
        perFile.maxFileBytes = 250
        #expect(try refusal(perFile)?.entry == "MRI/IM3")
    }

    @Test("A DICOM preamble is zeroed in the stored copy wherever the chunks split; the sent bytes' hash is kept")
    func dicomPreambleZeroed() throws {
        let clean = [UInt8](Samples.dicom("preamble", size: 680))
        let executable = [UInt8](Samples.dicom("preamble", size: 680, preamble: Samples.executablePreamble))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opine-preamble-\(UUID().uuidString.prefix(8))").path
        defer { unlink(path) }
        // Written in place, and on a second thread as intake writes (ChunkWriter).
        for (sent, zeroed, queued) in [(executable, true, false), (clean, false, false), (executable, true, true), (clean, false, true)] {
            for split in [0, 1, 64, 127, 128, 129, 300] {
                unlink(path)
                let writer = ChunkWriter()
                let fd = queued ? -1 : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                let staged = try writer.create(path, size: Int64(sent.count))
                let file = queued
                    ? StagedFile(file: staged, writer: writer, limit: Int64(sent.count), mediaType: .dicom)
                    : StagedFile(fd: fd, display: "test", limit: Int64(sent.count), mediaType: .dicom)
                _ = try sent[..<split].withUnsafeBytes { try file.append($0) }
                _ = try sent[split...].withUnsafeBytes { try file.append($0) }
                writer.close(staged)
                try? writer.drain()
                if !queued { close(fd) }
                let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                #expect(stored == clean, "split at \(split)")
                #expect(file.sha256 == Samples.sha256(sent), "the manifest's hash is over the bytes sent")
                #expect(file.storedSHA256 == (zeroed ? Samples.sha256(clean) : nil), "split at \(split)")
            }
        }
    }

    @Test("An encrypted PDF is found wherever /Encrypt falls, across chunk boundaries too")
    func encryptedPDF() {
        let pdf = Array("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<</Root 1 0 R/Encrypt 2 0 R>>\n%%EOF\n".utf8)
        let at = pdf.firstRange(of: Array("/Encrypt".utf8))!.lowerBound
        for split in [0, at + 1, at + 4, at + 7, pdf.count] {
            var sniffer = ContentSniffer(mediaType: .pdf)
            pdf[..<split].withUnsafeBytes { sniffer.consume($0) }
            pdf[split...].withUnsafeBytes { sniffer.consume($0) }
            guard case .encrypted = sniffer.finding() else {
                Issue.record("split at \(split): /Encrypt not found")
                continue
            }
        }
        var plain = ContentSniffer(mediaType: .pdf)
        Array("%PDF-1.7\n/Encryp t\n%%EOF\n".utf8).withUnsafeBytes { plain.consume($0) }
        #expect(plain.finding() == nil)
    }

    @Test("Content sniffing checks each media type's signature")
    func sniffing() {
        func problem(_ type: MediaType, _ bytes: [UInt8]) -> String? {
            var sniffer = ContentSniffer(mediaType: type)
            bytes.withUnsafeBytes { sniffer.consume($0) }
            return sniffer.problem()
        }
        #expect(problem(.pdf, Array("%PDF-1.7\n...%%EOF\n".utf8)) == nil)
        #expect(problem(.pdf, Array("%PDF-1.7\n...%%EOF\r\n\n".utf8)) == nil, "line ends may follow %%EOF")
        #expect(problem(.pdf, Array("%PDF-1.7\n...".utf8)) != nil)
        #expect(problem(.pdf, Array("junk%PDF-1.7%%EOF".utf8)) != nil)
        #expect(problem(.pdf, Array("%PDF-1.7\n%%EOF\nPK\u{3}\u{4}".utf8))?.contains("after its final %%EOF") == true)
        let dicom = [UInt8](Samples.dicomHeader)
        #expect(problem(.dicom, dicom) == nil)
        #expect(problem(.dicom, dicom + [1, 2, 3]) == nil)
        #expect(problem(.dicom, [UInt8](repeating: 0, count: 132)) != nil)
        #expect(problem(.dicom, Array(dicom.prefix(150)))?.contains("truncated") == true)
        #expect(problem(.dicom, [UInt8](repeating: 0, count: 128) + Array("DICM".utf8))?.contains("meta header") == true)
        var wrongLength = dicom
        wrongLength[140] = 30  // says 30 bytes, the elements add up to 28
        #expect(problem(.dicom, wrongLength + [0, 0]) != nil)
        #expect(problem(.png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == nil)
        #expect(problem(.jpeg, [0xFF, 0xD8, 0xFF, 0xE0]) == nil)
        #expect(problem(.text, Array("héllo".utf8)) == nil)
        #expect(problem(.text, [0x68, 0xC3]) != nil)
        #expect(problem(.text, [0xED, 0xA0, 0x80]) != nil, "surrogates are not UTF-8")
    }
}
