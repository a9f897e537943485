#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OpineCore

/// What says a draft was sent (`sent/<draft>.json`): the submission it became, bound to the browser that sent it, so
/// a submit repeated after a lost answer gets the same reference instead of a second case.
struct SentMark: Codable, Sendable {
    var draft: String
    /// SHA-256 (hex) of the `opine_csrf` cookie that sent it.
    var binding: String
    var submissionID: String
    var sentAt: Date
}

extension TusStore {
    /// Claims a draft for submitting: exactly the uploads the page `listed` (nil: all of the draft's), each complete,
    /// else 409 naming how many are missing or unfinished; the draft's other uploads are terminated.
    func beginSubmit(_ id: String, binding: String?, listed: [String]?) throws(APIFailure) -> [Upload] {
        var draft = try draft(id, binding: binding)
        guard !draft.submitting else { throw APIFailure(409, "This request is already being sent; wait for the receipt.") }
        let mine = draft.uploads.compactMap { uploads[$0] }
        let selection: SubmitSelection
        switch SubmitSelection.decide(listed: listed, uploads: mine.map { .init(id: $0.record.id, complete: $0.isComplete && !$0.busy) }) {
        case .success(let decided): selection = decided
        case .failure(let refusal): throw APIFailure(refusal)
        }
        // An upload being written cannot go now; it goes with the draft when the request is sent.
        for id in selection.terminate { if let upload = uploads[id], !upload.busy { remove(upload.record) } }
        draft = drafts[id] ?? draft
        draft.submitting = true
        drafts[id] = draft
        return selection.send.compactMap { uploads[$0] }
    }

    /// Ends a submission: when it was sent, the draft and its uploads go, bytes and all; else the draft can be sent again.
    func endSubmit(_ id: String, sent: Bool) {
        guard let draft = drafts[id] else { return }
        guard sent else {
            drafts[id]?.submitting = false
            return
        }
        for upload in draft.uploads.compactMap({ uploads[$0] }) { remove(upload.record) }
        removeDraftFiles(id)
    }

    /// How long a sent draft's mark is kept for a repeated submit: six hours, or the drafts' expiry when shorter.
    var sentKeptSeconds: Double { min(6 * 3600, policy.expirySeconds) }

    /// Marks `draft` as sent as `submissionID` by the browser `binding` (before the bundle is renamed into drop).
    func markSent(_ draft: String, binding: String, submissionID: String, now: Date = Date()) throws {
        try StateFiles.write(SentMark(draft: draft, binding: binding, submissionID: submissionID, sentAt: now), to: sentPath(draft))
    }

    /// Forgets a mark whose bundle never reached the drop directory.
    func unmarkSent(_ draft: String) { unlink(sentPath(draft)) }

    /// The mark of a draft that was sent and is gone, or nil (unknown, still being prepared, or swept).
    func sentMark(_ draft: String) -> SentMark? {
        guard drafts[draft] == nil, let mark = try? StateFiles.read(SentMark.self, from: sentPath(draft)) else { return nil }
        return mark
    }

    /// Removes the marks older than `sentKeptSeconds`.
    func sweepSent(now: Date) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.sent)) ?? [] {
            let path = layout.sent + "/" + name
            guard let mark = try? StateFiles.read(SentMark.self, from: path) else {
                if !name.hasPrefix(".") { unlink(path) }
                continue
            }
            if now.timeIntervalSince(mark.sentAt) >= sentKeptSeconds { unlink(path) }
        }
    }

    /// After a crash between a submission's record and the end of its submit: a mark whose draft is still here was
    /// either renamed into drop (its packed bundle is gone from staging: the draft is done) or not (the bundle is still
    /// in staging: the record, its links and the mark go, and the draft can be sent again).
    func repairSent() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.sent)) ?? [] {
            guard let mark = try? StateFiles.read(SentMark.self, from: layout.sent + "/" + name), drafts[mark.draft] != nil else { continue }
            let id = mark.submissionID
            guard FileManager.default.fileExists(atPath: layout.bundles + "/" + id + "/" + id) else {
                endSubmit(mark.draft, sent: true)
                continue
            }
            for token in (try? FileManager.default.contentsOfDirectory(atPath: layout.tokens)) ?? [] {
                let path = layout.tokens + "/" + token
                if FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) == id { unlink(path) }
            }
            unlink(layout.digests + "/" + UploadDigest.of(id))
            unlink(layout.submissions + "/" + id + ".json")
            unmarkSent(mark.draft)
        }
    }

    private func sentPath(_ draft: String) -> String { layout.sent + "/" + draft + ".json" }
}
