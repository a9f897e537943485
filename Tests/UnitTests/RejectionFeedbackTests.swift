import Foundation
@testable import OpineCore
@testable import OpineIntake
@testable import OpineStore
import OpineTestSupport
import Testing

/// What an uploader learns of a refusal: the entry and field at fault, what an incomplete upload lacks, a listed link
/// refused at once, and the submission id of a manifest that is refused for something else.
@Suite("Rejection feedback: entry, field, incomplete naming, special files at once, lenient submission id")
struct RejectionFeedbackTests {
    static let policy = ReadinessPolicy(settleSeconds: 2, incompleteAfterSeconds: 3600)

    @Test("A listed file that is a link or device is refused at once as special_file, naming it, however fresh")
    func specialFileRefusedAtOnce() {
        let seen = ReadinessPolicy.Observation(complete: false, lastChange: 1000, specialEntry: "MRI/IM000001")
        guard case .reject(let rejection) = Self.policy.decide(seen, now: 1000, renamedIn: false) else {
            Issue.record("a listed special file must be refused at once")
            return
        }
        #expect(rejection.code == .specialFile)
        #expect(rejection.entry == "MRI/IM000001")
    }

    @Test("An incomplete upload names the one missing file, as its entry")
    func incompleteNamesOneFile() {
        var seen = ReadinessPolicy.Observation(complete: false, lastChange: 1000)
        seen.note(.missing("report.pdf"))
        guard case .reject(let rejection) = Self.policy.decide(seen, now: 1000 + 3600, renamedIn: false) else {
            Issue.record("stale and incomplete must be refused")
            return
        }
        #expect(rejection.code == .incomplete)
        #expect(rejection.entry == "report.pdf")
        #expect(rejection.message.contains("report.pdf is not there"), "\(rejection.message)")
    }

    @Test("An incomplete upload names a short file with its sizes, the first few of many, and counts the rest")
    func incompleteIsBounded() {
        var seen = ReadinessPolicy.Observation(complete: false, lastChange: 0)
        seen.note(.short("MRI/IM1", expected: 2000, found: 1000))
        for index in 2...10 { seen.note(.missing("MRI/IM\(index)")) }
        let rejection = Self.policy.incomplete(seen)
        #expect(seen.gaps.count == ReadinessPolicy.Gap.named && seen.gapCount == 10)
        #expect(rejection.message.contains("MRI/IM1 has 1000 of its 2000 bytes"), "\(rejection.message)")
        #expect(rejection.message.contains("MRI/IM3 is not there") && !rejection.message.contains("MRI/IM4 "))
        #expect(rejection.message.hasSuffix("and 7 more listed files missing or short"), "\(rejection.message)")
        #expect(rejection.entry == nil, "many files: none is the one at fault")
    }

    @Test("An incomplete upload without its manifest says so")
    func incompleteManifest() {
        var seen = ReadinessPolicy.Observation(complete: false, lastChange: 0)
        seen.note(.manifest)
        let rejection = Self.policy.incomplete(seen)
        #expect(rejection.message.hasSuffix(": manifest.json is missing"), "\(rejection.message)")
        #expect(rejection.entry == nil && rejection.field == nil)
    }

    @Test("A manifest message's field path is kept only in format field names, never a key the manifest made up")
    func fieldFromMessage() {
        #expect(Rejection(.checksumMismatch, "manifest.json: files[2].sha256 does not match").field == "files[2].sha256")
        #expect(Rejection(.manifestInvalidField, "manifest.json: patient.date_of_birth must be a date").field == "patient.date_of_birth")
        #expect(Rejection(.manifestInvalidField, "manifest.json: patient.jane_doe is not a field").field == "patient")
        #expect(Rejection(.manifestInvalidField, "manifest.json: Jane is not a field").field == nil)
        #expect(Rejection(.limitExceeded, "manifest.json: the files add up to more").field == nil)
        #expect(Rejection(.zipInvalid, "zip entry 2 is truncated").field == nil)
        #expect(Rejection(.manifestInvalidField, "manifest.json: files[x].size must be").field == nil, "no index but digits")
    }

    @Test("A long entry is cut, and control characters are shown escaped")
    func entryBounded() {
        let long = Rejection(.unsafePath, "x", entry: String(repeating: "a", count: 2000))
        #expect((long.entry?.count ?? 0) <= Rejection.maxEntryCharacters + 1)
        #expect(Rejection(.unsafePath, "x", entry: "a\u{1}b").entry?.contains("\u{1}") == false)
    }

    @Test("The submission id is read from a manifest refused for another field, and only when well formed")
    func lenientSubmissionID() throws {
        let limits = IntakeSettings(), today = Date()
        var builder = BundleBuilder(submissionID: "web-lenient")
        builder.edit("patient") { $0["date_of_birth"] = "not a date" }
        #expect(Manifest.lenientSubmissionID(Array(try builder.manifestData()), limits: limits, today: today) == "web-lenient")
        builder.manifest["submission_id"] = "has spaces"
        #expect(Manifest.lenientSubmissionID(Array(try builder.manifestData()), limits: limits, today: today) == nil)
        let unparsed = Array(#"{"submission_id":"web-1"}"#.utf8.dropLast())
        #expect(Manifest.lenientSubmissionID(unparsed, limits: limits, today: today) == nil, "unparsed JSON gives none")
    }

    @Test("A manifest refused under intake's own limits still yields its submission id, read under those limits")
    func lenientSubmissionIDUnderLimits() throws {
        var limits = IntakeSettings()
        limits.maxFiles = 1
        let builder = BundleBuilder(submissionID: "web-limited")
        let data = Array(try builder.manifestData())
        let reading = Manifest.read(data, limits: limits, today: Date())
        guard case .failure(let rejection) = reading.result else {
            Issue.record("two files must break a one-file limit")
            return
        }
        #expect(rejection.code == .limitExceeded)
        #expect(Manifest.lenientSubmissionID(data, limits: limits, today: Date()) == "web-limited")
    }

    @Test("A zip refused for another entry still yields its manifest's submission id through the central directory")
    func zipSubmissionID() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opine-lenient-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let builder = BundleBuilder(submissionID: "web-zip-lenient")
        let entries = try builder.zipEntries() + [ZipWriter.Entry(name: "../escape.txt", data: Data("x".utf8), deflate: true)]
        let path = folder.appendingPathComponent("u.zip").path
        try ZipWriter.build(entries).write(to: URL(fileURLWithPath: path))
        #expect(LenientSubmission.read(path, limits: IntakeSettings(), today: Date()) == "web-zip-lenient")
        let twice = try builder.zipEntries() + [ZipWriter.Entry(name: "manifest.json", data: Data("{}".utf8), deflate: false)]
        try ZipWriter.build(twice).write(to: URL(fileURLWithPath: path))
        #expect(LenientSubmission.read(path, limits: IntakeSettings(), today: Date()) == nil, "two manifests: ambiguous")
    }

    @Test("A look sees a listed file replaced by a link, and a listed file still short, by its listed path")
    func lookSeesSpecialAndShort() throws {
        let spool = try Spool()
        let drop = spool.configuration.dropDirectory
        try spool.dropBundle("b")
        let image = drop + "/b/MRI/IM000001"
        #expect(rename(image, spool.root + "/IM000001") == 0 && symlink(spool.root + "/IM000001", image) == 0)
        let linked = try #require(UploadLook.look(at: "b", in: drop, limits: spool.intake.limits, today: spool.intake.clock()))
        #expect(linked.observation.specialEntry == "MRI/IM000001" && !linked.observation.complete)

        try spool.dropBundle("c")
        #expect(truncate(drop + "/c/report.pdf", 10) == 0)
        let short = try #require(UploadLook.look(at: "c", in: drop, limits: spool.intake.limits, today: spool.intake.clock()))
        guard case .short(let path, let expected, let found)? = short.observation.gaps.first else {
            Issue.record("the short report must be a gap: \(short.observation)")
            return
        }
        #expect(path == "report.pdf" && found == 10 && expected > 10 && short.observation.gapCount == 1)
    }

    @Test("The store keeps the id, entry and field, announces them with the digest, and the purge clears the entry")
    func storedAndScrubbed() throws {
        let spool = try Spool()
        let at = Timestamps.format(Date(timeIntervalSince1970: 1_800_000_000))
        let id = try spool.store.recordRejection(RejectionRecord(
            at: at, uploadName: "upload-1", submissionID: "web-1", code: "checksum_mismatch", message: "m",
            quarantine: "q-1", duplicateOf: nil, publicID: "R-20270115-0123456789ab", entry: "MRI/IM1", field: "files[1].sha256"))
        let data = try NotificationData.decode(try #require(try spool.store.outbox().first { $0.type == .bundleRejected }).data)
        #expect(data.rejectionID == "R-20270115-0123456789ab" && data.entry == "MRI/IM1" && data.field == "files[1].sha256")
        #expect(data.uploadDigest == UploadDigest.of("upload-1"))
        #expect(try spool.store.holdsRejectionID("R-20270115-0123456789ab"))

        let folder = RejectedFolder(id: id, folder: "q-1", at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try spool.store.tombstoneRejection(folder, digest: "d", files: 1, bytes: 1, now: Date(), actor: "test"))
        let row = try #require(try spool.store.rejections(limit: 1).first)
        #expect(row.entry == nil, "a path within the upload may carry a name: the purge clears it")
        #expect(row.publicID == "R-20270115-0123456789ab" && row.field == "files[1].sha256")
        let announced = try NotificationData.decode(try #require(try spool.store.outbox().first { $0.type == .bundleRejected }).data)
        #expect(announced.entry == nil && announced.rejectionID == "R-20270115-0123456789ab", "nor is it kept in the outbox")
    }

    @Test("Rejection ids have their documented form and differ")
    func rejectionIDs() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let one = RejectionID.make(at: now), two = RejectionID.make(at: now)
        #expect(RejectionID.isValid(one) && RejectionID.isValid(two) && one != two)
        #expect(one.hasPrefix("R-" + Timestamps.compactDay(now) + "-"))
    }

    @Test("bundle.rejected data carries the new fields and nothing of the patient")
    func notificationData() throws {
        // An upload named for the patient whose manifest holds her name, birth date, contact and question, refused
        // for a report that does not match its checksum: the refusal names the file and the field, and no more.
        let spool = try Spool()
        var builder = BundleBuilder(submissionID: "web-patient")
        let manifest = try builder.manifestData()
        builder.files[0].data[builder.files[0].data.count - 1] ^= 0xFF
        let name = "\(BundleBuilder.patient.name) \(BundleBuilder.patient.dateOfBirth) MRI"
        _ = try builder.writeDirectory(in: URL(fileURLWithPath: spool.configuration.dropDirectory), name: name, manifestData: manifest)
        #expect(spool.intake.take(name) == .rejected(.checksumMismatch))

        let text = try #require(try spool.store.outbox().first { $0.type == .bundleRejected }).data
        let data = try NotificationData.decode(text)
        #expect(data.entry == builder.files[0].path && data.field == "files[0].sha256", "\(text)")
        #expect(data.submissionID == "web-patient" && data.uploadDigest == UploadDigest.of(displayedName: name))
        #expect(RejectionID.isValid(data.rejectionID ?? ""))
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]).keys
        #expect(Set(keys) == ["entry", "field", "reason", "rejection_id", "submission_id", "upload_digest"], "\(text)")
        for secret in BundleBuilder.patientData + ["Jane", "Doe", "herniation"] {
            #expect(!text.contains(secret), "bundle.rejected carries \(secret): \(text)")
        }
    }
}
