import Crypto
import Foundation
import GRDB
import OpineCore

/// The audit trail is a hash chain: each event stores the SHA-256 of its own content and of the event before it, so
/// an altered event no longer matches its hash and a deleted one breaks the link of the next. Triggers refuse UPDATE
/// and DELETE; the chain catches whoever goes around them.
public enum AuditChain {
    /// The `prev_hash` of the first event: sixty-four zeros, since nothing comes before it.
    public static let genesis = String(repeating: "0", count: 64)
    /// `PRAGMA application_id` of an Opine database ("OPNE").
    public static let applicationID: Int32 = 0x4F50_4E45
    /// `PRAGMA user_version` after the newest migration; `opine verify` checks both.
    public static let schemaVersion = 15

    static func hash(_ event: EventRecord, previous: String) -> String {
        let fields = [previous, event.caseID ?? "", event.at, event.actor, event.type.rawValue, event.fromState?.rawValue ?? "",
                      event.toState?.rawValue ?? "", event.detail]
        let digest = SHA256.hash(data: Data(fields.joined(separator: "\u{1F}").utf8))
        return Hex.lowercase(digest)
    }

    static func lastHash(_ db: Database) throws -> String {
        try String.fetchOne(db, sql: "SELECT hash FROM events ORDER BY id DESC LIMIT 1") ?? genesis
    }
}

extension EventRecord {
    /// Inserts the event at the end of the chain. Call inside the write transaction of the change it records.
    mutating func append(_ db: Database) throws {
        prevHash = try AuditChain.lastHash(db)
        hash = AuditChain.hash(self, previous: prevHash!)
        try insert(db)
    }
}

/// What `opine verify` found.
public struct IntegrityReport: Sendable {
    /// What is wrong, one line each, for `opine verify` to print.
    public var problems: [String] = []
    /// How many audit events were checked.
    public var eventsChecked = 0
    /// How many stored case files were re-hashed.
    public var filesChecked = 0
    /// How many bytes of stored files were read.
    public var bytesChecked: Int64 = 0
    /// Nothing wrong was found (`opine verify` exits 0, otherwise 65).
    public var isClean: Bool { problems.isEmpty }
}

extension CaseStore {
    /// Checks the schema identity, the audit chain, and (unless `files` is false) every stored file against the
    /// SHA-256 recorded at intake. Reads only; reports every problem it finds, precisely.
    public func verify(casesDirectory: String, files: Bool = true) throws -> IntegrityReport {
        var report = IntegrityReport()
        try pool.read { db in
            try Self.verifySchema(db, into: &report)
            try Self.verifyChain(db, into: &report)
            if files { try Self.verifyFiles(db, casesDirectory: casesDirectory, into: &report) }
        }
        return report
    }

    private static func verifySchema(_ db: Database, into report: inout IntegrityReport) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        if applicationID != AuditChain.applicationID {
            report.problems.append("schema: application_id is \(applicationID), not Opine's \(AuditChain.applicationID): is this an Opine database?")
        }
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if version != AuditChain.schemaVersion {
            report.problems.append("schema: user_version is \(version); this opine expects \(AuditChain.schemaVersion)")
        }
    }

    /// Every event's hash, and each link to the one before; deletions at the end are found by the highest id written.
    private static func verifyChain(_ db: Database, into report: inout IntegrityReport) throws {
        var previous = AuditChain.genesis
        var previousID: Int64?
        let cursor = try EventRecord.order(EventRecord.Columns.id).fetchCursor(db)
        while let event = try cursor.next() {
            report.eventsChecked += 1
            let id = event.id!
            if event.prevHash != previous {
                report.problems.append(previousID.map {
                    "audit: event \(id) does not follow event \($0) (an event between them was deleted, or the chain was rewritten)"
                } ?? "audit: event \(id), the first, does not start the chain (events before it were deleted)")
            }
            if event.hash != AuditChain.hash(event, previous: event.prevHash ?? "") {
                report.problems.append("audit: event \(id) (\(event.type.rawValue)\(event.caseID.map { " of \($0)" } ?? "")) was altered after it was written")
            }
            previous = event.hash ?? ""
            previousID = id
        }
        // AUTOINCREMENT remembers the highest id ever written, so events cut from the end are found too.
        let highest = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
        if highest > (previousID ?? 0) {
            report.problems.append("audit: events after event \(previousID ?? 0) were deleted (the highest event written was \(highest))")
        }
    }

    private static func verifyFiles(_ db: Database, casesDirectory: String, into report: inout IntegrityReport) throws {
        let records = try CaseFileRecord.order(CaseFileRecord.Columns.caseID, CaseFileRecord.Columns.path).fetchCursor(db)
        while let file = try records.next() {
            if file.purgedAt != nil {
                try verifyPurged(db, file, into: &report)
                continue
            }
            report.filesChecked += 1
            let path = casesDirectory + "/" + file.caseID + "/" + file.path
            switch sha256(ofFileAt: path) {
            case .none:
                report.problems.append("files: \(file.caseID)/\(file.path.escapedForDisplay) is missing or unreadable")
            case .some((let digest, let size)):
                report.bytesChecked += size
                if digest != file.storedSHA256 ?? file.sha256 {
                    report.problems.append("files: \(file.caseID)/\(file.path.escapedForDisplay) does not match the SHA-256 recorded at intake")
                }
            }
        }
    }

    /// The SHA-256 and size of a stored file, read in chunks; nil when it cannot be read.
    package static func sha256(ofFileAt path: String) -> (String, Int64)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (Hex.lowercase(hasher.finalize()), size)
    }
}
