#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import OpineCore

/// What `opine backup` wrote.
public struct BackupSummary: Sendable {
    /// The archive.
    public var file: String
    /// The archive's size in bytes.
    public var bytes: Int64
    /// Cases in the snapshot (their folders are in the archive).
    public var cases: Int
    /// Files archived, the database and the configuration included, the manifest not.
    public var members: Int
    /// Quarantine folders archived.
    public var rejectedFolders: Int
    /// Paths under `rejected/` left out (not plain files, or unreadable), and folders the purge removed while the
    /// backup ran (`… (purged during the backup)`).
    public var skipped: [String]
    /// The audit chain's head in the snapshot.
    public var auditHead: AuditHead
    /// The SHA-256 of the manifest member: record it beside the archive to prove the manifest later.
    public var manifestSHA256: String
    /// Endpoints whose URL credentials were removed from the archived configuration.
    public var redactedEndpoints: [String]
}

/// Where a backup reads from and writes to.
public struct BackupSources: Sendable {
    /// `cases/` of the state directory.
    public var casesDirectory: String
    /// `rejected/` of the spool.
    public var rejectedDirectory: String
    /// The configuration file's bytes as they go into the archive (secrets already removed), or nil for none.
    public var configuration: [UInt8]?
    /// Endpoints whose URL credentials were removed from `configuration`.
    public var redactedEndpoints: [String]

    /// Sources for a backup.
    public init(casesDirectory: String, rejectedDirectory: String, configuration: [UInt8]?, redactedEndpoints: [String]) {
        self.casesDirectory = casesDirectory
        self.rejectedDirectory = rejectedDirectory
        self.configuration = configuration
        self.redactedEndpoints = redactedEndpoints
    }
}

extension CaseStore {
    /// Writes one tar archive at `path` (which must not exist): the configuration, a snapshot of the database taken
    /// with SQLite's online backup API while opined keeps working, the folder of every case the snapshot holds, the
    /// quarantine folders it records, and last a manifest of every member's SHA-256. Files that arrived after the
    /// snapshot are left out, so the archive is one consistent moment. Written to `path.part` (mode 0600), made
    /// durable, then given its name; nothing is left behind on failure. The disclosure is recorded once the archive
    /// is complete and before it gets its name: one `access` event (`backup`, no case), in its own transaction, by
    /// `actor`; it is not in the archive, whose snapshot came first. An archive whose disclosure could not be
    /// recorded is removed, so a backup is over-counted at worst (the name then failing), never missed.
    public func backup(to path: String, from sources: BackupSources, by actor: DeskActor) throws -> BackupSummary {
        guard ArchiveIO.lstatInfo(path) == nil else {
            throw ArchiveIOError(description: "\(path.escapedForDisplay) already exists; choose a new file name (a backup never overwrites)")
        }
        let partial = path + ".part", snapshotPath = path + ".part-db"
        let fd = try ArchiveIO.createExclusive(partial, mode: 0o600)
        var finished = false
        defer {
            close(fd)
            if !finished { unlink(partial) }
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(snapshotPath + suffix) }
        }
        let snapshot = try takeSnapshot(at: snapshotPath)
        let run = BackupRun(writer: ArchiveWriter(fd: fd, display: partial), snapshot: snapshot, sources: sources, purgedNow: isPurgedNow)
        var summary = try run.write(databasePath: snapshotPath)
        try snapshot.close()
        try ArchiveIO.sync(fd, display: partial)
        try recordAccess(.backup, caseID: nil, detail: [
            "file": (path as NSString).lastPathComponent, "manifest_sha256": summary.manifestSHA256,
            "cases": String(summary.cases), "files": String(summary.members), "rejected_folders": String(summary.rejectedFolders),
        ], by: actor)
        // link() refuses an existing name, so a file that appeared meanwhile is never replaced.
        guard link(partial, path) == 0 else { throw ArchiveIOError.errno("give the finished backup its name", path) }
        finished = true
        unlink(partial)
        ArchiveIO.syncDirectory((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        summary.file = path
        return summary
    }

    /// Whether the live database says a case, or the rejection with this quarantine folder, is purged now.
    func isPurgedNow(_ check: BackupPurgeCheck) throws -> Bool {
        try pool.read { db in
            switch check {
            case .caseFiles(let id):
                try Bool.fetchOne(db, sql: "SELECT purged_at IS NOT NULL FROM cases WHERE id = ?", arguments: [id]) ?? false
            case .rejection(let folder):
                // The purge forgets the folder's name once it is removed, so an absent row is a removed one.
                try Bool.fetchOne(db, sql: "SELECT purged_at IS NOT NULL FROM rejections WHERE quarantine = ?", arguments: [folder]) ?? true
            }
        }
    }

    /// The database copied page by page with SQLite's backup API (a copy of the live file can be torn), and checked.
    private func takeSnapshot(at path: String) throws -> DatabaseQueue {
        close(try ArchiveIO.createExclusive(path, mode: 0o600))
        let copy = try DatabaseQueue(path: path)
        try pool.backup(to: copy)
        let check = try copy.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        guard check == ["ok"] else {
            throw IntegrityError(description: "the database snapshot failed its integrity check: \(check.prefix(3).joined(separator: "; ")); run `opine verify`")
        }
        // A rollback journal, not WAL: every page is then in the one file the archive streams (the store sets WAL
        // again when the restored database is opened).
        _ = try copy.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = DELETE") }
        return copy
    }
}
