import Foundation
import GRDB
import OpineCore

/// What intake hands the store to commit: a bundle that passed every check and sits durable in staging.
public struct IntakeCommit: Sendable {
    /// The validated manifest the case is made from.
    public var manifest: Manifest
    /// The upload's name in the drop directory, escaped for display.
    public var uploadName: String
    /// Each stored file as checked, its `caseID` filled in when the case id is known.
    public var files: [CaseFileRecord]
    /// `Admission.contentSHA256` of the listed files.
    public var contentSHA256: String
    /// The bytes of all the listed files together.
    public var totalBytes: Int64

    /// Collects what intake checked and staged.
    public init(manifest: Manifest, uploadName: String, files: [CaseFileRecord], contentSHA256: String, totalBytes: Int64) {
        self.manifest = manifest
        self.uploadName = uploadName
        self.files = files
        self.contentSHA256 = contentSHA256
        self.totalBytes = totalBytes
    }
}

/// What committing an upload came to.
public enum IntakeOutcome: Sendable, Equatable {
    /// A new case, with the priority its symptoms gave it.
    case stored(caseID: String, priority: Priority)
    /// No new case: the upload repeats case `of`, matched by submission id or by identical files.
    case duplicate(of: String, matchedBy: MatchReason)
}

extension CaseStore {
    /// The actor recorded for what the daemon does on its own.
    static let daemonActor = "opined"

    /// The case an upload would duplicate, by submission id first, then by content.
    func existingCase(_ db: Database, submissionID: String, contentSHA256: String?) throws -> (caseID: String, reason: MatchReason)? {
        // Prepared statements: asked once before and once inside every intake.
        let bySubmission = try db.cachedStatement(sql: "SELECT id FROM cases WHERE submission_id = ?")
        if let id = try String.fetchOne(bySubmission, arguments: [submissionID]) { return (id, .submissionID) }
        let byContent = try db.cachedStatement(sql: "SELECT id FROM cases WHERE content_sha256 = ? ORDER BY seq LIMIT 1")
        if let contentSHA256, let id = try String.fetchOne(byContent, arguments: [contentSHA256]) { return (id, .content) }
        return nil
    }

    /// Cheap check before any byte is copied, so a re-sent bundle costs no I/O.
    public func duplicateOf(submissionID: String) throws -> String? {
        try pool.read { db in try existingCase(db, submissionID: submissionID, contentSHA256: nil)?.caseID }
    }

    /// Turns a staged bundle into a case, or records it as a duplicate. `place(caseID)` moves the staged files to
    /// their final folder: it runs inside the write transaction, so the case row is committed only after its files
    /// are durable, and it must only rename (a folder already at the target is the caller's to handle, outside the
    /// transaction). `beforeCommit` runs last inside the transaction (the fault seam of the tests).
    public func commitIntake(
        _ commit: IntakeCommit, now: Date, place: (String) throws -> Void, beforeCommit: () throws -> Void = {}
    ) throws -> IntakeOutcome {
        try pool.write { db in
            let at = Timestamps.format(now)
            let manifest = commit.manifest
            if let (original, reason) = try existingCase(db, submissionID: manifest.submissionID, contentSHA256: commit.contentSHA256) {
                var rejection = RejectionRecord(
                    at: at, uploadName: commit.uploadName, submissionID: manifest.submissionID, code: RejectionRecord.duplicateCode,
                    message: Admission.duplicateMessage(of: original, matchedBy: reason), quarantine: nil, duplicateOf: original)
                try rejection.insert(db)
                let detail = ["matched_by": reason.rawValue, "rejection_id": rejection.id.map(String.init) ?? ""]
                var event = EventRecord(AuditEvent(type: .duplicate, detail: detail), caseID: original, at: at, actor: Self.daemonActor)
                try event.append(db)
                return .duplicate(of: original, matchedBy: reason)
            }
            let caseID = try nextCaseID(db, now: now)
            var record = CaseRecord(commit, id: caseID, at: at)
            let admission = Admission.stored(
                priority: record.priority, fileCount: commit.files.count,
                preamblesZeroed: commit.files.filter { $0.storedSHA256 != nil }.count)
            try place(caseID)
            try record.insert(db)
            for var file in commit.files {
                file.caseID = caseID
                try file.insert(db)
            }
            var event = EventRecord(admission.event, caseID: caseID, at: at, actor: Self.daemonActor)
            try event.append(db)
            for type in admission.notifications { try enqueue(db, type, record, at: at) }
            try beforeCommit()
            return .stored(caseID: caseID, priority: record.priority)
        }
    }

    /// `C-20261126-0007`: the day of arrival in UTC and that day's counter. Sorts by arrival, carries no patient data.
    func nextCaseID(_ db: Database, now: Date) throws -> String {
        let day = Timestamps.compactDay(now)
        try db.execute(
            sql: "INSERT INTO case_counters(day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1",
            arguments: [day])
        let number = try Int.fetchOne(db, sql: "SELECT last FROM case_counters WHERE day = ?", arguments: [day]) ?? 1
        return "C-\(day)-\(String(format: "%04d", number))"
    }

    /// The case that holds exactly these files under this submission id, if one was committed.
    package func caseHolding(submissionID: String, contentSHA256: String) throws -> String? {
        let columns = CaseRecord.Columns.self
        return try pool.read { db in
            try String.fetchOne(db, CaseRecord.select(columns.id)
                .filter(columns.submissionID == submissionID && columns.contentSHA256 == contentSHA256))
        }
    }

    /// Puts a repair made at start-up (after a crash) into the audit trail, before it is made.
    package func recordRepair(_ kind: RepairKind, _ detail: [String: String] = [:], caseID: String? = nil, now: Date = Date()) throws {
        try pool.write { db in
            var event = EventRecord(.repair(kind, detail), caseID: caseID, at: Timestamps.format(now), actor: Self.daemonActor)
            try event.append(db)
        }
    }

    /// Whether start-up already recorded this repair for this case.
    package func hasRepair(_ kind: RepairKind, caseID: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM events WHERE case_id = ? AND type = ? AND json_extract(detail, '$.repair') = ?)
                """, arguments: [caseID, EventType.repair.rawValue, kind.rawValue]) ?? false
        }
    }

    /// The most recently stored cases: the only ones an interrupted write could have touched.
    package func newestCaseIDs(_ limit: Int) throws -> [String] {
        let columns = CaseRecord.Columns.self
        return try pool.read { db in try String.fetchAll(db, CaseRecord.select(columns.id).order(columns.seq.desc).limit(limit)) }
    }

    /// Records a quarantined upload (and its notification). The upload has already been moved aside.
    @discardableResult
    public func recordRejection(_ rejection: RejectionRecord, beforeCommit: () throws -> Void = {}) throws -> Int64 {
        try pool.write { db in
            var rejection = rejection
            try rejection.insert(db)
            let detail = ["rejection_id": String(rejection.id!), "code": rejection.code]
            var event = EventRecord(AuditEvent(type: .rejection, detail: detail), caseID: nil, at: rejection.at, actor: Self.daemonActor)
            try event.append(db)
            var outbox = OutboxRecord(
                type: .bundleRejected, caseID: nil, rejectionID: rejection.id, createdAt: rejection.at,
                data: NotificationData(rejectionCode: rejection.code, submissionID: rejection.submissionID).encoded(),
                priorityRank: FanOutPolicy.rank(of: .bundleRejected, priority: nil))
            try outbox.insert(db)
            try beforeCommit()
            return rejection.id!
        }
    }

    /// Quarantine folders that are already recorded, so start-up can record the ones a crash left unrecorded.
    public func recordedQuarantines() throws -> Set<String> {
        let column = RejectionRecord.Columns.quarantine
        return try pool.read { db in Set(try String.fetchAll(db, RejectionRecord.select(column).filter(column != nil))) }
    }

    /// Which of these ids are committed cases, for start-up to find store folders that a crash left without one.
    public func caseIDs(in ids: [String]) throws -> Set<String> {
        let column = CaseRecord.Columns.id
        return try pool.read { db in
            var found = Set<String>()
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[chunk..<min(chunk + 500, ids.count)])
                found.formUnion(try String.fetchAll(db, CaseRecord.select(column).filter(slice.contains(column))))
            }
            return found
        }
    }

    /// Writes one case notification to the outbox, in the transaction of the change it announces.
    func enqueue(_ db: Database, _ type: NotificationType, _ record: CaseRecord, at: String) throws {
        var outbox = OutboxRecord(
            type: type, caseID: record.id, rejectionID: nil, createdAt: at,
            data: NotificationData(case: record, at: at).encoded(), priorityRank: FanOutPolicy.rank(of: type, priority: record.priority))
        try outbox.insert(db)
    }
}

extension CaseRecord {
    /// A new case from a checked bundle, as received.
    init(_ commit: IntakeCommit, id: String, at: String) {
        let manifest = commit.manifest
        let priority = manifest.priority
        self.init(
            id: id, submissionID: manifest.submissionID, contentSHA256: commit.contentSHA256, state: .received,
            priority: priority, priorityRank: priority.rank, intakePriority: priority, assignee: nil,
            regions: manifest.regions, symptoms: manifest.symptoms,
            patientName: manifest.patient.name, patientDateOfBirth: manifest.patient.dateOfBirth,
            patientEmail: manifest.patient.email, patientPhone: manifest.patient.phone, question: manifest.question,
            symptomOnset: manifest.symptomOnset, priorTreatments: manifest.priorTreatments,
            submittedAt: manifest.submittedAt, receivedAt: at, updatedAt: at, findings: nil, withdrawnReason: nil,
            fileCount: commit.files.count, totalBytes: commit.totalBytes, version: 1)
    }
}
