import Foundation
import OpineCore
import OpineStore

/// `opine show --json`: the whole case, with its patient, files, review and letters.
struct CaseDetailOutput: Encodable {
    /// The case id.
    var id: String
    /// Where the case stands in review.
    var state: CaseState
    /// The current priority.
    var priority: Priority
    /// The priority the symptoms gave at intake (triage may have changed `priority`).
    var intakePriority: Priority
    /// The assigned reviewer; null when nobody is assigned.
    @OrNull var assignee: String?
    /// The upload's own id, from its manifest.
    var submissionID: String
    /// When the patient submitted, as the manifest says.
    var submittedAt: String
    /// When intake stored the case (ISO 8601, UTC).
    var receivedAt: String
    /// When the case last changed (ISO 8601, UTC).
    var updatedAt: String
    /// When the case is due to leave its state (`[turnaround]`, counted from receipt, later by every wait for the
    /// patient); null once it is final, and while it waits.
    @OrNull var dueAt: String?
    /// The due time has passed (always false for a final case).
    var overdue: Bool
    /// Bumped by every change.
    var version: Int
    /// The body regions the patient asked about.
    var regions: [String]
    /// The symptoms the patient reported.
    var symptoms: [Symptom]
    /// When the symptoms began, in the patient's words; null when not given.
    @OrNull var symptomOnset: String?
    /// Treatments the patient already had.
    var priorTreatments: [String]
    /// The patient's question.
    var question: String
    /// The surgeon's findings; null until reviewed.
    @OrNull var findings: String?
    /// Why the case was withdrawn; null unless it was.
    @OrNull var withdrawnReason: String?
    /// Who the patient is.
    var patient: Patient
    /// The case's folder under the state directory.
    var folder: String
    /// The files intake stored.
    var files: [File]
    /// The response letters sent.
    var letters: [Letter]
    /// The final case this one follows (a re-send with new information after it was closed); null when none.
    @OrNull var relatedCaseID: String?
    /// Re-sends and supplements that brought new information or files, oldest first (docs/bundle-format.md).
    var updates: [Update]
    /// Waiting for the patient, follow-up questions, information requests and addenda.
    var conversation: ConversationOutput?
    /// What the images' headers said (studies, series, unreadable files, the patients they name); null without images.
    var study: StudySummary?
    /// The wrong-patient and spine-protocol checks made from it; null without images.
    var checks: StudyChecks?
    /// The legal hold that keeps the case beyond the purge (`opine hold`); null when none.
    @OrNull var hold: LifecycleHold?
    /// When the purge tombstoned the case's files and scrubbed its patient fields; null while they are kept.
    @OrNull var purgedAt: String?
    /// When the purge removed the case's folder (after `purgedAt`); null until then.
    @OrNull var filesRemovedAt: String?

    /// JSON keys.
    enum CodingKeys: String, CodingKey {
        case id, state, priority, assignee, version, regions, symptoms, question, findings, patient, folder, files, letters
        case updates, conversation, study, checks, hold
        case purgedAt = "purged_at", filesRemovedAt = "files_removed_at"
        case overdue, dueAt = "due_at"
        case intakePriority = "intake_priority", submissionID = "submission_id", submittedAt = "submitted_at"
        case receivedAt = "received_at", updatedAt = "updated_at", symptomOnset = "symptom_onset"
        case priorTreatments = "prior_treatments", withdrawnReason = "withdrawn_reason", relatedCaseID = "related_case_id"
    }

    /// One re-send merged into the case; its manifest is kept in the database.
    struct Update: Encodable {
        /// When it arrived (ISO 8601, UTC).
        var at: String
        /// The submission id it came under.
        var submissionID: String
        /// The upload's name in the drop directory.
        var uploadName: String
        /// The fields it changed (`UpdatedField` codes).
        var changed: [UpdatedField]
        /// `resend` or `supplement`.
        var kind: CaseUpdateRecord.Kind
        /// Its id, which the files it brought name as `supplement_id`.
        var id: Int64?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case at, changed, kind, id
            case submissionID = "submission_id", uploadName = "upload_name"
        }

        /// The update as the store keeps it.
        init(_ update: CaseUpdateRecord) {
            id = update.id
            kind = update.kind
            at = update.at
            submissionID = update.submissionID
            uploadName = update.uploadName
            changed = update.changed
        }
    }

    /// The patient, as the manifest gave them.
    struct Patient: Encodable {
        /// Full name.
        var name: String
        /// Date of birth.
        var dateOfBirth: String
        /// Email address; null when not given.
        @OrNull var email: String?
        /// Phone number; null when not given.
        @OrNull var phone: String?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case name, email, phone
            case dateOfBirth = "date_of_birth"
        }
    }

    /// One stored file of the case.
    struct File: Encodable {
        /// The path inside the bundle.
        var path: String
        /// What the manifest says the file is (such as `imaging`).
        var kind: String
        /// The media type intake checked.
        var mediaType: String
        /// Bytes.
        var size: Int64
        /// The SHA-256 the manifest lists (of the bytes the patient sent).
        var sha256: String
        /// The SHA-256 of the bytes kept, when intake changed them (a DICOM preamble zeroed); null when the same.
        @OrNull var storedSHA256: String?
        /// The supplement (`updates[].id`) the file came with; null for the first submission's files.
        @OrNull var supplementID: Int64?

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case path, kind, size, sha256
            case mediaType = "media_type", storedSHA256 = "stored_sha256", supplementID = "supplement_id"
        }

        /// The file as the store keeps it.
        init(_ file: CaseFileRecord) {
            path = file.path
            kind = file.kind
            mediaType = file.mediaType
            size = file.size
            sha256 = file.sha256
            storedSHA256 = file.storedSHA256
            supplementID = file.supplementID
        }
    }

    /// One stored letter, the response or an addendum's (its content stays in the database; `opine letter` reads it).
    struct Letter: Encodable {
        /// 1 for the first (the response letter), counting in the order stored: what `opine letter --index` takes.
        var index: Int
        /// The letter's file name as given to `opine respond`.
        var fileName: String
        /// `application/pdf` or `text/plain`.
        var mediaType: String
        /// Bytes.
        var size: Int64
        /// The SHA-256 of the letter.
        var sha256: String
        /// When it was recorded (ISO 8601, UTC).
        var createdAt: String
        /// Who recorded it.
        var actor: String

        /// JSON keys.
        enum CodingKeys: String, CodingKey {
            case index, size, sha256, actor
            case fileName = "file_name", mediaType = "media_type", createdAt = "created_at"
        }

        /// The letter as the store keeps it, numbered `index`.
        init(_ letter: LetterRecord, index: Int) {
            self.index = index
            fileName = letter.fileName
            mediaType = letter.mediaType
            size = letter.size
            sha256 = letter.sha256
            createdAt = letter.createdAt
            actor = letter.actor
        }
    }
}

/// Building the output from the store's records.
extension CaseDetailOutput {
    /// The case, its files, letters and updates as the store read them; `folder` is where its files are kept,
    /// `dueAt` when it is due in its state (nil once final), judged overdue at `now`.
    init(
        _ record: CaseRecord, files: [CaseFileRecord], letters: [LetterRecord], updates: [CaseUpdateRecord], folder: String,
        dueAt: Date?, now: Date
    ) {
        id = record.id
        state = record.state
        priority = record.priority
        intakePriority = record.intakePriority
        assignee = record.assignee
        submissionID = record.submissionID
        submittedAt = record.submittedAt
        receivedAt = record.receivedAt
        updatedAt = record.updatedAt
        self.dueAt = dueAt.map(Timestamps.format)
        overdue = dueAt.map { now >= $0 } ?? false
        version = record.version
        regions = record.regions
        symptoms = record.symptoms
        symptomOnset = record.symptomOnset
        priorTreatments = record.priorTreatments
        question = record.question
        findings = record.findings
        withdrawnReason = record.withdrawnReason
        patient = Patient(
            name: record.patientName, dateOfBirth: record.patientDateOfBirth, email: record.patientEmail,
            phone: record.patientPhone)
        self.folder = folder
        self.files = files.map(File.init)
        self.letters = letters.enumerated().map { Letter($1, index: $0 + 1) }
        relatedCaseID = record.relatedCaseID
        study = record.studySummary
        checks = record.studyChecks
        self.updates = updates.map(Update.init)
        hold = record.hold.map(LifecycleHold.init)
        purgedAt = record.purgedAt
        filesRemovedAt = record.filesRemovedAt
    }
}
