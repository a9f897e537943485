import Crypto
import Foundation
import GRDB

/// The SQLite database shared by `opined` and every `opine` process: WAL so readers never block the daemon, a busy
/// timeout so writers queue instead of failing, and every change committed together with its audit event and its
/// outbox notification.
public final class CaseStore: Sendable {
    public let pool: DatabasePool
    public let path: String

    public enum OpenMode: Sendable {
        /// The daemon: creates the database and applies migrations.
        case createAndMigrate
        /// The CLI: the database must exist; pending migrations are applied so an upgraded CLI works at once.
        case existing
    }

    public init(path: String, mode: OpenMode) throws {
        if mode == .existing, !FileManager.default.fileExists(atPath: path) {
            throw StoreError.noDatabase(path)
        }
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        configuration.label = "opine"
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        if mode == .createAndMigrate {
            // Members of the service's group (coordinators, reviewers) write through `opine`; SQLite gives the
            // -wal and -shm files the database's mode, so this one chmod covers all three.
            for suffix in ["", "-wal", "-shm"] { _ = chmod(path + suffix, 0o660) }
        }
        try Migrations.migrator.migrate(pool)
    }
}

public enum StoreError: Error, CustomStringConvertible, Sendable {
    case noDatabase(String)
    case caseNotFound(String)
    case conflict(String)
    case refused(WorkflowError)
    case invalidInput(String)
    case notPermitted(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .noDatabase(let path):
            "no database at \(path): check paths.state in the configuration, and start opined once to create it"
        case .caseNotFound(let id):
            "no case \(id.escapedForDisplay); `opine list --all` shows every case id"
        case .conflict(let message): message
        case .refused(let error): error.description
        case .invalidInput(let message): message
        case .notPermitted(let message): message
        case .notFound(let message): message
        }
    }
}

/// A bundle that passed every check and sits fsynced in staging, ready to become a case.
public struct StagedBundle: Sendable {
    public var manifest: Manifest
    public var stagingDirectory: String
    public var uploadName: String
    public var files: [CaseFileRecord]
    public var contentSHA256: String
    public var totalBytes: Int64

    /// One hash over every file's SHA-256 and path, so the same files re-sent under another submission id are found.
    static func contentSHA256(_ files: [(path: String, sha256: String)]) -> String {
        let listing = files.sorted { $0.path < $1.path }.map { "\($0.sha256)  \($0.path)\n" }.joined()
        return Hex.lowercase(SHA256.hash(data: Data(listing.utf8)))
    }
}

public enum IntakeOutcome: Sendable, Equatable {
    case stored(caseID: String, priority: Priority)
    case duplicate(of: String, matchedBy: String)
}

extension CaseStore {
    static let daemonActor = "opined"

    /// The case an upload would duplicate, by submission id first, then by content.
    func existingCase(_ db: Database, submissionID: String, contentSHA256: String?) throws -> (String, String)? {
        if let id = try String.fetchOne(db, sql: "SELECT id FROM cases WHERE submission_id = ?", arguments: [submissionID]) {
            return (id, "submission_id")
        }
        if let contentSHA256,
           let id = try String.fetchOne(db, sql: "SELECT id FROM cases WHERE content_sha256 = ? ORDER BY seq LIMIT 1", arguments: [contentSHA256]) {
            return (id, "content")
        }
        return nil
    }

    /// Cheap check before any byte is copied, so a re-sent bundle costs no I/O.
    public func duplicateOf(submissionID: String) throws -> String? {
        try pool.read { db in try existingCase(db, submissionID: submissionID, contentSHA256: nil)?.0 }
    }

    /// Turns a staged bundle into a case. `place` moves the staged files to their final folder for the new case id;
    /// it runs inside the write transaction, so the case row is committed only after its files are durable.
    public func commitIntake(_ staged: StagedBundle, now: Date, place: (String) throws -> Void) throws -> IntakeOutcome {
        try pool.write { db in
            let at = Timestamps.format(now)
            if let (original, matchedBy) = try existingCase(db, submissionID: staged.manifest.submissionID, contentSHA256: staged.contentSHA256) {
                var rejection = RejectionRecord(
                    at: at, uploadName: staged.uploadName, submissionID: staged.manifest.submissionID, code: "duplicate",
                    message: "duplicate of \(original) (same \(matchedBy == "content" ? "files" : "submission_id")); the upload was removed",
                    quarantine: nil, duplicateOf: original)
                try rejection.insert(db)
                var event = EventRecord(
                    caseID: original, at: at, actor: Self.daemonActor, type: "duplicate",
                    detail: JSONText.object(["matched_by": matchedBy, "rejection_id": rejection.id.map(String.init) ?? ""]))
                try event.append(db)
                return .duplicate(of: original, matchedBy: matchedBy)
            }
            let caseID = try nextCaseID(db, now: now)
            let manifest = staged.manifest
            let priority = manifest.priority
            var record = CaseRecord(
                id: caseID, submissionID: manifest.submissionID, contentSHA256: staged.contentSHA256, state: .received,
                priority: priority, priorityRank: priority.rank, intakePriority: priority, assignee: nil,
                regions: manifest.regions.joined(separator: ","),
                symptoms: manifest.symptoms.map(\.rawValue).joined(separator: ","),
                patientName: manifest.patient.name, patientDateOfBirth: manifest.patient.dateOfBirth,
                patientEmail: manifest.patient.email, patientPhone: manifest.patient.phone, question: manifest.question,
                symptomOnset: manifest.symptomOnset, priorTreatments: manifest.priorTreatments.joined(separator: ","),
                submittedAt: manifest.submittedAt, receivedAt: at, updatedAt: at, findings: nil, withdrawnReason: nil,
                fileCount: staged.files.count, totalBytes: staged.totalBytes, version: 1)
            try place(caseID)
            try record.insert(db)
            for var file in staged.files {
                file.caseID = caseID
                try file.insert(db)
            }
            var detail = ["priority": priority.rawValue, "files": String(staged.files.count)]
            let zeroed = staged.files.filter { $0.storedSHA256 != nil }.count
            if zeroed > 0 { detail["dicom_preambles_zeroed"] = String(zeroed) }
            var event = EventRecord(
                caseID: caseID, at: at, actor: Self.daemonActor, type: "intake", toState: CaseState.received.rawValue,
                detail: JSONText.object(detail))
            try event.append(db)
            // An emergency is announced first, ahead of the routine notice for the same case.
            if priority == .emergency {
                try enqueue(db, .caseEmergency, record, at: at)
            }
            try enqueue(db, .caseReceived, record, at: at)
            try FaultInjection.check(.commit, path)
            return .stored(caseID: caseID, priority: priority)
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
    func caseHolding(submissionID: String, contentSHA256: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT id FROM cases WHERE submission_id = ? AND content_sha256 = ?", arguments: [submissionID, contentSHA256])
        }
    }

    /// Puts a repair made at start-up (after a crash) into the audit trail; it belongs to no case.
    func recordRepair(_ kind: String, _ detail: [String: String], caseID: String? = nil) throws {
        try pool.write { db in
            var event = EventRecord(
                caseID: caseID, at: Timestamps.format(Date()), actor: Self.daemonActor, type: "repair",
                detail: JSONText.object(detail.merging(["repair": kind]) { old, _ in old }))
            try event.append(db)
        }
    }

    /// Whether start-up already recorded this repair for this case.
    func hasRepair(_ kind: String, caseID: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE case_id = ? AND type = 'repair' AND json_extract(detail, '$.repair') = ?)",
                              arguments: [caseID, kind]) ?? false
        }
    }

    /// The most recently stored cases: the only ones an interrupted write could have touched.
    func newestCaseIDs(_ limit: Int) throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT id FROM cases ORDER BY seq DESC LIMIT ?", arguments: [limit]) }
    }

    /// Records a quarantined upload (and its notification). The upload has already been moved aside.
    @discardableResult
    public func recordRejection(_ rejection: RejectionRecord) throws -> Int64 {
        try pool.write { db in
            var rejection = rejection
            try rejection.insert(db)
            var event = EventRecord(
                caseID: nil, at: rejection.at, actor: Self.daemonActor, type: "rejection",
                detail: JSONText.object(["rejection_id": String(rejection.id!), "code": rejection.code]))
            try event.append(db)
            var outbox = OutboxRecord(
                type: .bundleRejected, caseID: nil, rejectionID: rejection.id, createdAt: rejection.at,
                data: NotificationData(rejectionCode: rejection.code, submissionID: rejection.submissionID).encoded())
            try outbox.insert(db)
            try FaultInjection.check(.commit, path)
            return rejection.id!
        }
    }

    /// Quarantine folders that are already recorded, so start-up can record the ones a crash left unrecorded.
    public func recordedQuarantines() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT quarantine FROM rejections WHERE quarantine IS NOT NULL")) }
    }

    /// Every case id, for start-up to find store folders that a crash left without a committed case.
    public func caseIDs(in ids: [String]) throws -> Set<String> {
        try pool.read { db in
            var found = Set<String>()
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[chunk..<min(chunk + 500, ids.count)])
                found.formUnion(try String.fetchAll(db, CaseRecord.select(Column("id")).filter(slice.contains(Column("id")))))
            }
            return found
        }
    }

    func enqueue(_ db: Database, _ type: NotificationType, _ record: CaseRecord, at: String) throws {
        var outbox = OutboxRecord(
            type: type, caseID: record.id, rejectionID: nil, createdAt: at,
            data: NotificationData(case: record, at: at).encoded())
        try outbox.insert(db)
    }
}

/// Small JSON objects of strings for audit details and outbox data, with stable key order.
public enum JSONText {
    public static func object(_ values: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(values)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
