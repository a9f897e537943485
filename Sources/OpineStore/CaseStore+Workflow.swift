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
            if let letter = command.letter {
                var row = LetterRecord(
                    caseID: caseID, createdAt: at, actor: actor.name, fileName: letter.fileName, mediaType: letter.mediaType,
                    size: Int64(letter.content.count), sha256: letter.sha256, content: letter.content)
                try row.insert(db)
            }
            var event = EventRecord(transition.event, caseID: caseID, at: at, actor: actor.name)
            try event.append(db)
            for type in transition.notifications { try enqueue(db, type, record, at: at) }
            return record
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
            ])
        guard changed == 1 else {
            throw StoreError.conflict("\(record.id) changed while you were acting; check `opine show \(record.id)` and try again")
        }
    }
}
