import Foundation
import OpineCore
import Testing

@Suite("The upload service's draft decisions: expiry with the draft, exactly the files picked, the free-space floor")
struct UploadDraftPolicyTests {
    static let policy = TusPolicy(maxFileBytes: 1000, maxRequestBytes: 1500, maxFiles: 3, maxChunkBytes: 100, expirySeconds: 24 * 3600)

    @Test("A finished file lives as long as its draft: the draft's last activity is the latest of any of its uploads")
    func expiryWithDraft() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let finished = start, stillSending = start.addingTimeInterval(3 * 3600)
        let uploads = [finished, stillSending]
        #expect(!Self.policy.draftExpired(lastActivity: start, uploadActivities: uploads, now: start.addingTimeInterval(25 * 3600)))
        #expect(Self.policy.draftExpired(lastActivity: start, uploadActivities: uploads, now: stillSending.addingTimeInterval(24 * 3600)))
        #expect(!Self.policy.draftExpired(lastActivity: start.addingTimeInterval(10 * 3600), uploadActivities: [finished], now: start.addingTimeInterval(30 * 3600)))
    }

    @Test("Submit packs exactly the uploads listed, terminates the others, and refuses a missing or unfinished one")
    func selection() {
        let uploads = [SubmitSelection.Upload(id: "a", complete: true), .init(id: "old", complete: false), .init(id: "b", complete: true)]
        #expect(SubmitSelection.decide(listed: ["a", "b", "a"], uploads: uploads) == .success(SubmitSelection(send: ["a", "b"], terminate: ["old"])))
        guard case .failure(let unfinished) = SubmitSelection.decide(listed: nil, uploads: uploads) else { Issue.record("an unfinished upload was sent"); return }
        #expect(unfinished.status == 409 && unfinished.sentence.hasPrefix("1 file has not finished"))
        guard case .failure(let missing) = SubmitSelection.decide(listed: ["a", "gone", "old"], uploads: uploads) else {
            Issue.record("a missing upload was not refused")
            return
        }
        #expect(missing.status == 409 && missing.sentence.hasPrefix("2 files are missing or unfinished"))
    }

    @Test("The page's upload list is read beside the answers, and the answers file leaves it out")
    func listedUploads() throws {
        let body = Array(#"{"uploads": ["a", "b"], "consent": {"hipaa_authorization": true}, "patient": {"name": "J", "date_of_birth": "1968-04-02", "email": "j@example.org"}, "request": {"regions": ["lumbar"], "question": "?", "symptoms": ["sciatica"]}}"#.utf8)
        #expect(PageAnswers.listedUploads(body) == .success(["a", "b"]))
        #expect(PageAnswers.listedUploads(Array(#"{"consent": {}}"#.utf8)) == .success(nil))
        #expect((try? PageAnswers.listedUploads(Array(#"{"uploads": "a"}"#.utf8)).get()) == nil)
        let composed = try PageAnswers.compose(body, submissionID: "web-x", now: Date(), limits: IntakeSettings()).get()
        #expect(!String(decoding: composed, as: UTF8.self).contains("uploads"))
    }

    @Test("Creation is refused with 507 when the staging file system would keep less than the 1 GiB reserve")
    func freeSpaceFloor() {
        #expect(TusPolicy.reserveBytes == 1 << 30)
        #expect(Self.policy.room(freeBytes: (1 << 30) + 99, length: 100)?.status == 507)
        #expect(Self.policy.room(freeBytes: (1 << 30) + 100, length: 100) == nil)
    }
}
