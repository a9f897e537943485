import Crypto
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
    /// `manifest.json` as received, kept with the case when the upload updates one.
    public var manifestBytes: [UInt8]
    /// What the DICOM files' headers say; nil when the upload has none.
    public var study: StudySummary?

    /// Collects what intake checked and staged.
    public init(
        manifest: Manifest, manifestBytes: [UInt8], uploadName: String, files: [CaseFileRecord], contentSHA256: String, totalBytes: Int64
    ) {
        self.manifest = manifest
        self.manifestBytes = manifestBytes
        self.uploadName = uploadName
        self.files = files
        self.contentSHA256 = contentSHA256
        self.totalBytes = totalBytes
    }
}

/// Where intake must move a staged upload's files, inside the commit's transaction: the store decides, intake renames.
public enum Placement: Sendable, Equatable {
    /// The whole staged folder becomes the new case's folder, `cases/<caseID>`.
    case newCase(caseID: String)
    /// Each staged file (`bundlePath`) goes into the existing case's folder at `storedPath`, overwriting nothing.
    case supplement(caseID: String, files: [FilePlacement])
}

/// What committing an upload came to.
public enum IntakeOutcome: Sendable, Equatable {
    /// A new case, with the priority its symptoms gave it.
    case stored(caseID: String, priority: Priority)
    /// No new case: the upload repeats case `of` exactly (the same submission id, files and information).
    case duplicate(of: String, matchedBy: MatchReason)
    /// The upload's new information was merged into an open case, now at `priority`.
    case updated(caseID: String, priority: Priority, changes: [UpdatedField])
    /// Nothing was written: the upload must be quarantined for this reason.
    case conflict(Rejection)
}

extension CaseStore {
    /// The actor recorded for what the daemon does on its own.
    static let daemonActor = "opined"

    /// The case an upload would re-send: the newest with its submission id, else the newest with the same files.
    func matchingCase(_ db: Database, submissionID: String, contentSHA256: String) throws -> CaseRecord? {
        // Prepared statements: asked once before and once inside every intake.
        let bySubmission = try db.cachedStatement(sql: "SELECT * FROM cases WHERE submission_id = ? ORDER BY seq DESC LIMIT 1")
        if let record = try CaseRecord.fetchOne(bySubmission, arguments: [submissionID]) { return record }
        let byContent = try db.cachedStatement(sql: "SELECT * FROM cases WHERE content_sha256 = ? ORDER BY seq DESC LIMIT 1")
        return try CaseRecord.fetchOne(byContent, arguments: [contentSHA256])
    }

    /// Turns a staged bundle into a case, merges it into the case it re-sends, or records it as a duplicate: a group
    /// of one (`commitIntakeGroup`). `place(caseID)` renames the staged files into their case's folder.
    public func commitIntake(
        _ commit: IntakeCommit, now: Date, place: (Placement) throws -> Void, beforeCommit: () throws -> Void = {}
    ) throws -> IntakeOutcome {
        try commitIntakeGroup([commit], now: now, place: { try place($1) }, beforeCommit: beforeCommit)[0]
    }

    /// Commits several staged bundles in one transaction (a burst of small uploads), each decided on its own as if
    /// committed alone, in order, so a later one sees an earlier one's case. `place(index, caseID)` moves the staged
    /// files of `commits[index]` to their case's folder: it runs inside the write transaction, so a case row is
    /// committed only after its files are durable, and it must only rename (a folder already at the target is the
    /// caller's to handle, outside the transaction). `afterPlacing` runs once, after the last rename (making the
    /// renames durable); `beforeCommit` last (the fault seam of the tests). If the transaction fails, at any point
    /// up to and including its commit, `undoPlacing(error)` runs while this process still holds the writer: the case ids
    /// just rolled back are handed out again by the next transaction (another lane's), which must not find these
    /// folders at its targets.
    public func commitIntakeGroup(
        _ commits: [IntakeCommit], now: Date, place: (Int, Placement) throws -> Void, afterPlacing: () throws -> Void = {},
        beforeCommit: () throws -> Void = {}, undoPlacing: (Error) -> Void = { _ in }
    ) throws -> [IntakeOutcome] {
        try pool.writeWithoutTransaction { db in
            var outcomes: [IntakeOutcome] = []
            var placed = false
            do {
                try db.inTransaction(.immediate) {
                    outcomes = try commits.enumerated().map { index, commit in
                        try commitOne(db, commit, now: now, place: {
                            try place(index, $0)
                            placed = true
                        })
                    }
                    if placed { try afterPlacing() }
                    try beforeCommit()
                    return .commit
                }
                return outcomes
            } catch {
                undoPlacing(error)
                throw error
            }
        }
    }

    private func commitOne(_ db: Database, _ commit: IntakeCommit, now: Date, place: (Placement) throws -> Void) throws -> IntakeOutcome {
        let at = Timestamps.format(now)
        let manifest = commit.manifest
        if manifest.supplements != nil { return try commitSupplement(db, commit, at: at, place: place) }
        var related: CaseRecord?
        if let current = try matchingCase(db, submissionID: manifest.submissionID, contentSHA256: commit.contentSHA256) {
            let known = try holdsManifest(db, commit.manifestBytes, case: current)
            switch Resend.decide(manifest, contentSHA256: commit.contentSHA256, against: current.information, knownManifest: known) {
            case .duplicate(let original, let reason):
                try recordDuplicate(db, commit, of: original, matchedBy: reason, at: at)
                return .duplicate(of: original, matchedBy: reason)
            case .conflict(let rejection):
                return .conflict(rejection)
            case .update(let update):
                let record = try applyUpdate(db, update, to: current, from: commit, at: at)
                return .updated(caseID: record.id, priority: record.priority, changes: update.changes)
            case .newCase:
                related = current
            }
        }
        let caseID = try storeCase(db, commit, related: related, at: at, now: now, place: place)
        return .stored(caseID: caseID, priority: manifest.priority)
    }

    func recordDuplicate(_ db: Database, _ commit: IntakeCommit, of original: String, matchedBy reason: MatchReason, at: String) throws {
        var rejection = RejectionRecord(
            at: at, uploadName: commit.uploadName, submissionID: commit.manifest.submissionID, code: RejectionRecord.duplicateCode,
            message: Admission.duplicateMessage(of: original, matchedBy: reason), quarantine: nil, duplicateOf: original)
        try rejection.insert(db)
        let detail = ["matched_by": reason.rawValue, "rejection_id": rejection.id.map(String.init) ?? ""]
        var event = EventRecord(AuditEvent(type: .duplicate, detail: detail), caseID: original, at: at, actor: Self.daemonActor)
        try event.append(db)
    }

    /// Inserts a new case with its files, event and notifications; a case that follows a final one names it, and
    /// that case's history records the follow-up.
    private func storeCase(
        _ db: Database, _ commit: IntakeCommit, related: CaseRecord?, at: String, now: Date, place: (Placement) throws -> Void
    ) throws -> String {
        let caseID = try nextCaseID(db, now: now)
        guard var record = CaseRecord(commit, id: caseID, at: at) else {
            throw StoreError.invalidInput("manifest.json: a submission needs its patient, consent and question")
        }
        record.relatedCaseID = related?.id
        record.manifestSHA256 = Hex.lowercase(SHA256.hash(data: commit.manifestBytes))
        record.check(commit.study)
        var admission = Admission.stored(
            priority: record.priority, fileCount: commit.files.count,
            preamblesZeroed: commit.files.filter { $0.storedSHA256 != nil }.count)
        if let related { admission.event.detail["related_case"] = related.id }
        if let checks = record.studyChecks { admission.event.detail.merge(checks.detail) { old, _ in old } }
        try place(.newCase(caseID: caseID))
        try record.insert(db)
        for var file in commit.files {
            file.caseID = caseID
            try file.insert(db)
        }
        var event = EventRecord(admission.event, caseID: caseID, at: at, actor: Self.daemonActor)
        try event.append(db)
        if let related {
            var followUp = EventRecord(AuditEvent(type: .followUp, detail: ["case": caseID]), caseID: related.id, at: at, actor: Self.daemonActor)
            try followUp.append(db)
        }
        for type in admission.notifications {
            try enqueue(db, type, record, at: at) { $0.relatedCaseID = related?.id }
        }
        return caseID
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

    /// The committed case that holds exactly these files and this manifest: under this submission id, or with
    /// these exact manifest bytes (its own, or a re-send's merged into it, whose files are the case's).
    package func caseHolding(submissionID: String, contentSHA256: String, manifest: [UInt8]) throws -> String? {
        let columns = CaseRecord.Columns.self
        return try pool.read { db in
            if let id = try String.fetchOne(db, CaseRecord.select(columns.id)
                .filter(columns.submissionID == submissionID && columns.contentSHA256 == contentSHA256)) {
                return id
            }
            for record in try CaseRecord.filter(columns.contentSHA256 == contentSHA256).fetchAll(db)
            where try holdsManifest(db, manifest, case: record) {
                return record.id
            }
            return nil
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

    /// The most recently stored cases: the only ones an interrupted write could have touched. Purged cases are left
    /// out: their folders are gone on purpose.
    package func newestCaseIDs(_ limit: Int) throws -> [String] {
        let columns = CaseRecord.Columns.self
        return try pool.read { db in
            try String.fetchAll(db, CaseRecord.select(columns.id).filter(columns.purgedAt == nil).order(columns.seq.desc).limit(limit))
        }
    }

    /// Records a quarantined upload (and its notification). The upload has already been moved aside.
    @discardableResult
    public func recordRejection(_ rejection: RejectionRecord, beforeCommit: () throws -> Void = {}) throws -> Int64 {
        try pool.write { db in
            var rejection = rejection
            try rejection.insert(db)
            // `rejection_id` is the row (as in every event since the first); `public_id` the id the refusal is
            // known by elsewhere (webhook, reason.json, `opine rejected`), when it has one.
            var detail = ["rejection_id": String(rejection.id!), "code": rejection.code]
            detail["public_id"] = rejection.publicID
            var event = EventRecord(AuditEvent(type: .rejection, detail: detail), caseID: nil, at: rejection.at, actor: Self.daemonActor)
            try event.append(db)
            var outbox = OutboxRecord(
                type: .bundleRejected, caseID: nil, rejectionID: rejection.id, createdAt: rejection.at,
                data: NotificationData(
                    rejectionCode: rejection.code, submissionID: rejection.submissionID, rejectionID: rejection.publicID,
                    uploadDigest: UploadDigest.of(displayedName: rejection.uploadName), entry: rejection.entry,
                    field: rejection.field).encoded(),
                priorityRank: FanOutPolicy.rank(of: .bundleRejected, priority: nil))
            try outbox.insert(db)
            try beforeCommit()
            return rejection.id!
        }
    }

    /// Whether a refusal already has this `RejectionID` (`rejections.public_id`).
    public func holdsRejectionID(_ id: String) throws -> Bool {
        try pool.read { db in try RejectionRecord.filter(RejectionRecord.Columns.publicID == id).fetchCount(db) > 0 }
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

    /// Writes one case notification to the outbox, in the transaction of the change it announces; `adjust` adds what
    /// only this kind of notification carries; `message` is words for the patient, sent only where contact is.
    func enqueue(
        _ db: Database, _ type: NotificationType, _ record: CaseRecord, at: String, message: String? = nil,
        adjust: (inout NotificationData) -> Void = { _ in }
    ) throws {
        var data = NotificationData(case: record, at: at)
        adjust(&data)
        var outbox = OutboxRecord(
            type: type, caseID: record.id, rejectionID: nil, createdAt: at,
            data: data.encoded(), priorityRank: FanOutPolicy.rank(of: type, priority: record.priority), message: message)
        try outbox.insert(db)
    }
}

extension CaseRecord {
    /// A new case from a checked bundle, as received; nil for a supplement without the patient, consent or
    /// question a case needs (the manifest rules make every submission have them).
    init?(_ commit: IntakeCommit, id: String, at: String) {
        let manifest = commit.manifest
        guard let patient = manifest.patient, manifest.consentSignedAt != nil, let question = manifest.question else { return nil }
        let priority = manifest.priority
        self.init(
            id: id, submissionID: manifest.submissionID, contentSHA256: commit.contentSHA256, state: .received,
            priority: priority, priorityRank: priority.rank, intakePriority: priority, assignee: nil,
            regions: manifest.regions, symptoms: manifest.symptoms,
            patientName: patient.name, patientDateOfBirth: patient.dateOfBirth,
            patientEmail: patient.email, patientPhone: patient.phone, question: question,
            symptomOnset: manifest.symptomOnset, priorTreatments: manifest.priorTreatments,
            submittedAt: manifest.submittedAt, receivedAt: at, updatedAt: at, findings: nil, withdrawnReason: nil,
            fileCount: commit.files.count, totalBytes: commit.totalBytes, version: 1)
        clockStartedAt = at
    }
}
