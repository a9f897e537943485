#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTPTypes
import OpineCore

/// A draft as stored in `drafts/<id>.json`: the request being prepared, bound to the hash of the browser's CSRF cookie.
struct DraftRecord: Codable, Sendable {
    var id: String
    /// SHA-256 (hex) of the `opine_csrf` cookie that made it; another browser's requests are refused.
    var binding: String
    var createdAt: Date
}

/// An upload as described in its draft's log, `drafts/<draft>.uploads` (a JSON line per upload created, so creating
/// one makes no file but its bytes, `staging/uploads/<id>`). Its offset is the bytes file's size and its last
/// activity the bytes file's modification time, so a PATCH rewrites no state file.
struct UploadRecord: Codable, Sendable {
    var id: String
    /// The draft it belongs to: a draft's uploads are those naming it.
    var draft: String
    /// A study file or the report.
    var role: TusMetadata.Role
    /// Its path within the picked folder, or the report's name; never logged.
    var path: String
    /// `Upload-Length`.
    var length: Int64
    var createdAt: Date
}

/// The drafts and tus uploads in progress: which exist, whose they are, how far each has come, which one is being
/// written now (one PATCH at a time per upload), and which have expired. The bytes themselves are written by the
/// PATCH route outside the actor, at the offset this actor hands out.
actor TusStore {
    /// An upload as the store tracks it.
    struct Upload: Sendable {
        var record: UploadRecord
        var offset: Int64
        var lastActivity: Date
        var busy = false
        /// The whole file's SHA-256 when one PATCH from offset 0 brought all of it under an `Upload-Checksum` that
        /// matched (`TusPolicy.wholeFileDigest`): the pack then does not hash it again. Kept in memory only; after a
        /// restart the pack hashes.
        var digest: [UInt8]?
        var isComplete: Bool { offset == record.length }
    }

    /// A draft as the store tracks it.
    struct Draft: Sendable {
        var record: DraftRecord
        var uploads: Set<String> = []
        var pathKeys: Set<String> = []
        var bytes: Int64 = 0
        var lastActivity: Date
        var submitting = false
        /// Lines in the draft's log, live or describing uploads since removed.
        var logLines = 0
    }

    let layout: StateLayout
    let policy: TusPolicy
    var drafts: [String: Draft] = [:]
    var uploads: [String: Upload] = [:]

    init(layout: StateLayout, policy: TusPolicy) {
        self.layout = layout
        self.policy = policy
    }

    /// Where an upload's bytes are.
    nonisolated func bytesPath(_ id: String) -> String { layout.uploads + "/" + id }

    /// Where a draft's uploads are described, a JSON line each.
    nonisolated func uploadLogPath(_ draft: String) -> String { layout.drafts + "/" + draft + Self.uploadLogSuffix }

    /// The ending of a draft's uploads' log in `drafts/`.
    static let uploadLogSuffix = ".uploads"

    /// Starts a draft for the browser whose cookie hashes to `binding`.
    func createDraft(binding: String, now: Date = Date()) throws -> DraftRecord {
        let record = DraftRecord(id: Self.newID(), binding: binding, createdAt: now)
        try StateFiles.write(record, to: layout.drafts + "/" + record.id + ".json")
        drafts[record.id] = Draft(record: record, lastActivity: now)
        return record
    }

    /// The draft, when it exists and is this browser's; else the contract's 404 or 403.
    func draft(_ id: String, binding: String?) throws(APIFailure) -> Draft {
        guard let draft = drafts[id] else {
            throw APIFailure(404, "This request is no longer being prepared (it was sent, or it expired); reload the page to start again.")
        }
        guard draft.record.binding == binding else {
            throw APIFailure(403, "This request was started in another browser; finish it there, or start again here.")
        }
        return draft
    }

    /// Creates an upload of `length` bytes in a draft, or refuses it. A creation repeated (its answer lost) by the
    /// same browser for the same draft, role, path and length gets the upload already made, so the page can go on.
    func createUpload(_ metadata: TusMetadata, length: Int64?, binding: String?, now: Date = Date()) throws(APIFailure) -> Upload {
        var draft = try draft(metadata.draft, binding: binding)
        guard !draft.submitting else { throw APIFailure(409, "This request is being sent; wait for the receipt.") }
        let key = Self.key(role: metadata.role, path: metadata.path)
        if draft.pathKeys.contains(key) { return try existing(metadata, length: length, in: draft) }
        if let refusal = policy.create(length: length, draftFiles: draft.uploads.count, draftBytes: draft.bytes) { throw APIFailure(refusal) }
        if let free = freeBytes(), let refusal = policy.room(freeBytes: free, length: length!) { throw APIFailure(refusal) }
        let record = UploadRecord(id: Self.newID(), draft: metadata.draft, role: metadata.role, path: metadata.path, length: length!, createdAt: now)
        let fd = open(bytesPath(record.id), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw APIFailure(500, "The service could not store the upload; try again in a moment, or call the practice.") }
        close(fd)
        // A line in the draft's log rather than a file of its own: a new file costs an inode, which this file
        // system may take long to find (see BENCHMARKS.md). Not synced: a crash may lose it, and then its bytes
        // are swept at start and the page creates it again.
        do { try StateFiles.appendLine(record, to: uploadLogPath(record.draft)) } catch {
            unlink(bytesPath(record.id))
            throw APIFailure(500, "The service could not store the upload; try again in a moment, or call the practice.")
        }
        let upload = Upload(record: record, offset: 0, lastActivity: now)
        uploads[record.id] = upload
        draft.uploads.insert(record.id)
        draft.pathKeys.insert(key)
        draft.bytes += record.length
        draft.lastActivity = now
        draft.logLines += 1
        drafts[draft.record.id] = draft
        return upload
    }

    /// The upload a repeated creation names (same role, path and length), or 409: another file of that name, or a
    /// second report (a request has one; the page terminates the first to replace it).
    private func existing(_ metadata: TusMetadata, length: Int64?, in draft: Draft) throws(APIFailure) -> Upload {
        if let same = draft.uploads.compactMap({ uploads[$0] }).first(where: {
            $0.record.role == metadata.role && $0.record.path == metadata.path && $0.record.length == length
        }) {
            return same
        }
        if metadata.role == .report {
            throw APIFailure(409, "This request already has a report; a request holds one. Pick the report again to replace it, or leave it as it is.")
        }
        throw APIFailure(409, "A file with this name is already part of the request; it is not sent twice.")
    }

    /// The free bytes of the staging file system, or nil when the system cannot say.
    private func freeBytes() -> Int64? {
        var info = statvfs()
        guard statvfs(layout.uploads, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// When `upload` expires: with its draft, at the draft's last activity plus the expiry.
    func expiry(of upload: Upload) -> Date {
        policy.expiry(lastActivity: drafts[upload.record.draft]?.lastActivity ?? upload.lastActivity)
    }

    /// What makes two uploads of a draft the same file: role and path, ignoring case; a request has one report.
    static func key(role: TusMetadata.Role, path: String) -> String {
        role == .report ? role.rawValue : role.rawValue + ":" + PathRules.collisionKey(path)
    }

    /// An upload of this browser's; 404 when unknown or expired, 403 when another browser's.
    func upload(_ id: String, binding: String?) throws(APIFailure) -> Upload {
        guard let upload = uploads[id] else {
            throw APIFailure(404, "This upload is not known (it expired or was removed); the page sends the file again.")
        }
        _ = try draft(upload.record.draft, binding: binding)
        return upload
    }

    /// Claims an upload for one PATCH; a second one at once gets 423.
    func beginPatch(_ id: String, binding: String?) throws(APIFailure) -> Upload {
        var upload = try upload(id, binding: binding)
        guard !upload.busy else {
            var fields = HTTPFields()
            fields[TusHeaders.uploadOffset] = String(upload.offset)
            throw APIFailure(423, "This file is already being sent from another tab or connection; wait for it.", headers: fields)
        }
        guard drafts[upload.record.draft]?.submitting == false else { throw APIFailure(409, "This request is being sent; wait for the receipt.") }
        upload.busy = true
        uploads[id] = upload
        return upload
    }

    /// Releases an upload after a PATCH that started at `start`, at the offset its bytes file now ends at, with the
    /// digest its `Upload-Checksum` proved (`checked`, nil when it had none or failed).
    func endPatch(_ id: String, start: Int64, offset: Int64, checked: [UInt8]? = nil, now: Date = Date()) -> Upload? {
        guard var upload = uploads[id] else { return nil }
        upload.busy = false
        upload.digest = TusPolicy.wholeFileDigest(
            checked: checked, start: start, end: offset, length: upload.record.length, known: upload.digest, before: upload.offset)
        upload.offset = offset
        upload.lastActivity = now
        uploads[id] = upload
        drafts[upload.record.draft]?.lastActivity = now
        return upload
    }

    /// tus termination: removes the upload and its bytes.
    func terminate(_ id: String, binding: String?) throws(APIFailure) {
        let upload = try upload(id, binding: binding)
        guard !upload.busy else { throw APIFailure(423, "This file is being sent right now; stop it first.") }
        guard drafts[upload.record.draft]?.submitting == false else { throw APIFailure(409, "This request is being sent; wait for the receipt.") }
        remove(upload.record)
        compactLog(upload.record.draft)
    }

    /// Rewrites a draft's log with its live uploads' lines once most of its lines describe uploads since removed, so
    /// a page that creates and terminates uploads over and over cannot grow it without end.
    private func compactLog(_ id: String) {
        guard var draft = drafts[id], draft.logLines > 2 * draft.uploads.count + 32 else { return }
        let live = draft.uploads.compactMap { uploads[$0]?.record }
        guard let lines = try? StateFiles.jsonLines(live), (try? StateFiles.writeBytes(lines, to: uploadLogPath(id))) != nil else { return }
        draft.logLines = live.count
        drafts[id] = draft
    }

    /// Removes the drafts idle longer than the expiry with all their uploads, bytes and all; a draft's last activity
    /// is the latest of its own and its uploads', so a finished file never expires while the request is still being
    /// sent. Returns how many uploads and drafts went.
    @discardableResult
    func sweep(now: Date = Date()) -> (uploads: Int, drafts: Int) {
        let old = drafts.values.filter { draft in
            let mine = draft.uploads.compactMap { uploads[$0] }
            return !draft.submitting && !mine.contains(where: \.busy)
                && policy.draftExpired(lastActivity: draft.lastActivity, uploadActivities: mine.map(\.lastActivity), now: now)
        }
        var removed = 0
        for draft in old {
            for upload in draft.uploads.compactMap({ uploads[$0] }) {
                remove(upload.record)
                removed += 1
            }
            removeDraftFiles(draft.record.id)
        }
        sweepSent(now: now)
        return (removed, old.count)
    }

    /// Removes an upload's bytes and takes it out of its draft (its line in the draft's log stays, describing bytes
    /// no longer there, which a restart passes over).
    func remove(_ record: UploadRecord) {
        unlink(bytesPath(record.id))
        uploads[record.id] = nil
        if var draft = drafts[record.draft] {
            draft.uploads.remove(record.id)
            draft.pathKeys.remove(Self.key(role: record.role, path: record.path))
            draft.bytes -= record.length
            drafts[record.draft] = draft
        }
    }

    /// Forgets a draft and removes its record and its uploads' log (its uploads are removed first).
    func removeDraftFiles(_ id: String) {
        unlink(layout.drafts + "/" + id + ".json")
        unlink(uploadLogPath(id))
        drafts[id] = nil
    }

    /// 128 random bits in hex: a draft's or upload's id, unguessable.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.lowercase((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Whether `id` has the form `newID` makes (so it is safe in a file name).
    static func isID(_ id: String) -> Bool { id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }
}
