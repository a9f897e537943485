import GRDB
import Foundation

/// One row of `cases`: the case, the patient's request, and where it stands in review.
public struct CaseRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "cases"

    /// Arrival order; the queue sorts by it.
    public var seq: Int64?
    public var id: String
    public var submissionID: String
    /// SHA-256 over the sorted (path, sha256) list of the bundle's files: the same upload sent twice matches.
    public var contentSHA256: String
    public var state: CaseState
    public var priority: Priority
    public var priorityRank: Int
    /// What the symptoms said at intake, kept when triage overrides `priority`.
    public var intakePriority: Priority
    public var assignee: String?
    public var regions: String
    public var symptoms: String
    public var patientName: String
    public var patientDateOfBirth: String
    public var patientEmail: String?
    public var patientPhone: String?
    public var question: String
    public var symptomOnset: String?
    public var priorTreatments: String
    public var submittedAt: String
    public var receivedAt: String
    public var updatedAt: String
    public var findings: String?
    public var withdrawnReason: String?
    public var fileCount: Int
    public var totalBytes: Int64
    /// Bumped by every change; a change made from a stale read is refused as a conflict.
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case seq, id, state, priority, assignee, regions, symptoms, question, findings, version
        case submissionID = "submission_id", contentSHA256 = "content_sha256", priorityRank = "priority_rank"
        case intakePriority = "intake_priority", patientName = "patient_name"
        case patientDateOfBirth = "patient_date_of_birth", patientEmail = "patient_email"
        case patientPhone = "patient_phone", symptomOnset = "symptom_onset", priorTreatments = "prior_treatments"
        case submittedAt = "submitted_at", receivedAt = "received_at", updatedAt = "updated_at"
        case withdrawnReason = "withdrawn_reason", fileCount = "file_count", totalBytes = "total_bytes"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// One file of a stored case, as checked at intake.
public struct CaseFileRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "case_files"
    public var caseID: String
    public var path: String
    public var kind: String
    public var mediaType: String
    public var size: Int64
    /// The SHA-256 the manifest lists (of the bytes the patient sent).
    public var sha256: String
    /// The SHA-256 of the bytes kept, when intake changed them (a DICOM preamble zeroed); nil when they are the same.
    public var storedSHA256: String?

    enum CodingKeys: String, CodingKey {
        case path, kind, size, sha256
        case caseID = "case_id", mediaType = "media_type", storedSHA256 = "stored_sha256"
    }
}

/// The audit trail: every intake, duplicate, rejection, state change, assignment and note.
public struct EventRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "events"
    public var id: Int64?
    public var caseID: String?
    public var at: String
    public var actor: String
    public var type: String
    public var fromState: String?
    public var toState: String?
    /// JSON object: notes, assignment, priority change, rejection id. Free text written by staff only.
    public var detail: String
    /// The audit chain (see `AuditChain`): the previous event's hash, and this one's.
    public var prevHash: String?
    public var hash: String?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, type, detail, hash
        case caseID = "case_id", fromState = "from_state", toState = "to_state", prevHash = "prev_hash"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A notification to send, written in the same transaction as the change it announces.
public struct OutboxRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "outbox"
    public var id: Int64?
    public var type: NotificationType
    public var caseID: String?
    public var rejectionID: Int64?
    public var createdAt: String
    /// `NotificationData` as JSON: the webhook's `data` object as of the change. No patient data.
    public var data: String
    /// `msg_…`, set when the event is fanned out to its endpoints; the same on every attempt to every endpoint.
    public var webhookID: String?

    enum CodingKeys: String, CodingKey {
        case id, type, data
        case caseID = "case_id", rejectionID = "rejection_id", createdAt = "created_at", webhookID = "webhook_id"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension OutboxRecord {
    /// Read by column, not through `Decodable`: the delivery worker decodes thousands a second.
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        type = try row.decode(forColumn: "type")
        caseID = try row.decode(forColumn: "case_id")
        rejectionID = try row.decode(forColumn: "rejection_id")
        createdAt = try row.decode(forColumn: "created_at")
        data = try row.decode(forColumn: "data")
        webhookID = try row.decode(forColumn: "webhook_id")
    }
}

extension NotificationType: DatabaseValueConvertible {}

/// An upload that did not become a case: quarantined with a reason, or removed as a duplicate of an existing case.
public struct RejectionRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "rejections"
    public var id: Int64?
    public var at: String
    /// The upload's name in the drop directory, escaped for display.
    public var uploadName: String
    public var submissionID: String?
    /// A `Rejection.Code`, or `duplicate`.
    public var code: String
    public var message: String
    /// Folder under the spool's `rejected/`; nil for duplicates, whose upload is removed.
    public var quarantine: String?
    public var duplicateOf: String?

    enum CodingKeys: String, CodingKey {
        case id, at, code, message, quarantine
        case uploadName = "upload_name", submissionID = "submission_id", duplicateOf = "duplicate_of"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The response letter sent to the patient, kept with the case.
public struct LetterRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "letters"
    public var id: Int64?
    public var caseID: String
    public var createdAt: String
    public var actor: String
    public var fileName: String
    public var mediaType: String
    public var size: Int64
    public var sha256: String
    public var content: Data

    enum CodingKeys: String, CodingKey {
        case id, actor, size, sha256, content
        case caseID = "case_id", createdAt = "created_at", fileName = "file_name", mediaType = "media_type"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
