import Foundation
import GRDB
import OpineCore

extension CaseStore {
    /// Applies one workflow step: load the case, let Core decide (`Workflow.decide`), persist what it decided. The
    /// update is conditional on the version the caller saw (`expectedVersion`) and on the state Core decided from,
    /// so of two people acting at once exactly one succeeds and the other gets a conflict naming what changed.
    public func apply(
        _ command: CaseCommand, to caseID: String, by actor: Actor, expectedVersion: Int?, now: Date = Date()
    ) throws -> CaseRecord {
        try pool.write { db in
            guard var record = try CaseRecord.filter(CaseRecord.Columns.id == caseID).fetchOne(db) else {
                throw StoreError.caseNotFound(caseID)
            }
            try Self.refusePurged(record)
            if let expectedVersion, record.version != expectedVersion {
                throw StoreError.conflict(
                    "\(caseID) changed while you were acting (it is now \(record.state.rawValue)); check `opine show \(caseID)` and try again")
            }
            let transition: Transition
            switch Workflow.decide(record.snapshot, command, by: actor) {
            case .success(let decided): transition = decided
            case .failure(let error): throw StoreError.refused(error)
            }
            let at = Timestamps.format(now)
            try persist(transition, to: &record, at: at, db)
            var letterID: Int64?
            if let letter = command.letter {
                var row = LetterRecord(
                    caseID: caseID, createdAt: at, actor: actor.name, fileName: letter.fileName, mediaType: letter.mediaType,
                    size: Int64(letter.content.count), sha256: letter.sha256, content: letter.content)
                try row.insert(db)
                letterID = row.id
            }
            var audit = transition.event
            try keepConversation(
                transition, caseID: caseID, at: at, actor: actor.name, enteredBy: command.enteredBy, letterID: letterID,
                event: &audit.detail, db)
            var event = EventRecord(audit, caseID: caseID, at: at, actor: actor.name)
            try event.append(db)
            for type in transition.notifications {
                try enqueue(db, type, record, at: at, message: transition.informationMessage) { data in
                    if let addendum = transition.addendum { data.amended = addendum.kind }
                    if transition.informationMessage != nil { data.awaitingSince = record.awaitingSince }
                }
            }
            return record
        }
    }

    /// Stores what a conversation step carries beside the case row: the information request, or the addendum
    /// (whose id the audit event names).
    private func keepConversation(
        _ transition: Transition, caseID: String, at: String, actor: String, enteredBy: String?, letterID: Int64?,
        event detail: inout [String: String], _ db: Database
    ) throws {
        if let message = transition.informationMessage {
            var request = InformationRequestRecord(caseID: caseID, at: at, actor: actor, fromState: transition.from, message: message)
            try request.insert(db)
            detail["request_id"] = request.id.map(String.init)
        }
        if let addendum = transition.addendum {
            var row = AddendumRecord(
                caseID: caseID, at: at, actor: actor, enteredBy: enteredBy, kind: addendum.kind, reason: addendum.reason,
                findings: addendum.findings, letterID: letterID)
            try row.insert(db)
            detail["addendum_id"] = row.id.map(String.init)
        }
    }

    /// Writes the case's new values, only if it is still in the state and version the decision was made from.
    private func persist(_ transition: Transition, to record: inout CaseRecord, at: String, _ db: Database) throws {
        let previousVersion = record.version
        record.apply(transition, at: at)
        record.version += 1
        let columns = CaseRecord.Columns.self
        let changed = try CaseRecord
            .filter(columns.id == record.id && columns.state == transition.from.rawValue && columns.version == previousVersion)
            .updateAll(db, [
                columns.state.set(to: record.state.rawValue), columns.priority.set(to: record.priority.rawValue),
                columns.priorityRank.set(to: record.priorityRank), columns.assignee.set(to: record.assignee),
                columns.findings.set(to: record.findings), columns.withdrawnReason.set(to: record.withdrawnReason),
                columns.updatedAt.set(to: at), columns.version.set(to: record.version),
                columns.clockStartedAt.set(to: record.clockStartedAt), columns.awaitingReturnState.set(to: record.awaitingReturnState),
                columns.awaitingSince.set(to: record.awaitingSince), columns.informationRemindedAt.set(to: record.informationRemindedAt),
                columns.followUpSince.set(to: record.followUpSince), columns.redFlagSince.set(to: record.redFlagSince),
                columns.closedAt.set(to: record.closedAt),
            ])
        guard changed == 1 else {
            throw StoreError.conflict("\(record.id) changed while you were acting; check `opine show \(record.id)` and try again")
        }
    }
}
