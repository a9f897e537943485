import Foundation
import GRDB
import OpineCore

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
    /// Stored as JSON arrays (migration `v7-json-arrays`).
    public var regions: [String]
    public var symptoms: [Symptom]
    public var patientName: String
    public var patientDateOfBirth: String
    public var patientEmail: String?
    public var patientPhone: String?
    public var question: String
    public var symptomOnset: String?
    public var priorTreatments: [String]
    public var submittedAt: String
    public var receivedAt: String
    public var updatedAt: String
    public var findings: String?
    public var withdrawnReason: String?
    public var fileCount: Int
    public var totalBytes: Int64
    /// Bumped by every change; a change made from a stale read is refused as a conflict.
    public var version: Int

    /// The table's columns: the one list that both Codable and queries use.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case seq, id, state, priority, assignee, regions, symptoms, question, findings, version
        case submissionID = "submission_id", contentSHA256 = "content_sha256", priorityRank = "priority_rank"
        case intakePriority = "intake_priority", patientName = "patient_name"
        case patientDateOfBirth = "patient_date_of_birth", patientEmail = "patient_email"
        case patientPhone = "patient_phone", symptomOnset = "symptom_onset", priorTreatments = "prior_treatments"
        case submittedAt = "submitted_at", receivedAt = "received_at", updatedAt = "updated_at"
        case withdrawnReason = "withdrawn_reason", fileCount = "file_count", totalBytes = "total_bytes"
    }

    /// Query columns, GRDB style: `CaseRecord.filter(CaseRecord.Columns.id == caseID)`.
    public typealias Columns = CodingKeys

    public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }

    /// What the workflow needs to know of the case.
    public var snapshot: CaseSnapshot { CaseSnapshot(state: state, priority: priority, assignee: assignee) }

    /// Takes the values Core decided for a step; the version is bumped by the conditional UPDATE that writes it.
    mutating func apply(_ transition: Transition, at: String) {
        state = transition.to
        priority = transition.priority
        priorityRank = transition.priority.rank
        assignee = transition.assignee
        if let findings = transition.findings { self.findings = findings }
        if let reason = transition.withdrawnReason { withdrawnReason = reason }
        updatedAt = at
    }
}

extension NotificationData {
    /// A case notification's data as of a change at `at`: ids, state, priority, regions, assignee and times only.
    init(case record: CaseRecord, at: String) {
        self.init(
            caseID: record.id, state: record.state, priority: record.priority, regions: record.regions,
            assignee: record.assignee, submissionID: record.submissionID, receivedAt: record.receivedAt, updatedAt: at)
    }
}
