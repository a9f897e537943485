/// What a case holds that a re-sent manifest may change: the patient's information as last received (with sets
/// merged), its state and priority. The store fills it from the case's row.
public struct CaseInformation: Sendable, Equatable {
    /// The case's id, for the linked case and the messages.
    public var caseID: String
    /// The submission id the case was stored under.
    public var submissionID: String
    /// `Admission.contentSHA256` of the case's files.
    public var contentSHA256: String
    /// Where the case is in review; a final case is never reopened.
    public var state: CaseState
    /// The case's priority now (intake's or triage's).
    public var priority: Priority
    /// The patient and request as the case holds them.
    public var patient: Manifest.Patient
    /// The spine regions, merged over every upload.
    public var regions: [String]
    /// The symptoms, merged over every upload.
    public var symptoms: [Symptom]
    /// The latest question.
    public var question: String
    /// The latest onset.
    public var symptomOnset: String?
    /// The prior treatments, merged over every upload.
    public var priorTreatments: [String]
    /// For a case waiting for the patient: the state new information returns it to.
    public var awaitingReturnState: CaseState?
    /// A responded case has a patient's question that an addendum has not answered yet.
    public var followUpPending: Bool
    /// A red flag the patient reported (new emergency symptoms on a case past triage, or in a follow-up to a
    /// responded one) that no one has acted on yet: announced again each interval until a staff action.
    public var redFlagPending: Bool
    /// The purge removed its files and patient fields: like a withdrawn case, it takes nothing more (a re-send
    /// becomes a new case, a supplement is refused), since whatever it took would never be purged.
    public var purged = false

    /// Describes a case as the store read it.
    public init(
        caseID: String, submissionID: String, contentSHA256: String, state: CaseState, priority: Priority,
        patient: Manifest.Patient, regions: [String], symptoms: [Symptom], question: String, symptomOnset: String?,
        priorTreatments: [String], awaitingReturnState: CaseState? = nil, followUpPending: Bool = false,
        redFlagPending: Bool = false
    ) {
        self.redFlagPending = redFlagPending
        self.awaitingReturnState = awaitingReturnState
        self.followUpPending = followUpPending
        self.caseID = caseID
        self.submissionID = submissionID
        self.contentSHA256 = contentSHA256
        self.state = state
        self.priority = priority
        self.patient = patient
        self.regions = regions
        self.symptoms = symptoms
        self.question = question
        self.symptomOnset = symptomOnset
        self.priorTreatments = priorTreatments
    }
}

/// A field a re-send changed, as the `update` event and the `case.updated` webhook name it (never its value).
public enum UpdatedField: String, Codable, Sendable, CaseIterable, Comparable {
    /// New symptoms, merged into the case's.
    case symptoms
    /// New spine regions, merged into the case's.
    case regions
    /// Another question; the newest is kept, the earlier ones stay in the stored manifests.
    case question
    /// Another onset.
    case symptomOnset = "symptom_onset"
    /// New prior treatments, merged into the case's.
    case priorTreatments = "prior_treatments"
    /// Another e-mail address or phone number.
    case contact
    /// Another name or birth date (a correction; the reviewer sees it in the history).
    case patient
    /// Sent under another submission id.
    case submissionID = "submission_id"
    /// Files added by a supplement.
    case files

    /// In declaration order, so lists of changes read the same everywhere.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// New information for a case: its merged values, what changed, and what to record and announce.
public struct CaseUpdate: Sendable, Equatable {
    /// The case's information after the update (its state too: a case waiting for the patient returns).
    public var information: CaseInformation
    /// What changed, in `UpdatedField` order; empty when only the manifest differs (a new `submitted_at`, a consent
    /// signed again): it is kept with the case and audited, and nothing is announced.
    public var changes: [UpdatedField]
    /// The case's priority before the update; `information.priority` is after.
    public var priorityBefore: Priority
    /// The audit event (`update`, `files.added` or `follow_up_question`): the changed fields and any priority or
    /// state change, no values.
    public var event: AuditEvent
    /// `case.emergency` first when the update made the case an emergency, then `case.updated`; none when nothing
    /// changed.
    public var notifications: [NotificationType]
}

/// What a re-sent upload (the same submission id, or the same files) comes to. See docs/bundle-format.md,
/// "Re-sends": nothing a patient sends is removed unless it repeats exactly what the case already has.
public enum ResendDecision: Sendable, Equatable {
    /// A manifest the case already holds, with the same files: removed, and the removal audited.
    case duplicate(of: String, matchedBy: MatchReason)
    /// New information merged into the case: an open one, or a responded one as a follow-up question.
    case update(CaseUpdate)
    /// New information for a withdrawn or purged case, which is never reopened: a new case, linked.
    case newCase(relatedTo: String)
    /// The submission id of a case with other files: quarantined, for a person to look at.
    case conflict(Rejection)
}

/// Decides what a re-send means. Pure: the store asks inside the intake transaction and does what it says.
public enum Resend {
    /// Decides for `manifest` (with files hashing to `contentSHA256`) against the case it matched. `knownManifest`
    /// says the case already holds these exact manifest bytes (its own, or a re-send's merged before, as a crash can
    /// leave behind): only then, with the same files, is the upload a duplicate.
    public static func decide(
        _ manifest: Manifest, contentSHA256: String, against current: CaseInformation, knownManifest: Bool
    ) -> ResendDecision {
        let sameSubmission = manifest.submissionID == current.submissionID
        if knownManifest, contentSHA256 == current.contentSHA256 {
            return .duplicate(of: current.caseID, matchedBy: sameSubmission ? .submissionID : .content)
        }
        guard contentSHA256 == current.contentSHA256 else {
            return .conflict(Rejection(
                .submissionReused,
                "submission_id is that of \(current.caseID), which holds other files; to add files to that case send them as a supplement (\"supplements\": \"\(current.submissionID)\"), or send a new submission under a new submission_id"))
        }
        var (merged, changes) = Conversation.merge(manifest, into: current)
        if let patient = manifest.patient {
            Conversation.replace(&merged.patient.email, given: patient.email, .contact, into: &changes)
            Conversation.replace(&merged.patient.phone, given: patient.phone, .contact, into: &changes)
            Conversation.replace(&merged.patient.name, patient.name, .patient, into: &changes)
            Conversation.replace(&merged.patient.dateOfBirth, patient.dateOfBirth, .patient, into: &changes)
        }
        if !sameSubmission { changes.insert(.submissionID) }
        if current.state == .withdrawn || current.purged, !changes.isEmpty { return .newCase(relatedTo: current.caseID) }
        return .update(Conversation.update(merged, changes: changes.sorted(), before: current, reported: manifest.symptoms, filesAdded: 0))
    }
}

/// What re-sends and supplements share: merging new information into a case, and what that does to its state,
/// priority, record and announcements (docs/workflow.md, "A case is a conversation").
public enum Conversation {
    /// The request fields of `manifest` merged into the case: sets merged, the question and onset replaced when
    /// given. The patient is left to the caller (a re-send may correct it, a supplement may not).
    public static func merge(_ manifest: Manifest, into current: CaseInformation) -> (CaseInformation, Set<UpdatedField>) {
        var merged = current
        var changes = Set<UpdatedField>()
        merge(&merged.symptoms, manifest.symptoms, .symptoms, into: &changes)
        merge(&merged.regions, manifest.regions, .regions, into: &changes)
        merge(&merged.priorTreatments, manifest.priorTreatments, .priorTreatments, into: &changes)
        replace(&merged.question, given: manifest.question, .question, into: &changes)
        replace(&merged.symptomOnset, given: manifest.symptomOnset, .symptomOnset, into: &changes)
        return (merged, changes)
    }

    /// The update for merged information. Priority rises only when the new symptoms call for more than the case's
    /// did, never lowered: a coordinator who changed it at triage keeps their word unless the patient reports
    /// something worse. Anything new from the patient ends a wait for them (the case returns to the state it was
    /// asked from); on a responded case it is a follow-up question awaiting an addendum, and a red flag among the
    /// symptoms it `reported` is announced as an emergency even on a case that was one before (the response did not
    /// see it). A manifest that changes nothing changes nothing.
    public static func update(
        _ merged: CaseInformation, changes: [UpdatedField], before current: CaseInformation, reported: [Symptom], filesAdded: Int
    ) -> CaseUpdate {
        var merged = merged
        let before = Priority(symptoms: current.symptoms), after = Priority(symptoms: merged.symptoms)
        merged.priority = after < before ? min(current.priority, after) : current.priority
        var type: EventType = filesAdded > 0 ? .filesAdded : .update
        var redFlag = false
        if !changes.isEmpty {
            if current.state == .awaitingInformation, let back = current.awaitingReturnState {
                merged.state = back
                merged.awaitingReturnState = nil
            }
            if current.state == .responded {
                merged.followUpPending = true
                redFlag = Priority(symptoms: reported) == .emergency
                if redFlag { merged.priority = .emergency }
                type = .followUpQuestion
            }
        }
        let escalated = redFlag || (merged.priority == .emergency && current.priority != .emergency)
        // An untriaged emergency is announced again by its due time until triage; past triage, and after a
        // response, nothing would, so the red flag is kept until someone acts on the case.
        if escalated, merged.state != .received { merged.redFlagPending = true }
        var detail = ["changed": changes.isEmpty ? "none" : changes.map(\.rawValue).joined(separator: ",")]
        if filesAdded > 0 { detail["files"] = String(filesAdded) }
        if merged.priority != current.priority {
            detail["priority_from"] = current.priority.rawValue
            detail["priority_to"] = merged.priority.rawValue
        }
        return CaseUpdate(
            information: merged, changes: changes, priorityBefore: current.priority,
            event: AuditEvent(type: type, fromState: current.state, toState: merged.state, detail: detail),
            notifications: changes.isEmpty ? [] : escalated ? [.caseEmergency, .caseUpdated] : [.caseUpdated])
    }

    static func merge<T: Equatable>(_ values: inout [T], _ new: [T], _ field: UpdatedField, into changes: inout Set<UpdatedField>) {
        for value in new where !values.contains(value) {
            values.append(value)
            changes.insert(field)
        }
    }

    static func replace<T: Equatable>(_ value: inout T, _ new: T, _ field: UpdatedField, into changes: inout Set<UpdatedField>) {
        guard value != new else { return }
        value = new
        changes.insert(field)
    }

    /// An optional field left out keeps what the case has: leaving it out is not erasing it.
    static func replace<T: Equatable>(_ value: inout T, given new: T?, _ field: UpdatedField, into changes: inout Set<UpdatedField>) {
        guard let new else { return }
        replace(&value, new, field, into: &changes)
    }

    static func replace<T: Equatable>(_ value: inout T?, given new: T?, _ field: UpdatedField, into changes: inout Set<UpdatedField>) {
        guard let new else { return }
        replace(&value, new, field, into: &changes)
    }
}
