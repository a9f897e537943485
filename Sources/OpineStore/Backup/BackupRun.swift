#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import OpineCore

/// What a backup asks the live database about when a file the snapshot lists is gone.
enum BackupPurgeCheck {
    /// Is this case purged now?
    case caseFiles(String)
    /// Is the rejection with this quarantine folder purged now?
    case rejection(String)
}

/// One backup being written: the members in order, each read from the snapshot's own lists.
final class BackupRun {
    private let writer: ArchiveWriter
    private let snapshot: DatabaseQueue
    private let sources: BackupSources
    /// Asks the live database whether a case (or a rejection, by its quarantine folder) is purged now: the purge may
    /// remove a folder the snapshot still lists, which is then skipped, not taken for tampering.
    private let purgedNow: (BackupPurgeCheck) throws -> Bool
    private var skipped: [String] = []

    init(writer: ArchiveWriter, snapshot: DatabaseQueue, sources: BackupSources, purgedNow: @escaping (BackupPurgeCheck) throws -> Bool) {
        self.writer = writer
        self.snapshot = snapshot
        self.sources = sources
        self.purgedNow = purgedNow
    }

    /// Writes every member and the manifest; `databasePath` is the snapshot's file.
    func write(databasePath: String) throws -> BackupSummary {
        let (head, schema, caseIDs, folders) = try snapshot.read { db in
            (try AuditChain.head(db), try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
             try String.fetchAll(db, sql: "SELECT id FROM cases ORDER BY id"),
             // A quarantine the purge removed (or is removing) has nothing left to keep.
             try String.fetchAll(db, sql: "SELECT quarantine FROM rejections WHERE quarantine IS NOT NULL AND purged_at IS NULL ORDER BY id"))
        }
        let createdAt = Timestamps.format(Date())
        if let configuration = sources.configuration { try writer.addBytes(configuration, as: BackupLayout.configuration) }
        _ = try writer.addFile(at: databasePath, as: BackupLayout.database)
        for id in caseIDs { try writeCase(id) }
        for folder in Set(folders).sorted() { try writeRejected(folder) }
        let manifest = BackupManifest(
            createdAt: createdAt, opineVersion: Opine.version, schemaVersion: schema, auditHead: head.description,
            cases: caseIDs.count, rejectedFolders: Set(folders).count, skipped: skipped,
            redactedEndpoints: sources.redactedEndpoints, members: writer.entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let entry = try writer.addBytes(Array(try encoder.encode(manifest)), as: BackupLayout.manifest, listed: false)
        try writer.finish()
        return BackupSummary(
            file: "", bytes: writer.bytesWritten, cases: caseIDs.count, members: manifest.members.count,
            rejectedFolders: manifest.rejectedFolders, skipped: skipped, auditHead: head, manifestSHA256: entry.sha256,
            redactedEndpoints: sources.redactedEndpoints)
    }

    /// The case's `manifest.json` and every file the snapshot lists for it, each checked against its recorded
    /// SHA-256 as it streams; files a later supplement placed are not in the snapshot and are left out.
    private func writeCase(_ id: String) throws {
        let folder = sources.casesDirectory + "/" + id
        let member = BackupLayout.cases + "/" + id + "/"
        do {
            try writeCaseFiles(id, folder: folder, member: member)
        } catch {
            guard try purgedNow(.caseFiles(id)) else { throw error }
            skipped.append("case \(id) (purged during the backup)")
        }
    }

    private func writeCaseFiles(_ id: String, folder: String, member: String) throws {
        if let info = ArchiveIO.lstatInfo(folder + "/" + Manifest.fileName), info.st_mode & S_IFMT == S_IFREG {
            _ = try writer.addFile(at: folder + "/" + Manifest.fileName, as: member + Manifest.fileName)
        }
        // A purged file is gone on purpose (its tombstone is in the chain), so it is not looked for.
        let files = try snapshot.read {
            try CaseFileRecord.filter(CaseFileRecord.Columns.caseID == id && CaseFileRecord.Columns.purgedAt == nil)
                .order(CaseFileRecord.Columns.path).fetchAll($0)
        }
        for file in files where file.path != Manifest.fileName {
            let shown = "\(id)/\(file.path.escapedForDisplay)"
            guard case .success = BackupLayout.check(TarHeader(path: member + file.path, size: 0, kind: .file)) else {
                throw IntegrityError(description: "\(shown): the stored path cannot be restored safely; run `opine verify`")
            }
            let copied: ArchiveWriter.Copied
            do {
                copied = try writer.addFile(at: folder + "/" + file.path, as: member + file.path, expectedSHA256: file.storedSHA256 ?? file.sha256)
            } catch {
                guard ArchiveIO.lstatInfo(folder + "/" + file.path) == nil else { throw error }
                throw IntegrityError(description: "\(shown) is missing from the store; nothing was backed up. Run `opine verify`, and restore the case's folder from an earlier backup")
            }
            guard copied.matched else {
                throw IntegrityError(description: "\(shown) does not match the SHA-256 recorded at intake; nothing was backed up. Run `opine verify`")
            }
        }
    }

    /// Every plain file of a quarantine folder; links, devices and unreadable entries are listed as skipped.
    private func writeRejected(_ folder: String) throws {
        let root = sources.rejectedDirectory + "/" + folder
        guard let info = ArchiveIO.lstatInfo(root), info.st_mode & S_IFMT == S_IFDIR else {
            skipped.append(folder.escapedForDisplay + (try purgedNow(.rejection(folder)) ? " (purged during the backup)" : " (missing)"))
            return
        }
        var stack = [""]
        while let relative = stack.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            for name in names {
                let inside = relative.isEmpty ? name : relative + "/" + name
                let path = root + "/" + inside, member = BackupLayout.rejected + "/" + folder + "/" + inside
                let kind = ArchiveIO.lstatInfo(path).map { $0.st_mode & S_IFMT }
                if kind == S_IFDIR {
                    stack.append(inside)
                } else if kind == S_IFREG, case .success = BackupLayout.check(TarHeader(path: member, size: 0, kind: .file)) {
                    do { _ = try writer.addFile(at: path, as: member) } catch {
                        if try purgedNow(.rejection(folder)) {
                            skipped.append(folder.escapedForDisplay + " (purged during the backup)")
                            return
                        }
                        throw ArchiveIOError(description: "quarantined upload \(folder.escapedForDisplay): \(error)")
                    }
                } else {
                    skipped.append((folder + "/" + inside).escapedForDisplay)
                }
            }
        }
    }
}
