import Crypto
import Foundation
import GRDB

/// A staff member's request, with what only the store handles (findings text, the letter's bytes).
public struct CaseCommand: Sendable {
    public var action: WorkflowAction
    public var note: String?
    public var letter: Letter?
    /// The login of an admin who entered this for `actor` (`opine --as`), recorded in the audit trail.
    public var enteredBy: String?

    public struct Letter: Sendable {
        public var fileName: String
        public var mediaType: String
        public var content: Data

        public init(fileName: String, mediaType: String, content: Data) {
            self.fileName = fileName
            self.mediaType = mediaType
            self.content = content
        }
    }

    public init(action: WorkflowAction, note: String? = nil, letter: Letter? = nil, enteredBy: String? = nil) {
        self.action = action
        self.note = note
        self.letter = letter
        self.enteredBy = enteredBy
    }
}

extension CaseStore {
    /// Applies one workflow step. The case is re-read inside the write transaction and the update is conditional on
    /// the version the caller saw (`expectedVersion`), so of two people acting at once exactly one succeeds and the
    /// other gets a conflict naming what changed.
    public func apply(
        _ command: CaseCommand, to caseID: String, by actor: Actor, expectedVersion: Int?, now: Date = Date()
    ) throws -> CaseRecord {
        try pool.write { db in
            guard var record = try CaseRecord.filter(Column("id") == caseID).fetchOne(db) else {
                throw StoreError.caseNotFound(caseID)
            }
            if let expectedVersion, record.version != expectedVersion {
                throw StoreError.conflict(
                    "\(caseID) changed while you were acting (it is now \(record.state.rawValue)); check `opine show \(caseID)` and try again")
            }
            let snapshot = CaseSnapshot(state: record.state, priority: record.priority, assignee: record.assignee)
            let transition: Transition
            switch Workflow.decide(snapshot, command.action, by: actor) {
            case .success(let decided): transition = decided
            case .failure(let error): throw StoreError.refused(error)
            }
            let at = Timestamps.format(now)
            var detail: [String: String] = [:]
            if let note = command.note, !note.isBlank { detail["note"] = note }
            if transition.assignee != record.assignee { detail["assigned_to"] = transition.assignee ?? "" }
            if transition.priority != record.priority {
                detail["priority_from"] = record.priority.rawValue
                detail["priority_to"] = transition.priority.rawValue
            }
            if let enteredBy = command.enteredBy { detail["entered_by"] = enteredBy }
            if transition.adminOverride { detail["admin_override_for"] = record.assignee ?? "(unassigned)" }
            switch command.action {
            case .review(let findings):
                record.findings = findings
            case .withdraw(let reason):
                record.withdrawnReason = reason
                detail["reason"] = reason
            case .triage, .respond:
                break
            }

            let previousVersion = record.version
            record.state = transition.to
            record.priority = transition.priority
            record.priorityRank = transition.priority.rank
            record.assignee = transition.assignee
            record.updatedAt = at
            record.version += 1
            try db.execute(
                sql: """
                    UPDATE cases SET state = ?, priority = ?, priority_rank = ?, assignee = ?, findings = ?,
                        withdrawn_reason = ?, updated_at = ?, version = version + 1
                    WHERE id = ? AND state = ? AND version = ?
                    """,
                arguments: [
                    record.state.rawValue, record.priority.rawValue, record.priorityRank, record.assignee,
                    record.findings, record.withdrawnReason, at, caseID, transition.from.rawValue, previousVersion,
                ])
            guard db.changesCount == 1 else {
                throw StoreError.conflict("\(caseID) changed while you were acting; check `opine show \(caseID)` and try again")
            }

            if let letter = command.letter {
                let digest = Hex.lowercase(SHA256.hash(data: letter.content))
                var row = LetterRecord(
                    caseID: caseID, createdAt: at, actor: actor.name, fileName: letter.fileName,
                    mediaType: letter.mediaType, size: Int64(letter.content.count), sha256: digest, content: letter.content)
                try row.insert(db)
                detail["letter_sha256"] = digest
            }
            let type = transition.from == .triaged && transition.to == .triaged ? "retriage" : command.action.name
            var event = EventRecord(
                caseID: caseID, at: at, actor: actor.name, type: type, fromState: transition.from.rawValue,
                toState: transition.to.rawValue, detail: JSONText.object(detail))
            try event.append(db)
            try enqueue(db, transition.notification, record, at: at)
            return record
        }
    }
}
