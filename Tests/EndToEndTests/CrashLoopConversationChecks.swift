import Foundation
import GRDB
import OpineCore
import Testing

/// The crash loop's checks of the conversation: supplements, waits for the patient and case folders.
extension CrashLoopTests {
    /// Each supplement added its files to the case of the submission it named, exactly once, and was never
    /// quarantined (it waits for a case that is still coming).
    func checkSupplements(_ dropped: [Dropped], families: [String: [Dropped]], _ db: Database) throws {
        for upload in dropped {
            guard let original = upload.supplements else { continue }
            let family = families.first { $0.value.contains { $0.submissionID == original } }
            let submissions = (family?.value ?? []).map(\.submissionID)
            let caseID = try String.fetchOne(
                db, sql: "SELECT id FROM cases WHERE submission_id IN (\(submissions.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(submissions))
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, case_id FROM case_updates WHERE kind = 'supplement' AND submission_id = ?", arguments: [upload.submissionID])
            #expect(rows.count == 1 && rows.first?["case_id"] == caseID, "\(upload.name) (supplement of \(original)): \(rows) for \(caseID ?? "no case")")
            guard let row = rows.first else { continue }
            let files = try Int.fetchOne(db, sql: "SELECT count(*) FROM case_files WHERE supplement_id = ?", arguments: [row["id"] as Int64])
            #expect(files == upload.files, "\(upload.name) added \(files ?? 0) of its \(upload.files) files")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rejections WHERE upload_name IN (?, ?) AND code <> 'duplicate'", arguments: [upload.name, UploadDigest.of(upload.name)]) == 0)
        }
    }

    /// A case waits for the patient exactly when it has an unanswered request; an answered one names the update
    /// that answered it; no clock starts before its case arrived.
    func checkWaiting(_ db: Database) throws {
        let waiting = Set(try String.fetchAll(db, sql: "SELECT id FROM cases WHERE state = 'awaiting_information'"))
        let unanswered = Set(try String.fetchAll(db, sql: """
            SELECT DISTINCT r.case_id FROM information_requests r JOIN cases c ON c.id = r.case_id
            WHERE r.answered_at IS NULL AND c.state NOT IN ('withdrawn')
            """))
        #expect(waiting == unanswered, "waiting \(waiting.sorted()) but unanswered requests for \(unanswered.sorted())")
        #expect(try Int.fetchOne(db, sql: """
            SELECT count(*) FROM information_requests r LEFT JOIN case_updates u ON u.id = r.answered_by_update
            WHERE r.answered_at IS NOT NULL AND (u.id IS NULL OR u.case_id <> r.case_id)
            """) == 0, "every answered request names the update of its case that answered it")
        #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE clock_started_at < received_at") == 0)
        #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE state = 'awaiting_information' AND awaiting_since IS NULL") == 0)
    }

    /// Every case folder holds exactly its recorded files (and its manifest), each of its recorded size: a
    /// supplement's files renamed in by an attempt that died before its commit are gone.
    func checkCaseFolders(database: DatabaseQueue, sandbox: Sandbox) throws {
        let recorded = try database.read { db in
            Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT case_id, path, size FROM case_files WHERE purged_at IS NULL"), by: { $0["case_id"] as String })
        }
        for (caseID, rows) in recorded {
            let folder = sandbox.state.appendingPathComponent("cases/\(caseID)")
            var present = Set<String>()
            let walker = FileManager.default.enumerator(atPath: folder.path)
            while let path = walker?.nextObject() as? String {
                var info = stat()
                if lstat(folder.path + "/" + path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { present.insert(path) }
            }
            #expect(present == Set(rows.map { $0["path"] as String } + ["manifest.json"]), "\(caseID) holds \(present.sorted())")
            for row in rows {
                let path: String = row["path"]
                let size = (try? FileManager.default.attributesOfItem(atPath: folder.path + "/" + path)[.size] as? Int64) ?? -1
                #expect(size == row["size"], "\(caseID)/\(path) has \(size) bytes")
            }
        }
    }
}
