/// What an audit event records, stored in `events.type`: every intake, duplicate, rejection, start-up repair and
/// staff action has one.
public enum EventType: String, Codable, Sendable, CaseIterable {
    /// Bundle events: a case stored, an upload found to duplicate a case, an upload quarantined, a start-up repair.
    case intake, duplicate, rejection, repair
    /// A re-send brought new information to an open case (`detail.changed` names the fields, never their values).
    case update
    /// A re-send with new information for this final case became the new case `detail.case`.
    case followUp = "follow_up"
    /// A supplement added files (and any new information) to the case (`detail.update_id`, `detail.files`).
    case filesAdded = "files.added"
    /// A patient's question after the response, attached to the responded case until an addendum answers it.
    case followUpQuestion = "follow_up_question"
    /// Staff actions on a case, one per workflow command (`retriage` is a triage of an already triaged case).
    case triage, retriage, review, respond, withdraw
    /// The practice asked the patient for something (`detail.message`, the words sent to the patient).
    case requestInfo = "request_info"
    /// An addendum to the findings or the letter (`detail.reason`, `detail.amended`).
    case amend
    /// The daemon reminded the patient of an information request still unanswered.
    case informationReminder = "information_reminder"
    /// A note added to a triaged case without changing its priority or assignee; announced to no one.
    case note
    /// The daemon's clock sweep: a case passed its due time in its state (`overdue`, once per state), or an
    /// untriaged emergency past its due time was announced again (`reannounce`).
    case overdue, reannounce
    /// Someone read patient data out of the store (a letter, an export of the files, a search by patient data, a backup);
    /// `detail.what` is an `AccessKind`. It moves no case state and announces nothing: it is there for disclosure
    /// accounting, so it never carries the patient data itself (no search text).
    case access
    /// The purge removed something under a retention rule (a tombstone): `detail.what` is a `PurgedKind`,
    /// `detail.rule` a `RetentionRule`, with what was removed and its SHA-256, never patient data.
    case purge
    /// A legal hold put the case beyond the purge (`detail.reason`), or released it.
    case hold, release
}

/// What an `access` event disclosed, stored as its `detail.what`.
public enum AccessKind: String, Codable, Sendable, CaseIterable {
    /// `opine letter`: a stored letter was read out.
    case letter
    /// `opine export`: the case's files were copied out of the store.
    case export
    /// `opine find`: cases were shown because they matched patient data (name, e-mail or phone).
    case search
    /// `opine backup`: every case's files and data, and the quarantined uploads, were copied into an archive.
    /// One event with no case, naming the archive's file, its manifest's SHA-256 and how much it holds.
    case backup
}

/// A repair made at start-up after a crash, stored as `detail.repair` of a `repair` event
/// (docs/reliability.md explains each).
public enum RepairKind: String, Codable, Sendable, CaseIterable {
    /// Leftover staging folders removed; their uploads are still in the drop directory.
    case stagingRemoved = "staging_removed"
    /// `.opine-taken-…` uploads found at start, to be deleted because their cases are committed (`count`).
    case takenUploadRemoved = "taken_upload_removed"
    /// `.opine-taken-…` uploads that stay after that: opined may not delete them (an uploader's folder its group
    /// cannot write) or the disk refused (`count`); named in a warning, recorded again at each start while they stay.
    case takenUploadKept = "taken_upload_kept"
    /// A store folder with no committed case moved to `state/orphaned/`.
    case setAside = "set_aside"
    /// A recent case whose folder is gone, flagged in the log and the case's history.
    case caseFolderMissing = "case_folder_missing"
    /// A set-aside folder deleted because a committed case is proven to hold the same submission and files.
    case copyRemoved = "copy_removed"
    /// A quarantine folder the upload never reached removed, so the upload is judged again.
    case quarantineUnfilledRemoved = "quarantine_unfilled_removed"
    /// A quarantine folder with its upload but no database row, recorded from its `reason.json`.
    case rejectionRecorded = "rejection_recorded"
    /// A quarantine folder without a readable `reason.json`; its upload is moved back to the drop directory.
    case quarantineReturned = "quarantine_returned"
}

/// An audit event as Core decides it; the store adds the time, the actor, the case and the hash chain.
public struct AuditEvent: Sendable, Equatable {
    /// Which kind of event this is, stored in `events.type`.
    public var type: EventType
    /// The case's state before the event; nil for an intake, and for duplicates, rejections and repairs.
    public var fromState: CaseState?
    /// The case's state after the event; nil for duplicates, rejections and repairs, which move no case.
    public var toState: CaseState?
    /// Written as a JSON object of strings with sorted keys.
    public var detail: [String: String]

    /// Makes an event; the states and detail are left empty where the event does not need them.
    public init(type: EventType, fromState: CaseState? = nil, toState: CaseState? = nil, detail: [String: String] = [:]) {
        self.type = type
        self.fromState = fromState
        self.toState = toState
        self.detail = detail
    }

    /// A start-up repair: the kind goes into the detail beside what it touched.
    public static func repair(_ kind: RepairKind, _ detail: [String: String] = [:]) -> AuditEvent {
        AuditEvent(type: .repair, detail: detail.merging(["repair": kind.rawValue]) { old, _ in old })
    }
}
