import GRDB

extension Migrations {
    /// `v12-search`: what `opine find` reads, so a search stays a few index seeks on a million cases. Patient names
    /// go into an FTS5 index over `cases` (external content keyed by `seq`, so the names are not stored twice),
    /// folding case and accents; triggers made here keep it in step with every insert, update and delete, and the
    /// index is filled from the rows already stored. E-mail (case-insensitive) and phone (digits only) are
    /// expression indexes, so `cases` itself gains no column. It relies on no earlier migration's triggers: a
    /// migration that rebuilds `cases` drops these triggers with the old table and must make them again.
    static let searchV12 = """
            CREATE VIRTUAL TABLE cases_search USING fts5(
                patient_name, content = 'cases', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
            );
            INSERT INTO cases_search (cases_search) VALUES ('rebuild');
            CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
                INSERT INTO cases_search (rowid, patient_name) VALUES (NEW.seq, NEW.patient_name);
            END;
            CREATE TRIGGER cases_search_delete AFTER DELETE ON cases BEGIN
                INSERT INTO cases_search (cases_search, rowid, patient_name) VALUES ('delete', OLD.seq, OLD.patient_name);
            END;
            CREATE TRIGGER cases_search_update AFTER UPDATE OF patient_name ON cases BEGIN
                INSERT INTO cases_search (cases_search, rowid, patient_name) VALUES ('delete', OLD.seq, OLD.patient_name);
                INSERT INTO cases_search (rowid, patient_name) VALUES (NEW.seq, NEW.patient_name);
            END;
            CREATE INDEX cases_by_email ON cases(lower(patient_email)) WHERE patient_email IS NOT NULL;
            CREATE INDEX cases_by_phone_digits ON cases(\(phoneDigits)) WHERE patient_phone IS NOT NULL;
            PRAGMA user_version = 12;
        """

    /// The phone number with the usual separators removed, as SQL over `patient_phone`; `opine find` compares the
    /// digits of what was typed with this, spelled the same so SQLite uses `cases_by_phone_digits`.
    static let phoneDigits = PhoneDigits.sql("patient_phone")
}

/// A phone number's digits: what a person types ("+1 (555) 010-2000") and what a manifest holds ("15550102000")
/// compare equal. SQLite has no regular expressions, so the stored side strips the separators people use.
enum PhoneDigits {
    /// The characters removed from a stored phone number before comparing.
    static let separators = [" ", "-", "(", ")", "+", ".", "/", "\t"]

    /// Nested `replace()` calls over `column`, removing every separator.
    static func sql(_ column: String) -> String {
        separators.reduce(column) { "replace(\($0), '\($1)', '')" }
    }

    /// The digits of typed text, or nil when it is not a phone number (other characters, or fewer than 5 digits).
    static func digits(_ text: String) -> String? {
        let allowed = Set("0123456789 -()+./")
        guard text.allSatisfy({ allowed.contains($0) }) else { return nil }
        let digits = text.filter(\.isASCII).filter(\.isNumber)
        return digits.count >= 5 ? digits : nil
    }
}
