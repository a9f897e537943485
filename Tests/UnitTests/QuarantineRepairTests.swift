import Foundation
import GRDB
@testable import OpineCore
@testable import OpineIntake
@testable import OpineStore
import Testing

/// Start-up repair records a quarantine folder whose row was lost from its reason.json, and announces it: what it
/// records must name one refusal everywhere and carry nothing the file should not hold, whoever wrote the file.
@Suite("Start-up repair of quarantine folders: fresh ids, agreement, nothing trusted unchecked")
struct QuarantineRepairTests {
    /// A spool holding the quarantine folders of `names`, each refused (manifest version 2) and recorded.
    static func quarantined(_ names: [String]) throws -> (spool: Spool, folders: [String]) {
        let spool = try Spool()
        for name in names {
            try spool.dropBundle(name, broken: true)
            #expect(spool.intake.take(name) == .rejected(.unsupportedVersion))
        }
        let folders = spool.entries(spool.configuration.rejectedDirectory)
        #expect(folders.count == names.count)
        return (spool, folders)
    }

    /// Loses the row of the refusal recorded for `folder`, with its notification, as a lost write would.
    static func loseRow(of folder: String, in spool: Spool) throws {
        try spool.store.pool.write { db in
            let id = try Int64.fetchOne(db, sql: "SELECT id FROM rejections WHERE quarantine = ?", arguments: [folder])
            try db.execute(sql: """
                DELETE FROM deliveries WHERE outbox_id IN (SELECT id FROM outbox WHERE rejection_id = ?);
                DELETE FROM outbox WHERE rejection_id = ?;
                DELETE FROM rejections WHERE id = ?;
                """, arguments: [id, id, id])
        }
    }

    static func reason(_ folder: String, in spool: Spool) throws -> QuarantineReason {
        let path = spool.configuration.rejectedDirectory + "/" + folder + "/" + QuarantineReason.fileName
        return try JSONDecoder().decode(QuarantineReason.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func writeReason(_ json: String, _ folder: String, in spool: Spool) throws {
        let path = spool.configuration.rejectedDirectory + "/" + folder + "/" + QuarantineReason.fileName
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Every quarantine folder's reason.json, row and `bundle.rejected` notification name the same valid id, and no
    /// two refusals share one. Returns the ids by folder.
    @discardableResult
    static func checkAgreement(_ spool: Spool) throws -> [String: String] {
        let rows = try spool.store.rejections(limit: 100)
        let outbox = try spool.store.outbox().filter { $0.type == .bundleRejected }
        var ids: [String: String] = [:]
        for folder in spool.entries(spool.configuration.rejectedDirectory) {
            let row = try #require(rows.first { $0.quarantine == folder }, "\(folder) has no row")
            let id = try #require(row.publicID, "\(folder)'s row has no id")
            #expect(RejectionID.isValid(id), "\(id)")
            #expect(try reason(folder, in: spool).rejectionID == id, "\(folder): reason.json and the row differ")
            let announced = try #require(outbox.first { $0.rejectionID == row.id }, "\(folder) was not announced")
            #expect(try NotificationData.decode(announced.data).rejectionID == id, "\(folder): the webhook and the row differ")
            ids[folder] = id
        }
        #expect(Set(ids.values).count == ids.count, "two refusals share an id: \(ids)")
        return ids
    }

    @Test("A copied quarantine folder gets its own id, a lost row is recorded again under its id, and all agree")
    func copiedAndLost() throws {
        let (spool, folders) = try Self.quarantined(["bad-1", "bad-2"])
        let before = try Self.checkAgreement(spool)
        let copy = folders[0] + "-copy"
        let rejected = spool.configuration.rejectedDirectory
        try FileManager.default.copyItem(atPath: rejected + "/" + folders[0], toPath: rejected + "/" + copy)
        try Self.loseRow(of: folders[1], in: spool)

        try spool.intake.prepare()
        let after = try Self.checkAgreement(spool)
        #expect(after.count == 3)
        #expect(try spool.count("SELECT count(*) FROM rejections") == 3)
        #expect(after[folders[0]] == before[folders[0]] && after[copy] != before[folders[0]], "the copy gets a new id")
        #expect(after[folders[1]] == before[folders[1]], "a lost row keeps the id its uploader may already have seen")
        try spool.intake.prepare()
        #expect(try Self.checkAgreement(spool) == after, "a second start changes nothing")
        try Self.checkAudit(spool, names: after)
    }

    /// Each refusal's audit event names it by its public id beside its row number, and the chain still verifies.
    static func checkAudit(_ spool: Spool, names ids: [String: String]) throws {
        let audited = try spool.store.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT json_extract(e.detail, '$.public_id') AS public_id, json_extract(e.detail, '$.rejection_id') AS row,
                       r.id AS id, r.quarantine AS quarantine
                FROM events e JOIN rejections r ON CAST(json_extract(e.detail, '$.rejection_id') AS INTEGER) = r.id
                WHERE e.type = 'rejection'
                """)
        }
        #expect(audited.count == ids.count)
        for event in audited {
            let folder: String = event["quarantine"]
            #expect(event["public_id"] as String? == ids[folder], "\(folder): the audit event names another id")
            #expect(event["row"] as String? == String(event["id"] as Int64))
        }
        let report = try spool.store.verify(casesDirectory: spool.configuration.casesDirectory)
        #expect(report.isClean, "\(report.problems)")
    }

    @Test("A reason.json holding patient text in its id, field, submission id and entry is recorded with none of it")
    func hostileReason() throws {
        let (spool, folders) = try Self.quarantined(["bad"])
        try Self.loseRow(of: folders[0], in: spool)
        try Self.writeReason(#"""
            {"at": "2026-12-01T10:00:00.000Z", "code": "unsupported_version", "message": "manifest.json: version must be 1",
             "upload": "bad", "rejection_id": "Jane Doe 1968-04-02", "field": "patient.Jane Doe 1968-04-02",
             "submission_id": "Jane Doe 1968-04-02", "entry": "MRI/\u0007Jane"}
            """#, folders[0], in: spool)

        try spool.intake.prepare()
        let ids = try Self.checkAgreement(spool)
        #expect(ids.count == 1)
        let row = try #require(try spool.store.rejections(limit: 1).first)
        #expect(row.field == "patient" && row.submissionID == nil && row.entry == "MRI/\\u{7}Jane")
        let stored = try Self.reason(folders[0], in: spool)
        #expect(stored.field == row.field && stored.submissionID == nil && stored.entry == row.entry, "written back")
        let announced = try spool.store.outbox().map(\.data).joined()
        let audited = try spool.store.pool.read { db in try String.fetchAll(db, sql: "SELECT detail FROM events") }.joined()
        for text in [announced, audited, spool.logs.lines.joined(separator: "\n")] {
            #expect(!text.contains("Doe") && !text.contains("1968"), "\(text)")
        }
    }

    @Test("A reason.json from before rejection ids gets one; one with an unknown code is judged again")
    func oldAndUnknown() throws {
        let (spool, folders) = try Self.quarantined(["old", "odd"])
        for folder in folders { try Self.loseRow(of: folder, in: spool) }
        let old = #"{"at": "2026-12-01T10:00:00.000Z", "code": "unsupported_version", "message": "m", "upload": "old"}"#
        try Self.writeReason(old, folders[1], in: spool)
        try Self.writeReason(old.replacingOccurrences(of: "unsupported_version", with: "Jane Doe"), folders[0], in: spool)

        try spool.intake.prepare()
        #expect(spool.entries(spool.configuration.rejectedDirectory) == [folders[1]])
        #expect(try Self.checkAgreement(spool).count == 1)
        #expect(spool.entries(spool.configuration.dropDirectory) == [folders[0]], "the upload is back, to be judged again")
    }
}
