import Foundation
import GRDB
import OpineCore

/// Which field of a case matched an `opine find` text; all but `caseID` and `submissionID` are patient data.
public enum SearchField: String, Codable, Sendable, CaseIterable {
    /// The case id, exactly or by its beginning, in any case (`c-2026`).
    case caseID = "case_id"
    /// The manifest's submission id, exactly.
    case submissionID = "submission_id"
    /// Every word of the text begins a word of the patient's name, in any order, ignoring case and accents.
    case name
    /// The patient's e-mail address, ignoring case.
    case email
    /// The patient's phone number, comparing digits only.
    case phone

    /// A match on this field shows that the text is someone's personal data: such a search is recorded.
    public var isPatientData: Bool { self == .name || self == .email || self == .phone }
}

/// One case `opine find` found, and the first field (in `SearchField` order) that matched.
public struct SearchHit: Sendable {
    /// The case, with the columns of `opine list`.
    public var summary: CaseSummary
    /// What matched.
    public var matchedBy: SearchField
}

extension CaseStore {
    /// Cases matching `text` by case id, submission id, patient name, e-mail or phone, newest first. Each field is
    /// one index lookup (the FTS5 name index and the expression indexes of migration `v12-search`), so a search
    /// costs the same on a million cases as on ten, except for a name shared by very many cases.
    public func find(_ text: String, limit: Int, offset: Int = 0) throws -> [SearchHit] {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw StoreError.invalidInput("give something to find: a case id, submission id, name, e-mail or phone") }
        var parts: [String] = []
        var arguments: StatementArguments = []
        // Each matcher yields only its newest `limit + offset` rows, read in order from its index, so a broad search
        // (a case id prefix or a common name matching most of a million cases) pages as fast as a narrow one.
        let wanted = limit + offset
        func add(_ field: SearchField, _ sql: String, _ values: [any DatabaseValueConvertible]) {
            let rank = SearchField.allCases.firstIndex(of: field)!
            parts.append("SELECT seq, \(rank) AS rank FROM (\(sql) LIMIT \(wanted))")
            _ = arguments.append(contentsOf: StatementArguments(values))
        }
        let upper = text.uppercased()
        if upper.hasPrefix("C-") {
            // Case ids are ASCII [A-Z0-9-], all below "~": a range on the unique index, read backwards. Ids follow
            // arrival (day, then counter), so the last ids of the range are the newest cases.
            add(.caseID, "SELECT seq FROM cases WHERE id >= ? AND id < ? ORDER BY id DESC", [upper, upper + "~"])
        }
        add(.submissionID, "SELECT seq FROM cases WHERE submission_id = ? ORDER BY seq DESC", [text])
        // A patient may quote the id of a later upload: a supplement's, or a re-send's merged into the case.
        add(.submissionID, """
            SELECT c.seq FROM case_updates u JOIN cases c ON c.id = u.case_id WHERE u.submission_id = ? ORDER BY u.id DESC
            """, [text])
        if let query = Self.nameQuery(text), !text.contains("@") {
            add(.name, "SELECT rowid AS seq FROM cases_search WHERE cases_search MATCH ? ORDER BY rowid DESC", [query])
        }
        if text.contains("@") {
            add(.email, "SELECT seq FROM cases WHERE lower(patient_email) = lower(?) AND patient_email IS NOT NULL ORDER BY seq DESC", [text])
        }
        if let digits = PhoneDigits.digits(text) {
            add(.phone, "SELECT seq FROM cases WHERE \(Migrations.phoneDigits) = ? AND patient_phone IS NOT NULL ORDER BY seq DESC", [digits])
        }
        _ = arguments.append(contentsOf: [limit, offset])
        let rows = try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.state, c.priority, c.assignee, c.regions, c.received_at, c.updated_at, c.clock_started_at, c.closed_at, c.flags, m.rank
                FROM (SELECT seq, MIN(rank) AS rank FROM (\(parts.joined(separator: " UNION ALL "))) GROUP BY seq) AS m
                JOIN cases AS c ON c.seq = m.seq
                ORDER BY c.seq DESC LIMIT ? OFFSET ?
                """, arguments: arguments)
        }
        return try rows.map { row in
            SearchHit(summary: try CaseSummary(row: row), matchedBy: SearchField.allCases[row["rank"] as Int])
        }
    }

    /// An FTS5 query in which every word of `text` must begin a word of the name: `"jane"* "doe"*`. Words are split
    /// as the index's unicode61 tokenizer splits them (on anything not a letter or digit); nil when there are none.
    static func nameQuery(_ text: String) -> String? {
        let words = text.split { !$0.isLetter && !$0.isNumber }
        guard !words.isEmpty, words.contains(where: { $0.contains(where: \.isLetter) }) else { return nil }
        return words.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"*" }.joined(separator: " ")
    }
}
