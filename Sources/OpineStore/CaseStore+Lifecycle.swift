import Foundation
import GRDB
import OpineCore

/// A legal hold as `opine show` displays it.
public struct CaseHold: Sendable, Equatable {
    /// Since when (RFC 3339).
    public var since: String
    /// Who put it on.
    public var by: String
    /// Why.
    public var reason: String
}

extension CaseRecord {
    /// The case's legal hold, if it has one.
    public var hold: CaseHold? {
        guard let heldSince else { return nil }
        return CaseHold(since: heldSince, by: heldBy ?? "", reason: holdReason ?? "")
    }
}

extension CaseStore {
    /// A purged case is final: nothing new is written about it (a note, an amendment, a response, any workflow step),
    /// since the purge has passed and would never remove it. A conflict (exit 3).
    static func refusePurged(_ record: CaseRecord) throws {
        guard let purged = record.purgedAt else { return }
        throw StoreError.conflict(
            "\(record.id): the case's patient data was purged on \(purged) under the retention rules; it takes nothing new. A new submission starts a new case")
    }

    /// Puts a case under legal hold: the purge leaves it alone until `release`. Audited as a `hold` event; the case's
    /// state, version and webhooks are untouched. Refused (as a conflict, exit 3) when it is already held or its files
    /// are already purged.
    @discardableResult
    public func hold(_ caseID: String, reason: String, by actor: DeskActor, now: Date = Date()) throws -> EventRecord {
        guard !reason.isBlank else { throw StoreError.invalidInput("--reason must not be empty; say why the case is held") }
        return try pool.write { db in
            guard let record = try CaseRecord.filter(CaseRecord.Columns.id == caseID).fetchOne(db) else { throw StoreError.caseNotFound(caseID) }
            if let since = record.heldSince {
                throw StoreError.conflict("\(caseID) is already under hold since \(since); `opine release \(caseID)` lifts it")
            }
            if let purged = record.purgedAt {
                throw StoreError.conflict("\(caseID) was purged at \(purged): its files and patient fields are gone, nothing is left to hold")
            }
            let at = Timestamps.format(now)
            try db.execute(sql: "UPDATE cases SET held_since = ?, held_by = ?, hold_reason = ? WHERE id = ?", arguments: [at, actor.name, reason, caseID])
            return try Self.appendHoldEvent(db, .hold, caseID: caseID, detail: ["reason": reason], actor: actor, at: at)
        }
    }

    /// Lifts a case's legal hold: from now on the retention rules apply to it again (its clock is not restarted).
    @discardableResult
    public func release(_ caseID: String, by actor: DeskActor, now: Date = Date()) throws -> EventRecord {
        try pool.write { db in
            guard let record = try CaseRecord.filter(CaseRecord.Columns.id == caseID).fetchOne(db) else { throw StoreError.caseNotFound(caseID) }
            guard let since = record.heldSince else {
                throw StoreError.conflict("\(caseID) is not under hold; `opine hold \(caseID) --reason TEXT` puts one on")
            }
            try db.execute(sql: "UPDATE cases SET held_since = NULL, held_by = NULL, hold_reason = NULL WHERE id = ?", arguments: [caseID])
            return try Self.appendHoldEvent(db, .release, caseID: caseID, detail: ["held_since": since], actor: actor, at: Timestamps.format(now))
        }
    }

    private static func appendHoldEvent(
        _ db: Database, _ type: EventType, caseID: String, detail: [String: String], actor: DeskActor, at: String
    ) throws -> EventRecord {
        var fields = detail
        if let enteredBy = actor.enteredBy { fields["entered_by"] = enteredBy }
        var event = EventRecord(AuditEvent(type: type, detail: fields), caseID: caseID, at: at, actor: actor.name)
        try event.append(db)
        return event
    }

    /// How many delivery attempts started before `cutoff`.
    public func countAttempts(before cutoff: Date) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM delivery_attempts WHERE started_at < ?", arguments: [Timestamps.format(cutoff)]) ?? 0
        }
    }

    /// Removes up to `batch` delivery attempts started before `cutoff`, with one tombstone saying how many, in one
    /// transaction; returns how many went (0: none left). Batches keep the daemon's writer free between them.
    public func removeAttempts(before cutoff: Date, batch: Int, now: Date, actor: String) throws -> Int {
        try pool.write { db in
            let before = Timestamps.format(cutoff)
            try db.execute(sql: """
                DELETE FROM delivery_attempts WHERE id IN
                    (SELECT id FROM delivery_attempts WHERE started_at < ? ORDER BY started_at LIMIT ?)
                """, arguments: [before, batch])
            let removed = db.changesCount
            guard removed > 0 else { return 0 }
            let detail = ["before": before, "removed": "\(removed)"]
            var event = EventRecord(.tombstone(.deliveryAttempts, rule: .deliveryAttempts, detail), caseID: nil, at: Timestamps.format(now), actor: actor)
            try event.append(db)
            return removed
        }
    }

    /// Writes the tombstone of a set-aside folder in `orphaned/` and remembers it, so a removal a crash cut short is
    /// finished by the next purge. The tombstone names the folder by its `UploadDigest` (its name is an upload's, and
    /// the chain keeps it for ever); `purged_folders` keeps the name only until the folder is gone. Returns false
    /// when it was already tombstoned.
    public func tombstoneOrphaned(_ folder: String, digest: String, files: Int, bytes: Int64, now: Date, actor: String) throws -> Bool {
        try pool.write { db in
            guard try PurgedFolderRecord.filter(PurgedFolderRecord.Columns.folder == folder).fetchCount(db) == 0 else { return false }
            let at = Timestamps.format(now)
            let detail = ["folder": UploadDigest.of(displayedName: folder), "sha256": digest, "files": "\(files)", "bytes": "\(bytes)"]
            var event = EventRecord(.tombstone(.orphanedFolder, rule: .orphanedFolder, detail), caseID: nil, at: at, actor: actor)
            try event.append(db)
            try PurgedFolderRecord(folder: folder, purgedAt: at, eventID: event.id ?? 0).insert(db)
            return true
        }
    }

    /// Tombstoned set-aside folders not confirmed removed yet.
    public func orphanedAwaitingRemoval() throws -> [String] {
        let columns = PurgedFolderRecord.Columns.self
        return try pool.read { db in
            try PurgedFolderRecord.filter(columns.removedAt == nil).order(columns.purgedAt).fetchAll(db).map(\.folder)
        }
    }

    /// Records that a tombstoned set-aside folder is gone, and forgets its name (the row becomes `removed-<event id>`).
    public func markOrphanedRemoved(_ folder: String, now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE purged_folders SET removed_at = ?, folder = 'removed-' || event_id WHERE folder = ?",
                           arguments: [Timestamps.format(now), folder])
        }
    }
}
