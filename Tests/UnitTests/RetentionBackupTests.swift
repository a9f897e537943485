import Foundation
import GRDB
@testable import OpineCore
@testable import OpineStore
import Testing

/// A backup and a purge at the same time: the snapshot lists a case whose folder the purge then removes.
@Suite("A backup overlapping a purge")
struct RetentionBackupTests {
    /// Runs a backup of `spool` from a snapshot taken before `meanwhile`, as `opine backup` does.
    static func backup(_ spool: Spool, meanwhile: () throws -> Void) throws -> BackupSummary {
        let directory = spool.root + "/backup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let snapshot = try DatabaseQueue(path: directory + "/snapshot.sqlite3")
        try spool.store.pool.backup(to: snapshot)
        try meanwhile()
        let fd = try ArchiveIO.createExclusive(directory + "/archive.tar", mode: 0o600)
        defer { close(fd) }
        let sources = BackupSources(
            casesDirectory: spool.configuration.casesDirectory, rejectedDirectory: spool.configuration.rejectedDirectory,
            configuration: nil, redactedEndpoints: [])
        let run = BackupRun(writer: ArchiveWriter(fd: fd, display: "archive"), snapshot: snapshot, sources: sources,
                            purgedNow: spool.store.isPurgedNow)
        return try run.write(databasePath: directory + "/snapshot.sqlite3")
    }

    @Test("A case purged after the snapshot is skipped and named, not taken for tampering; a file missing without a purge still stops the backup")
    func purgedDuringBackup() throws {
        let spool = try Spool()
        let id = try RetentionStoreTests.respondedCase(spool)  // its report.pdf is not on disk
        #expect(throws: IntegrityError.self) { try Self.backup(spool) {} }
        var purged = false
        let summary = try Self.backup(spool) {
            purged = try spool.store.tombstoneCase(id, policy: RetentionStoreTests.policy, now: RetentionStoreTests.at(days: 30), actor: "test")
        }
        #expect(purged)
        #expect(summary.skipped == ["case \(id) (purged during the backup)"])
    }
}
