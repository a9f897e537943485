import Crypto
import Foundation
import GRDB
import OpineCore

/// Who reads or writes at the desk, as the audit trail records them.
public struct DeskActor: Sendable {
    /// The acting name (the login, or the `--as` name).
    public var name: String
    /// The admin's login when an admin acted for `name`; recorded as `entered_by`.
    public var enteredBy: String?

    /// Describes who is acting.
    public init(name: String, enteredBy: String? = nil) {
        self.name = name
        self.enteredBy = enteredBy
    }
}

extension CaseStore {
    /// Adds a note to a case in any state, final ones included. It changes nothing about the case: no state, no
    /// version bump (so nobody else's command conflicts with a note), no webhook. Returns the event written.
    @discardableResult
    public func addNote(_ text: String, to caseID: String, by actor: DeskActor, now: Date = Date()) throws -> EventRecord {
        guard !text.isBlank else { throw StoreError.invalidInput("the note must not be empty") }
        return try pool.write { db in
            guard let record = try CaseRecord.filter(CaseRecord.Columns.id == caseID).fetchOne(db) else {
                throw StoreError.caseNotFound(caseID)
            }
            try Self.refusePurged(record)
            var detail = ["note": text]
            if let enteredBy = actor.enteredBy { detail["entered_by"] = enteredBy }
            var event = EventRecord(AuditEvent(type: .note, detail: detail), caseID: caseID, at: Timestamps.format(now), actor: actor.name)
            try event.append(db)
            return event
        }
    }

    /// Records that patient data left the store (`access` event): `what` it was, the case if it concerns one, and
    /// `detail` (never patient data itself). Written after the read it records, in a transaction of its own.
    @discardableResult
    public func recordAccess(
        _ what: AccessKind, caseID: String?, detail: [String: String] = [:], by actor: DeskActor, now: Date = Date()
    ) throws -> EventRecord {
        var fields = detail.merging(["what": what.rawValue]) { _, new in new }
        if let enteredBy = actor.enteredBy { fields["entered_by"] = enteredBy }
        return try pool.write { db in
            var event = EventRecord(AuditEvent(type: .access, detail: fields), caseID: caseID, at: Timestamps.format(now), actor: actor.name)
            try event.append(db)
            return event
        }
    }

    /// Records that a search showed these cases, found by patient data: one `access` event per case, so each case's
    /// history says who found it and when, all in one transaction and sharing a `search` id. Never the search text.
    public func recordSearch(_ hits: [(caseID: String, matchedBy: SearchField)], by actor: DeskActor, now: Date = Date()) throws {
        guard !hits.isEmpty else { return }
        let search = UUID().uuidString.prefix(8).lowercased(), at = Timestamps.format(now)
        try pool.write { db in
            for hit in hits {
                var detail = ["what": AccessKind.search.rawValue, "matched_by": hit.matchedBy.rawValue, "search": search]
                if let enteredBy = actor.enteredBy { detail["entered_by"] = enteredBy }
                var event = EventRecord(AuditEvent(type: .access, detail: detail), caseID: hit.caseID, at: at, actor: actor.name)
                try event.append(db)
            }
        }
    }

    /// The case's `index`-th letter (1 = the first, the response letter; letters are counted in the order they were
    /// stored) with its bytes, checked against the SHA-256 stored with it: a mismatch throws `IntegrityError`.
    public func letter(of caseID: String, index: Int) throws -> LetterRecord {
        let letters = try letters(of: caseID)
        if let purged = try caseRecord(caseID).purgedAt {
            throw StoreError.notFound("the letters of \(caseID) were purged at \(purged) under the retention rules (`opine history \(caseID)` shows the tombstones)")
        }
        guard !letters.isEmpty else {
            _ = try caseRecord(caseID)
            throw StoreError.notFound("\(caseID) has no letter yet; a letter is stored by `opine respond \(caseID) --letter-file FILE`")
        }
        guard (1...letters.count).contains(index) else {
            throw StoreError.notFound("\(caseID) has \(letters.count) letter\(letters.count == 1 ? "" : "s"); give --index from 1 to \(letters.count) (`opine letter \(caseID) --json` lists them)")
        }
        let id = letters[index - 1].id
        guard let letter = try pool.read({ db in try LetterRecord.filter(LetterRecord.Columns.id == id).fetchOne(db) }) else {
            throw StoreError.notFound("the letter of \(caseID) is gone; run `opine verify`")
        }
        guard Hex.lowercase(SHA256.hash(data: letter.content)) == letter.sha256, Int64(letter.content.count) == letter.size else {
            throw IntegrityError(description: "letter \(index) of \(caseID) (\(letter.fileName.escapedForDisplay)) does not match the SHA-256 stored with it: it was damaged or altered in the database; restore the database from a backup and run `opine verify`")
        }
        return letter
    }

    /// The case id as stored for what someone typed: upper-cased (`c-20261126-0007` is `C-20261126-0007`). With
    /// `submissions`, a submission id of exactly one case resolves to that case; otherwise an unknown id that is a
    /// submission id throws `notFound` naming its cases and `opine find`.
    public func resolveCaseID(_ typed: String, submissions: Bool = false) throws -> String {
        let upper = typed.uppercased()
        return try pool.read { db in
            if try CaseRecord.filter(CaseRecord.Columns.id == upper).fetchCount(db) > 0 { return upper }
            let owners = try String.fetchAll(db, sql: "SELECT id FROM cases WHERE submission_id = ? ORDER BY seq DESC", arguments: [typed])
            if submissions, owners.count == 1 { return owners[0] }
            guard !owners.isEmpty else { throw StoreError.caseNotFound(upper) }
            let shown = typed.escapedForDisplay
            throw StoreError.notFound(
                "no case with id \(shown); that is the submission id of \(owners.joined(separator: ", ")) — run `opine find \(shown)`")
        }
    }
}

/// Stored bytes that no longer match the SHA-256 recorded with them; `opine` exits 65.
public struct IntegrityError: Error, CustomStringConvertible, Sendable {
    /// Names what is damaged and what to do.
    public var description: String
}
