import Crypto
import Foundation
import GRDB
import OpineCore

/// Re-sends: what the store does with new information for an open case, as `Resend.decide` decided it.
extension CaseStore {
    /// Merges the update into the case (a new version, so a staff command that read it before is refused as a
    /// conflict), keeps the manifest as received (with `kind`, and for a supplement the hash of its files), and
    /// records and announces what changed. A case waiting for the patient returns to the state it was asked from,
    /// its clock resumed and the request marked answered; a responded case holds the follow-up question.
    /// `files` are the supplement's, already placed in the case's folder (see `commitSupplement`).
    func applyUpdate(
        _ db: Database, _ update: CaseUpdate, to current: CaseRecord, from commit: IntakeCommit, at: String,
        kind: CaseUpdateRecord.Kind = .resend, files: [CaseFileRecord] = []
    ) throws -> CaseRecord {
        var kept = CaseUpdateRecord(
            caseID: current.id, at: at, submissionID: commit.manifest.submissionID, uploadName: commit.uploadName,
            changed: update.changes, manifest: Data(commit.manifestBytes), kind: kind,
            contentSHA256: kind == .supplement ? commit.contentSHA256 : nil)
        try kept.insert(db)
        var record = current
        // A manifest that changes nothing is kept and audited, but leaves the case (and its version) as it is.
        if !update.changes.isEmpty {
            record.apply(update.information, at: at)
            // A supplement's images join the case's summary; the checks run again on the whole (and on a corrected
            // patient a re-send brings).
            var summary = record.studySummary
            if kind == .supplement, let study = commit.study {
                summary = summary ?? StudySummary()
                summary?.merge(study)
            }
            record.check(summary)
            record.fileCount += files.count
            record.totalBytes += files.reduce(0) { $0 + $1.size }
            record.updatedAt = at
            record.version += 1
            // Announced now: the clock sweep re-announces an untriaged emergency only an interval after this.
            if update.notifications.contains(.caseEmergency) { record.emergencyAnnouncedAt = at }
            try record.update(db)
            if current.state == .awaitingInformation, record.state != .awaitingInformation {
                try answerInformationRequests(db, of: record.id, by: kept.id, at: at)
            }
        }
        for var file in files {
            file.supplementID = kept.id
            try file.insert(db)
        }
        var event = update.event
        event.detail["update_id"] = kept.id.map(String.init) ?? ""
        if !update.changes.isEmpty, let checks = record.studyChecks { event.detail.merge(checks.detail) { old, _ in old } }
        if kind == .supplement || update.changes.contains(.submissionID) { event.detail["submission_id"] = commit.manifest.submissionID }
        var row = EventRecord(event, caseID: record.id, at: at, actor: Self.daemonActor)
        try row.append(db)
        for type in update.notifications {
            try enqueue(db, type, record, at: at) { data in
                data.changed = update.changes
                if update.priorityBefore != record.priority { data.priorityFrom = update.priorityBefore }
            }
        }
        return record
    }

    /// Marks the case's open information requests answered by this update.
    private func answerInformationRequests(_ db: Database, of caseID: String, by updateID: Int64?, at: String) throws {
        let columns = InformationRequestRecord.Columns.self
        try InformationRequestRecord.filter(columns.caseID == caseID && columns.answeredAt == nil)
            .updateAll(db, [columns.answeredAt.set(to: at), columns.answeredByUpdate.set(to: updateID)])
    }

    /// Whether the case already holds exactly this manifest: the one it was made from, or a re-send's kept before.
    func holdsManifest(_ db: Database, _ manifest: [UInt8], case record: CaseRecord) throws -> Bool {
        if record.manifestSHA256 == Hex.lowercase(SHA256.hash(data: manifest)) { return true }
        let statement = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM case_updates WHERE case_id = ? AND manifest = ?)")
        return try Bool.fetchOne(statement, arguments: [record.id, Data(manifest)]) ?? false
    }

    /// The manifests re-sends added to a case, oldest first.
    public func updates(of caseID: String) throws -> [CaseUpdateRecord] {
        let columns = CaseUpdateRecord.Columns.self
        return try pool.read { db in
            try CaseUpdateRecord.filter(columns.caseID == caseID).order(columns.id).fetchAll(db)
        }
    }
}

extension CaseRecord {
    /// The case's information, as a re-send is compared with it.
    var information: CaseInformation {
        var information = CaseInformation(
            caseID: id, submissionID: submissionID, contentSHA256: contentSHA256, state: state, priority: priority,
            patient: Manifest.Patient(name: patientName, dateOfBirth: patientDateOfBirth, email: patientEmail, phone: patientPhone),
            regions: regions, symptoms: symptoms, question: question, symptomOnset: symptomOnset, priorTreatments: priorTreatments,
            awaitingReturnState: awaitingReturnState, followUpPending: followUpSince != nil, redFlagPending: redFlagSince != nil)
        information.purged = purgedAt != nil
        return information
    }

    /// Takes the merged information Core decided at `at`: values, state, and what a wait or a follow-up leaves.
    mutating func apply(_ information: CaseInformation, at: String) {
        if state == .awaitingInformation, information.state != .awaitingInformation { resumeClock(at: at) }
        state = information.state
        awaitingReturnState = information.awaitingReturnState
        if information.followUpPending, followUpSince == nil { followUpSince = at }
        if information.redFlagPending, redFlagSince == nil { redFlagSince = at }
        priority = information.priority
        priorityRank = information.priority.rank
        regions = information.regions
        symptoms = information.symptoms
        question = information.question
        symptomOnset = information.symptomOnset
        priorTreatments = information.priorTreatments
        patientName = information.patient.name
        patientDateOfBirth = information.patient.dateOfBirth
        patientEmail = information.patient.email
        patientPhone = information.patient.phone
    }
}
