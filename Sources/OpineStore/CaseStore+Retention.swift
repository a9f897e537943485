import Foundation
import GRDB
import OpineCore

/// What the purge reads before it decides: final unpurged cases that could be due, and rejections.
public struct RetentionCandidates: Sendable {
    /// Final cases closed early enough to be due under some rule, with what restarts their clocks.
    public var cases: [ClosedCaseFacts] = []
    /// Refused and duplicate uploads rejected early enough to be due.
    public var rejections: [RejectedFolder] = []
}

extension CaseStore {
    /// Events that move a case's conversation on, and so restart its retention clock (`follow_up`: a re-send became a
    /// new case that follows this one). Reads (`access`), the daemon's notices, holds and tombstones do not.
    static let activityTypes: [EventType] = [.respond, .withdraw, .update, .followUp, .followUpQuestion, .filesAdded, .amend, .note]

    /// The candidates `policy` may remove at `now`, read in one snapshot.
    public func retentionCandidates(_ policy: RetentionPolicy, now: Date) throws -> RetentionCandidates {
        try pool.read { db in
            var candidates = RetentionCandidates()
            if let cutoff = policy.closedCutoff(now: now) {
                candidates.cases = try Self.closedCases(db, closedBy: Timestamps.format(cutoff), id: nil)
            }
            if let cutoff = policy.rejectionCutoff(now: now) { candidates.rejections = try Self.dueRejections(db, by: cutoff) }
            return candidates
        }
    }

    /// Final, unpurged cases closed by `closedBy` (or the one case `id`), with their latest activity.
    static func closedCases(_ db: Database, closedBy: String?, id: String?) throws -> [ClosedCaseFacts] {
        let types = activityTypes.map { "'\($0.rawValue)'" }.joined(separator: ",")
        let filter = id == nil ? "closed_at <= ?" : "id = ?"
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, state, closed_at, held_since IS NOT NULL AS held, follow_up_since IS NOT NULL AS follow_up,
                (SELECT max(at) FROM events WHERE events.case_id = cases.id AND type IN (\(types))) AS activity
            FROM cases
            WHERE closed_at IS NOT NULL AND purged_at IS NULL AND state IN ('responded','withdrawn') AND \(filter)
            ORDER BY closed_at
            """, arguments: [id ?? closedBy])
        return rows.compactMap { row in
            guard let state = CaseState(rawValue: row["state"]), let closed = Timestamps.parse(row["closed_at"]) else { return nil }
            let activity = (row["activity"] as String?).flatMap(Timestamps.parse)
            return ClosedCaseFacts(
                id: row["id"], state: state, closedAt: closed, lastActivity: activity, held: row["held"], followUpPending: row["follow_up"])
        }
    }

    /// Writes the tombstones of a case's files and scrubs its patient fields, in one transaction, after asking
    /// `policy` again inside it (the case may have been held or reopened since it was read). Returns false, writing
    /// nothing, when it is no longer due. The files are removed afterwards by the caller (`casesAwaitingRemoval`).
    /// A tombstone names a file by its neutral `PurgedFileName`, which `case_files.path` keeps from then on: the
    /// audit chain can never forget, and bundle files are often named after the patient.
    public func tombstoneCase(_ caseID: String, policy: RetentionPolicy, now: Date, actor: String) throws -> Bool {
        try pool.write { db in
            guard let facts = try Self.closedCases(db, closedBy: nil, id: caseID).first,
                  let removal = policy.decide(facts, now: now) else { return false }
            let at = Timestamps.format(now)
            let files = try CaseFileRecord.filter(CaseFileRecord.Columns.caseID == caseID && CaseFileRecord.Columns.purgedAt == nil)
                .order(CaseFileRecord.Columns.path).fetchAll(db)
            let names = files.enumerated().map { PurgedFileName.of(index: $0.offset + 1, path: $0.element.path) }
            for (file, name) in zip(files, names) {
                let detail = ["file": name, "sha256": file.storedSHA256 ?? file.sha256, "size": "\(file.size)"]
                var event = EventRecord(.tombstone(.caseFile, rule: removal.rule, detail), caseID: caseID, at: at, actor: actor)
                try event.append(db)
            }
            try Self.renamePurgedFiles(db, caseID: caseID, from: files.map(\.path), to: names, at: at)
            let detail = ["files": "\(files.count)", "since": Timestamps.format(removal.since)]
            var event = EventRecord(.tombstone(.patientFields, rule: removal.rule, detail), caseID: caseID, at: at, actor: actor)
            try event.append(db)
            try Self.scrubPatientFields(db, caseID: caseID, at: at)
            return true
        }
    }

    /// Marks the files purged under their neutral names. In two steps, through names no manifest path can have
    /// (absolute: `PathRules` refuses them), so a neutral name that is also another file's original path cannot collide with it.
    static func renamePurgedFiles(_ db: Database, caseID: String, from paths: [String], to names: [String], at: String) throws {
        for (index, path) in paths.enumerated() {
            try db.execute(sql: "UPDATE case_files SET path = ?, purged_at = ? WHERE case_id = ? AND path = ?",
                           arguments: ["/purging-\(index)", at, caseID, path])
        }
        for (index, name) in names.enumerated() {
            try db.execute(sql: "UPDATE case_files SET path = ? WHERE case_id = ? AND path = ?", arguments: [name, caseID, "/purging-\(index)"])
        }
    }

    /// Drops what identifies the patient or was written about them; keeps ids, dates, priority, states, regions,
    /// symptom codes and the images' shape (`StudySummary.purged`). The FTS name index follows `patient_name` through
    /// its trigger; the e-mail and phone indexes are partial on NOT NULL. Upload names become their `UploadDigest`,
    /// as in the logs. Free text in the audit chain (notes, messages) cannot change without breaking it.
    static func scrubPatientFields(_ db: Database, caseID: String, at: String) throws {
        var summary = try String.fetchOne(db, sql: "SELECT study_summary FROM cases WHERE id = ?", arguments: [caseID])
        if let text = summary {
            let decoded = try? JSONDecoder().decode(StudySummary.self, from: Data(text.utf8))
            summary = decoded.flatMap { try? JSONEncoder().encode($0.purged) }.map { String(decoding: $0, as: UTF8.self) }
        }
        try db.execute(sql: """
            UPDATE cases SET patient_name = '', patient_date_of_birth = '', patient_email = NULL, patient_phone = NULL,
                question = '', symptom_onset = NULL, prior_treatments = '[]', findings = NULL, withdrawn_reason = NULL,
                study_summary = ?, purged_at = ?
            WHERE id = ?;
            UPDATE information_requests SET message = '' WHERE case_id = ?;
            UPDATE addenda SET findings = NULL, reason = '' WHERE case_id = ?;
            UPDATE letters SET content = x'', file_name = '' WHERE case_id = ?;
            UPDATE case_updates SET manifest = x'' WHERE case_id = ?;
            UPDATE outbox SET message = NULL WHERE case_id = ?;
            """, arguments: [summary, at, caseID, caseID, caseID, caseID, caseID, caseID])
        let updates = try Row.fetchAll(db, sql: "SELECT id, upload_name FROM case_updates WHERE case_id = ?", arguments: [caseID])
        for row in updates {
            let name: String = row["upload_name"]
            try db.execute(sql: "UPDATE case_updates SET upload_name = ? WHERE id = ?",
                           arguments: [UploadDigest.of(displayedName: name), row["id"] as Int64])
        }
    }

    /// Purged cases whose folder the purge has not confirmed removed yet (a crash between the steps).
    public func casesAwaitingRemoval() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT id FROM cases
                WHERE purged_at IS NOT NULL AND files_removed_at IS NULL ORDER BY purged_at
                """)
        }
    }

    /// Records that a purged case's folder is gone.
    public func markCaseFilesRemoved(_ caseID: String, now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE cases SET files_removed_at = ? WHERE id = ?", arguments: [Timestamps.format(now), caseID])
        }
    }
}
