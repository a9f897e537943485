import Foundation
import GRDB
import OpineCore

/// One row of `cases`: the case, the patient's request, and where it stands in review.
public struct CaseRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// The SQLite table the records live in.
    public static let databaseTableName = "cases"

    /// Arrival order; the queue sorts by it.
    public var seq: Int64?
    /// The case id, `C-<UTC day>-<counter>` such as `C-20261126-0007`.
    public var id: String
    /// The uploader's submission id; a second upload with the same id is a duplicate.
    public var submissionID: String
    /// SHA-256 over the sorted (path, sha256) list of the bundle's files: the same upload sent twice matches.
    public var contentSHA256: String
    /// Where the case is in review.
    public var state: CaseState
    /// The current priority, from the symptoms or as triage set it.
    public var priority: Priority
    /// `priority.rank`, stored so queues sort by an index.
    public var priorityRank: Int
    /// What the symptoms said at intake, kept when triage overrides `priority`.
    public var intakePriority: Priority
    /// The reviewer assigned at triage, if any.
    public var assignee: String?
    /// Stored as JSON arrays (migration `v7-json-arrays`).
    public var regions: [String]
    /// The manifest's symptom codes, in its order.
    public var symptoms: [Symptom]
    /// The patient's name; shown to staff and sent only to `include_contact` endpoints, never logged.
    public var patientName: String
    /// The patient's birth date (`YYYY-MM-DD`); shown to staff, never sent in any webhook.
    public var patientDateOfBirth: String
    /// The patient's email address, if given.
    public var patientEmail: String?
    /// The patient's phone number, if given.
    public var patientPhone: String?
    /// The patient's question to the surgeon.
    public var question: String
    /// When the symptoms began (`YYYY-MM-DD`), if the patient said.
    public var symptomOnset: String?
    /// Treatments the patient has already tried.
    public var priorTreatments: [String]
    /// When the patient submitted, as the manifest said (RFC 3339).
    public var submittedAt: String
    /// When opined stored the case (RFC 3339).
    public var receivedAt: String
    /// When the case last changed (RFC 3339).
    public var updatedAt: String
    /// The surgeon's findings, recorded by the review.
    public var findings: String?
    /// Why the case was withdrawn, if it was.
    public var withdrawnReason: String?
    /// How many files the case holds.
    public var fileCount: Int
    /// The bytes of all its files together.
    public var totalBytes: Int64
    /// Bumped by every change; a change made from a stale read is refused as a conflict.
    public var version: Int
    /// The final case this one follows: a re-send with new information after that case was closed.
    public var relatedCaseID: String?
    /// SHA-256 of the `manifest.json` the case was made from; nil for cases stored before migration v9.
    public var manifestSHA256: String? = nil
    /// The state whose `case.overdue` the clock sweep sent, if any (migration `v10-turnaround-clocks`); a new case
    /// starts with none, so intake need not set it.
    public var overdueNotifiedState: CaseState? = nil
    /// When the clock sweep last announced this untriaged emergency again (RFC 3339); nil before the first time.
    public var emergencyAnnouncedAt: String? = nil
    /// When the turnaround clock started (RFC 3339): the receipt, moved later by each wait for the patient, so due
    /// times leave out the time the practice waited (migration `v11-conversation`).
    public var clockStartedAt: String = ""
    /// While waiting for the patient: the state a supplement returns the case to.
    public var awaitingReturnState: CaseState? = nil
    /// While waiting for the patient: since when (RFC 3339).
    public var awaitingSince: String? = nil
    /// When `case.information_reminder` went out for the current request, if it did.
    public var informationRemindedAt: String? = nil
    /// A responded case's follow-up question that no addendum has answered yet: when it arrived.
    public var followUpSince: String? = nil
    /// Since when a red flag the patient reported past triage waits for someone to act on the case.
    public var redFlagSince: String? = nil
    /// When the case became responded or withdrawn; nil while open.
    public var closedAt: String? = nil
    /// What the images' headers said (migration `v13-study-summary`); nil when the case has no DICOM files.
    public var studySummary: StudySummary? = nil
    /// The wrong-patient and spine-protocol checks made from it.
    public var studyChecks: StudyChecks? = nil
    /// What the checks flagged; nil (not empty) when nothing, so the flagged index holds only flagged cases.
    public var flags: [CaseFlag]? = nil
    /// Under legal hold since (RFC 3339; migration `v14-lifecycle`): the purge leaves the case alone until released.
    public var heldSince: String? = nil
    /// Who put the hold on.
    public var heldBy: String? = nil
    /// Why the case is held, as given to `opine hold`.
    public var holdReason: String? = nil
    /// When the purge wrote the case's tombstones and scrubbed its patient fields.
    public var purgedAt: String? = nil
    /// When the purge removed the case's folder (after `purgedAt`; a crash between them is finished by the next).
    public var filesRemovedAt: String? = nil

    /// The table's columns: the one list that both Codable and queries use.
    public enum CodingKeys: String, CodingKey, ColumnExpression {
        /// Columns named as the properties.
        case seq, id, state, priority, assignee, regions, symptoms, question, findings, version
        /// Columns named as the properties, in snake_case.
        case submissionID = "submission_id", contentSHA256 = "content_sha256", priorityRank = "priority_rank"
        /// Columns named as the properties, in snake_case.
        case intakePriority = "intake_priority", patientName = "patient_name"
        /// Columns named as the properties, in snake_case.
        case patientDateOfBirth = "patient_date_of_birth", patientEmail = "patient_email"
        /// Columns named as the properties, in snake_case.
        case patientPhone = "patient_phone", symptomOnset = "symptom_onset", priorTreatments = "prior_treatments"
        /// Columns named as the properties, in snake_case.
        case submittedAt = "submitted_at", receivedAt = "received_at", updatedAt = "updated_at"
        /// Columns named as the properties, in snake_case.
        case withdrawnReason = "withdrawn_reason", fileCount = "file_count", totalBytes = "total_bytes"
        /// Column names in snake_case.
        case relatedCaseID = "related_case_id", manifestSHA256 = "manifest_sha256"
        /// The clock sweep's record of what it sent (migration `v10-turnaround-clocks`).
        case overdueNotifiedState = "overdue_notified_state", emergencyAnnouncedAt = "emergency_announced_at"
        /// The conversation's columns (migration `v11-conversation`).
        case clockStartedAt = "clock_started_at", awaitingReturnState = "awaiting_return_state", awaitingSince = "awaiting_since"
        /// The conversation's columns (migration `v11-conversation`).
        case informationRemindedAt = "information_reminded_at", followUpSince = "follow_up_since"
        /// Added by `v11-conversation`.
        case redFlagSince = "red_flag_since", closedAt = "closed_at"
        /// Added by `v13-study-summary`.
        case studySummary = "study_summary", studyChecks = "study_checks", flags
        /// Added by `v14-lifecycle`.
        case heldSince = "held_since", heldBy = "held_by", holdReason = "hold_reason", purgedAt = "purged_at"
        /// Added by `v14-lifecycle`.
        case filesRemovedAt = "files_removed_at"
    }

    /// Query columns, GRDB style: `CaseRecord.filter(CaseRecord.Columns.id == caseID)`.
    public typealias Columns = CodingKeys

    /// Takes a summary and runs the checks on it against the case's patient and regions, keeping their flags.
    mutating func check(_ summary: StudySummary?) {
        studySummary = summary
        studyChecks = summary.map { StudyChecks($0, name: patientName, dateOfBirth: patientDateOfBirth, regions: regions) }
        flags = studyChecks.flatMap { $0.flags.isEmpty ? nil : $0.flags }
    }

    /// A new case's clock starts at its receipt unless the caller set it.
    public mutating func willInsert(_ db: Database) throws {
        if clockStartedAt.isEmpty { clockStartedAt = receivedAt }
    }

    /// Keeps the arrival order SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }

    /// What the workflow needs to know of the case.
    public var snapshot: CaseSnapshot {
        CaseSnapshot(
            state: state, priority: priority, assignee: assignee, awaitingReturnState: awaitingReturnState,
            followUpPending: followUpSince != nil)
    }

    /// What the clock sweep needs to know of the case; nil if a stored time cannot be read.
    public var clock: CaseClock? {
        guard let received = Timestamps.parse(clockStartedAt) else { return nil }
        return CaseClock(
            state: state, priority: priority, receivedAt: received, overdueNotifiedState: overdueNotifiedState,
            emergencyAnnouncedAt: emergencyAnnouncedAt.flatMap(Timestamps.parse), awaitingSince: awaitingSince.flatMap(Timestamps.parse),
            informationRemindedAt: informationRemindedAt.flatMap(Timestamps.parse), redFlagSince: redFlagSince.flatMap(Timestamps.parse))
    }

    /// When the case is due in its state under `policy`; nil once it is final, and while it waits for the patient.
    public func dueAt(_ policy: TurnaroundPolicy) -> Date? {
        Timestamps.parse(clockStartedAt).flatMap { policy.dueAt(priority: priority, state: state, receivedAt: $0) }
    }

    /// Takes the values Core decided for a step; the version is bumped by the conditional UPDATE that writes it.
    mutating func apply(_ transition: Transition, at: String) {
        state = transition.to
        priority = transition.priority
        priorityRank = transition.priority.rank
        assignee = transition.assignee
        if let findings = transition.findings { self.findings = findings }
        if let reason = transition.withdrawnReason { withdrawnReason = reason }
        // One reminder per wait: asking again while waiting keeps the wait's start and its reminder.
        if state == .awaitingInformation, transition.from != .awaitingInformation {
            awaitingSince = at
            informationRemindedAt = nil
        }
        if state != .awaitingInformation { resumeClock(at: at) }
        awaitingReturnState = transition.awaitingReturnState
        if !transition.followUpPending {
            followUpSince = nil
        }
        // Any staff action on the case is someone acting on a red flag the patient reported.
        redFlagSince = nil
        if state.isFinal, closedAt == nil { closedAt = at }
        updatedAt = at
    }

    /// Ends a wait for the patient: the clock starts again later by as long as the case waited.
    mutating func resumeClock(at: String) {
        defer { awaitingSince = nil }
        guard let since = awaitingSince.flatMap(Timestamps.parse), let now = Timestamps.parse(at),
              let started = Timestamps.parse(clockStartedAt) else { return }
        clockStartedAt = Timestamps.format(started.addingTimeInterval(max(0, now.timeIntervalSince(since))))
    }
}

extension NotificationData {
    /// A case notification's data as of a change at `at`: ids, state, priority, regions, assignee and times only.
    init(case record: CaseRecord, at: String) {
        self.init(
            caseID: record.id, state: record.state, priority: record.priority, regions: record.regions,
            assignee: record.assignee, submissionID: record.submissionID, receivedAt: record.receivedAt, updatedAt: at)
        flags = record.flags
    }
}
