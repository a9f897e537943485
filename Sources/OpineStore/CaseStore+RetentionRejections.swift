import Foundation
import GRDB
import OpineCore

/// A refused or duplicate upload the purge may remove: its quarantine folder, if it has one, and its name.
public struct RejectedFolder: Sendable, Equatable {
    /// `rejections.id`.
    public var id: Int64
    /// The folder under `rejected/`; nil for a duplicate, whose upload was removed at once.
    public var folder: String?
    /// When it was rejected.
    public var at: Date
}

extension CaseStore {
    /// Unpurged rejections at or before `cutoff`, quarantined or duplicate, oldest first.
    static func dueRejections(_ db: Database, by cutoff: Date) throws -> [RejectedFolder] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, at, quarantine FROM rejections WHERE purged_at IS NULL AND at <= ? ORDER BY at
            """, arguments: [Timestamps.format(cutoff)])
        return rows.compactMap { row in
            Timestamps.parse(row["at"]).map { RejectedFolder(id: row["id"], folder: row["quarantine"], at: $0) }
        }
    }

    /// Writes the tombstone of a refused upload (`digest`: `FolderDigest` of its quarantine folder's files) or of a
    /// duplicate (no folder: `digest` nil), and scrubs its row: the upload's name becomes its `UploadDigest` (the
    /// tombstone holds only that, never the name) and the message and entry, which may quote paths inside the upload,
    /// are cleared. A duplicate has nothing more to remove and is marked removed at once. Returns false when another
    /// purge already did it.
    public func tombstoneRejection(
        _ rejection: RejectedFolder, digest: String?, files: Int, bytes: Int64, now: Date, actor: String
    ) throws -> Bool {
        try pool.write { db in
            guard let name = try String.fetchOne(db, sql: "SELECT upload_name FROM rejections WHERE id = ? AND purged_at IS NULL",
                                                 arguments: [rejection.id]) else { return false }
            let at = Timestamps.format(now)
            let upload = UploadDigest.of(displayedName: name)
            try db.execute(sql: """
                UPDATE rejections SET purged_at = ?, upload_name = ?, message = '', entry = NULL, removed_at = CASE WHEN ? THEN ? END
                WHERE id = ?
                """, arguments: [at, upload, digest == nil, at, rejection.id])
            try Self.scrubAnnouncedEntry(db, rejection: rejection.id)
            var detail = ["rejection": "\(rejection.id)", "upload": upload]
            if let digest { detail.merge(["sha256": digest, "files": "\(files)", "bytes": "\(bytes)"]) { old, _ in old } }
            let kind: PurgedKind = digest == nil ? .duplicateUpload : .rejectedUpload
            var event = EventRecord(.tombstone(kind, rule: .rejectedUpload, detail), caseID: nil, at: at, actor: actor)
            try event.append(db)
            return true
        }
    }

    /// Removes the entry (a path within the upload, which may carry a name) from the refusal's `bundle.rejected`
    /// outbox data, as from its row; a delivery still pending then goes without it.
    static func scrubAnnouncedEntry(_ db: Database, rejection id: Int64) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, data FROM outbox WHERE rejection_id = ?", arguments: [id]) {
            guard var data = try? NotificationData.decode(row["data"]), data.entry != nil else { continue }
            data.entry = nil
            try db.execute(sql: "UPDATE outbox SET data = ? WHERE id = ?", arguments: [data.encoded(), row["id"] as Int64])
        }
    }

    /// Tombstoned rejections whose quarantine folder is not confirmed removed yet.
    public func rejectionsAwaitingRemoval() throws -> [RejectedFolder] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, at, quarantine FROM rejections
                WHERE purged_at IS NOT NULL AND removed_at IS NULL ORDER BY purged_at
                """).map { RejectedFolder(id: $0["id"], folder: $0["quarantine"], at: Timestamps.parse($0["at"]) ?? .distantPast) }
        }
    }

    /// Records that a rejection's quarantine folder is gone, and forgets the folder's name (`<time>-<upload name>`).
    public func markRejectionRemoved(_ id: Int64, now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE rejections SET removed_at = ?, quarantine = NULL WHERE id = ?", arguments: [Timestamps.format(now), id])
        }
    }
}
