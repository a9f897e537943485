import Foundation
import OpineCore
import Testing

@Suite("The upload service's decisions: tus offsets, lengths and expiry, per-address limits, metadata, page answers")
struct UploadPolicyTests {
    static let policy = TusPolicy(maxFileBytes: 1000, maxRequestBytes: 1500, maxFiles: 3, maxChunkBytes: 100, expirySeconds: 3600)

    @Test("Creation needs a length within the file, file-count and request caps")
    func creation() {
        #expect(Self.policy.create(length: nil, draftFiles: 0, draftBytes: 0)?.status == 400)
        #expect(Self.policy.create(length: 1000, draftFiles: 0, draftBytes: 0) == nil)
        #expect(Self.policy.create(length: 1001, draftFiles: 0, draftBytes: 0)?.status == 413)
        #expect(Self.policy.create(length: 1, draftFiles: 3, draftBytes: 0)?.status == 413)
        #expect(Self.policy.create(length: 600, draftFiles: 1, draftBytes: 1000)?.status == 413)
        #expect(Self.policy.create(length: 500, draftFiles: 1, draftBytes: 1000) == nil)
    }

    @Test("A PATCH must continue exactly where the upload stands, in a chunk within the limit and the declared length")
    func patching() {
        #expect(Self.policy.patch(claimedOffset: 10, chunkLength: 10, offset: 10, length: 50) == nil)
        #expect(Self.policy.patch(claimedOffset: 0, chunkLength: 10, offset: 10, length: 50)?.status == 409)
        #expect(Self.policy.patch(claimedOffset: nil, chunkLength: 10, offset: 10, length: 50)?.status == 400)
        #expect(Self.policy.patch(claimedOffset: 10, chunkLength: 101, offset: 10, length: 500)?.status == 413)
        #expect(Self.policy.patch(claimedOffset: 10, chunkLength: 41, offset: 10, length: 50)?.status == 413)
        #expect(Self.policy.patch(claimedOffset: 10, chunkLength: nil, offset: 10, length: 50) == nil)
        #expect(Self.policy.mayWrite(received: 40, from: 10, length: 50) == nil)
        #expect(Self.policy.mayWrite(received: 41, from: 10, length: 50)?.status == 413)
        #expect(Self.policy.mayWrite(received: 101, from: 0, length: 5000)?.status == 413)
    }

    @Test("Only a checked PATCH that brought a whole file from 0 gives the pack its digest; bytes moved any other way take it away")
    func wholeFileDigest() {
        let proven: [UInt8] = [1, 2, 3]
        func digest(_ checked: [UInt8]?, _ start: Int64, _ end: Int64, known: [UInt8]? = nil, before: Int64 = 0) -> [UInt8]? {
            TusPolicy.wholeFileDigest(checked: checked, start: start, end: end, length: 50, known: known, before: before)
        }
        #expect(digest(proven, 0, 50) == proven)
        #expect(digest(nil, 0, 50) == nil, "unchecked")
        #expect(digest(proven, 10, 50, before: 10) == nil, "checked, but only the last part")
        #expect(digest(proven, 0, 40) == nil, "checked, but not all of it")
        #expect(digest(nil, 50, 50, known: proven, before: 50) == proven, "an empty PATCH at the end changes nothing")
        #expect(digest(nil, 0, 0, known: proven, before: 50) == nil, "cut back: the bytes are not those hashed")
        #expect(TusPolicy.wholeFileDigest(checked: proven, start: 0, end: 0, length: 0, known: nil, before: 0) == proven, "an empty file")
    }

    @Test("An upload expires once idle for the expiry, not before")
    func expiry() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(Self.policy.expiry(lastActivity: start) == start.addingTimeInterval(3600))
        #expect(!Self.policy.isExpired(lastActivity: start, now: start.addingTimeInterval(3599)))
        #expect(Self.policy.isExpired(lastActivity: start, now: start.addingTimeInterval(3600)))
    }

    @Test("The limiter allows up to the hourly counts, then refuses with the seconds left in the window")
    func limiter() {
        let limiter = UploadLimiter(requestsPerHour: 2, bytesPerHour: 100)
        let start = Date(timeIntervalSince1970: 1_000_000)
        guard case .allow(let first) = limiter.decide(.request, window: nil, now: start),
            case .allow(let second) = limiter.decide(.request, window: first, now: start.addingTimeInterval(10))
        else { Issue.record("the first two requests were refused"); return }
        guard case .refuse(let retry, let sentence) = limiter.decide(.request, window: second, now: start.addingTimeInterval(600)) else {
            Issue.record("a third request within the hour was allowed"); return
        }
        #expect(retry == 3000)
        #expect(sentence.contains("50 minutes"))
        guard case .allow(let fresh) = limiter.decide(.request, window: second, now: start.addingTimeInterval(3600)) else {
            Issue.record("a new hour did not start afresh"); return
        }
        #expect(fresh.requests == 1)
        guard case .allow(let bytes) = limiter.decide(.bytes(100), window: nil, now: start) else { Issue.record("bytes refused"); return }
        if case .allow = limiter.decide(.bytes(1), window: bytes, now: start) { Issue.record("bytes past the hourly limit allowed") }
    }

    static func metadata(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0) \(Data($0.1.utf8).base64EncodedString())" }.joined(separator: ",")
    }

    @Test("Metadata is read strictly and paths that climb, hide or disguise themselves are refused")
    func metadataPaths() {
        let good = TusMetadata.parse(Self.metadata([("draft", "d"), ("role", "study"), ("path", "DICOM/IM1")]))
        #expect(good == .success(TusMetadata(draft: "d", role: .study, path: "DICOM/IM1")))
        for path in ["../x", "/etc/passwd", "a\\b", ".hidden", "a/.DS", "a\u{0}b", "a\nb", "IM1.part", "x~", String(repeating: "a", count: 300), "CD/study.ZIP"] {
            guard case .failure(let refusal) = TusMetadata.parse(Self.metadata([("draft", "d"), ("role", "study"), ("path", path)])) else {
                Issue.record("path \(path.debugDescription) accepted"); continue
            }
            #expect(refusal.status == 400)
        }
        #expect((try? TusMetadata.parse(Self.metadata([("draft", "d"), ("role", "report"), ("path", "report.pdf")])).get()) != nil)
        for bad in [
            Self.metadata([("draft", "d"), ("role", "report"), ("path", "a/report.pdf")]),
            Self.metadata([("draft", "d"), ("role", "report"), ("path", "report.exe")]),
            Self.metadata([("draft", "d"), ("role", "other"), ("path", "a")]),
            Self.metadata([("draft", "d"), ("role", "study")]),
            Self.metadata([("draft", "d"), ("draft", "e"), ("role", "study"), ("path", "a")]),
            Self.metadata([("draft", "d"), ("role", "study"), ("path", "a"), ("extra", "x")]),
            "draft !!!,role c3R1ZHk=,path YQ==",
        ] {
            if case .success = TusMetadata.parse(bad) { Issue.record("metadata \(bad) accepted") }
        }
    }

    @Test("The page's answers get the service's id and times; no consent or a faulty field is a 422 naming the field")
    func pageAnswers() throws {
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let answers = #"""
            {"patient": {"name": "Jane Q. Doe", "date_of_birth": "1968-04-02", "email": "jane@example.org"},
             "consent": {"hipaa_authorization": true},
             "request": {"regions": ["lumbar"], "question": "Do I need surgery?", "symptoms": ["sciatica"]}}
            """#
        let made = try PageAnswers.compose(Array(answers.utf8), submissionID: "web-abcd1234", now: now, limits: IntakeSettings()).get()
        let parsed = try PackAnswers.parse(made, limits: IntakeSettings(), now: now)
        #expect(parsed.submissionID == "web-abcd1234")
        #expect(String(decoding: made, as: UTF8.self).contains("\"signed_at\""))
        let noConsent = answers.replacingOccurrences(of: "true", with: "false")
        guard case .failure(let refusal) = PageAnswers.compose(Array(noConsent.utf8), submissionID: "web-a", now: now, limits: IntakeSettings()) else {
            Issue.record("answers without consent accepted"); return
        }
        #expect(refusal.status == 422 && refusal.field == "consent.hipaa_authorization")
        let badEmail = answers.replacingOccurrences(of: "jane@example.org", with: "not an address")
        guard case .failure(let fault) = PageAnswers.compose(Array(badEmail.utf8), submissionID: "web-a", now: now, limits: IntakeSettings()) else {
            Issue.record("a faulty email accepted"); return
        }
        #expect(fault.status == 422 && fault.field == "patient.email", "\(fault)")
        #expect(!fault.sentence.contains("not an address"))
        let smuggled = answers.replacingOccurrences(of: "{\"patient\"", with: "{\"submission_id\": \"x\", \"patient\"")
        if case .success = PageAnswers.compose(Array(smuggled.utf8), submissionID: "web-a", now: now, limits: IntakeSettings()) {
            Issue.record("answers naming their own submission id accepted")
        }
    }

    @Test("References are 8 Crockford characters shown as XXXX-XXXX, and make a valid submission id")
    func reference() {
        let reference = SubmissionReference.random()
        #expect(reference.description.count == 9 && reference.description.dropFirst(4).first == "-")
        #expect(reference.characters.allSatisfy { SubmissionReference.alphabet.contains($0) })
        #expect(reference.submissionID == "web-" + reference.characters.lowercased())
    }
}
