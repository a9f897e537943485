import Foundation
import GRDB
@testable import OpineCore
@testable import OpineStore
import OpineDaemon
import Logging
import Testing

/// The store's side of the purge on a real database, with the clock given: which closed cases it reads, what restarts
/// their clocks, what a tombstone transaction writes and scrubs, and that a hold taken meanwhile wins.
@Suite("The store's purge: candidates, activity, holds, tombstones and the scrub")
struct RetentionStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let day = 86400.0

    static func at(days: Double) -> Date { t0.addingTimeInterval(days * day) }

    /// One responded case closed at `t0`, with one file row.
    static func respondedCase(_ spool: Spool) throws -> String {
        let id = try #require(try ClockSweepStoreTests.insert(spool, 1, priority: .routine, at: t0, state: .responded).first)
        try spool.store.pool.write { db in
            try db.execute(sql: "UPDATE cases SET closed_at = ?, patient_email = 'jane@example.org', findings = 'L4-5' WHERE id = ?",
                           arguments: [Timestamps.format(t0), id])
            try CaseFileRecord(caseID: id, path: "report.pdf", kind: "radiology_report", mediaType: "application/pdf", size: 3,
                               sha256: "abc", storedSHA256: nil).insert(db)
        }
        return id
    }

    static var policy: RetentionPolicy {
        var policy = RetentionPolicy()
        policy.respondedCases = .after(30 * day)
        return policy
    }

    @Test("A note after the response restarts the clock; a read (access) does not")
    func activityRestartsClock() throws {
        let spool = try Spool()
        let id = try Self.respondedCase(spool)
        try spool.store.recordAccess(.letter, caseID: id, by: DeskActor(name: "coord"), now: Self.at(days: 25))
        #expect(try spool.store.retentionCandidates(Self.policy, now: Self.at(days: 31)).cases.first?.lastActivity == nil)
        try spool.store.addNote("Patient called back", to: id, by: DeskActor(name: "coord"), now: Self.at(days: 20))
        let facts = try #require(try spool.store.retentionCandidates(Self.policy, now: Self.at(days: 40)).cases.first)
        #expect(facts.lastActivity == Self.at(days: 20) && facts.clockStart == Self.at(days: 20))
        #expect(try !spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 49), actor: "test"))
        #expect(try spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 50), actor: "test"))
        #expect(try !spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 51), actor: "test"), "once")
    }

    @Test("A hold taken after the candidates were read still wins: the transaction asks the policy again")
    func holdWins() throws {
        let spool = try Spool()
        let id = try Self.respondedCase(spool)
        #expect(try spool.store.retentionCandidates(Self.policy, now: Self.at(days: 31)).cases.map(\.id) == [id])
        try spool.store.hold(id, reason: "counsel", by: DeskActor(name: "coord"), now: Self.at(days: 31))
        #expect(try !spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 31), actor: "test"))
        try spool.store.release(id, by: DeskActor(name: "coord"), now: Self.at(days: 32))
        #expect(try spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 32), actor: "test"))
        #expect(try spool.store.history(of: id).map(\.type) == [.hold, .release, .purge, .purge])
    }

    @Test("The tombstone transaction writes one event per file and scrubs the patient fields, the name index included")
    func scrub() throws {
        let spool = try Spool()
        let id = try Self.respondedCase(spool)
        #expect(try spool.count("SELECT COUNT(*) FROM cases_search WHERE cases_search MATCH 'jane'") == 1)
        #expect(try spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 30), actor: "test"))
        let record = try spool.store.caseRecord(id)
        #expect(record.patientName == "" && record.patientDateOfBirth == "" && record.patientEmail == nil && record.question == "")
        #expect(record.findings == nil && record.purgedAt == Timestamps.format(Self.at(days: 30)) && record.filesRemovedAt == nil)
        #expect(record.state == .responded && record.receivedAt == Timestamps.format(Self.t0), "the non-patient facts stay")
        #expect(try spool.count("SELECT COUNT(*) FROM cases_search WHERE cases_search MATCH 'jane'") == 0)
        let tombstone = try #require(try spool.store.history(of: id).first)
        #expect(JSONText.decode(tombstone.detail) == ["what": "case_file", "rule": "responded_case", "file": "file-1.pdf", "sha256": "abc", "size": "3"])
        #expect(try spool.store.files(of: id).map(\.path) == ["file-1.pdf"], "the row keeps the neutral name, not the original path")
        #expect(try spool.store.casesAwaitingRemoval() == [id])
        let report = try spool.store.verify(casesDirectory: spool.configuration.casesDirectory)
        #expect(report.isClean, "a tombstoned file is purged, not missing: \(report.problems)")
    }

    @Test("A refused upload's and a duplicate's rows keep only their name's digest; the tombstones name no upload")
    func rejectionScrub() throws {
        let spool = try Spool()
        let name = "Jane Doe DOB 1968-04-02 MRI.pdf"
        let (refused, duplicate) = try spool.store.pool.write { db in
            var refused = RejectionRecord(at: Timestamps.format(Self.t0), uploadName: name, submissionID: nil, code: "not_a_bundle",
                                          message: "\(name) is not a bundle", quarantine: "20261201T132144Z-Jane_Doe", duplicateOf: nil)
            try refused.insert(db)
            var duplicate = RejectionRecord(at: Timestamps.format(Self.t0), uploadName: name + " again", submissionID: "web-1",
                                            code: RejectionRecord.duplicateCode, message: "same as a case", quarantine: nil, duplicateOf: nil)
            try duplicate.insert(db)
            return (try #require(refused.id), try #require(duplicate.id))
        }
        var policy = RetentionPolicy()
        policy.rejectedUploads = .after(0)
        let due = try spool.store.retentionCandidates(policy, now: Self.at(days: 1)).rejections
        #expect(due.map(\.id) == [refused, duplicate], "duplicates are purged under the same rule")
        #expect(try spool.store.tombstoneRejection(due[0], digest: "d", files: 1, bytes: 3, now: Self.at(days: 1), actor: "t"))
        #expect(try spool.store.tombstoneRejection(due[1], digest: nil, files: 0, bytes: 0, now: Self.at(days: 1), actor: "t"))
        #expect(try spool.store.rejectionsAwaitingRemoval().map(\.id) == [refused], "a duplicate has no folder to wait for")
        try spool.store.markRejectionRemoved(refused, now: Self.at(days: 1))
        let rows = try spool.store.pool.read { try RejectionRecord.order(RejectionRecord.Columns.id).fetchAll($0) }
        #expect(rows.map(\.uploadName) == [UploadDigest.of(displayedName: name), UploadDigest.of(displayedName: name + " again")])
        #expect(rows.allSatisfy { $0.message == "" && $0.quarantine == nil && $0.purgedAt != nil && $0.removedAt != nil })
        let details = try spool.store.pool.read { try String.fetchAll($0, sql: "SELECT detail FROM events WHERE type = 'purge'") }
        #expect(details.count == 2 && details.allSatisfy { !$0.contains("Jane") && !$0.contains("Doe") }, "\(details)")
    }

    @Test("Neutral names never collide with a file still to be renamed, and verify matches each tombstone to its row")
    func neutralNamesDoNotCollide() throws {
        let spool = try Spool()
        let id = try Self.respondedCase(spool)
        try spool.store.pool.write { db in
            for path in ["a.pdf", "file-1.pdf"] {
                try CaseFileRecord(caseID: id, path: path, kind: "radiology_report", mediaType: "application/pdf", size: 3,
                                   sha256: path, storedSHA256: nil).insert(db)
            }
        }
        #expect(try spool.store.tombstoneCase(id, policy: Self.policy, now: Self.at(days: 30), actor: "test"))
        let rows = try spool.store.files(of: id).sorted { $0.path < $1.path }
        #expect(rows.map(\.path) == ["file-1.pdf", "file-2.pdf", "file-3.pdf"] && rows.map(\.sha256) == ["a.pdf", "file-1.pdf", "abc"])
        #expect(try spool.store.verify(casesDirectory: spool.configuration.casesDirectory).isClean)
    }

    @Test("A file marked purged without a tombstone is reported by verify")
    func purgedWithoutTombstone() throws {
        let spool = try Spool()
        let id = try Self.respondedCase(spool)
        try spool.store.pool.write { db in try db.execute(sql: "UPDATE case_files SET purged_at = 'x' WHERE case_id = ?", arguments: [id]) }
        let report = try spool.store.verify(casesDirectory: spool.configuration.casesDirectory)
        #expect(report.problems == ["files: \(id)/report.pdf is marked purged but no tombstone in the audit chain records its removal"])
    }
}

/// opined's purge loop on a real store: it purges without waiting a day, and beats while it does.
@Suite("PurgeScheduler: opined's daily purge")
struct PurgeSchedulerTests {
    @Test("The first purge runs after the start delay and removes a due withdrawn case's folder; stop() ends the loop")
    func purgesAndStops() throws {
        let spool = try Spool()
        // The loop purges at the real time, so the case closed a day before it.
        let closed = Date().addingTimeInterval(-86400)
        let id = try #require(try ClockSweepStoreTests.insert(spool, 1, priority: .routine, at: closed, state: .withdrawn).first)
        try spool.store.pool.write { db in
            try db.execute(sql: "UPDATE cases SET closed_at = ? WHERE id = ?", arguments: [Timestamps.format(closed), id])
        }
        let folder = spool.configuration.casesDirectory + "/" + id
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var configuration = spool.configuration
        configuration.retention.withdrawnCases = .after(0)
        let scheduler = PurgeScheduler(
            configuration: configuration, store: spool.store, logger: Logger(label: "test"), heartbeat: Heartbeat(name: "purge"), firstDelay: 0)
        let thread = Thread { try? scheduler.run() }
        thread.start()
        let deadline = Date().addingTimeInterval(20)
        while FileManager.default.fileExists(atPath: folder), Date() < deadline { usleep(20_000) }
        #expect(!FileManager.default.fileExists(atPath: folder))
        scheduler.stop()
        let stopDeadline = Date().addingTimeInterval(20)
        while !thread.isFinished, Date() < stopDeadline { usleep(20_000) }
        #expect(thread.isFinished)
        #expect(try spool.store.caseRecord(id).filesRemovedAt != nil)
    }
}
