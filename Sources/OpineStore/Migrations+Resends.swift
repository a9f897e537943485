import GRDB

extension Migrations {
    /// A re-send of a final case becomes a new case under the same submission id, so `submission_id` is no longer
    /// unique (SQLite cannot drop a column constraint: the table is rebuilt, its indexes and triggers made again),
    /// and the new case names the one it follows. Every re-send's manifest is kept in `case_updates`.
    static func resends(_ db: Database) throws {
        let columns = try db.columns(in: "cases").map(\.name).joined(separator: ", ")
        try db.execute(sql: casesV9.replacingOccurrences(of: "@COLUMNS@", with: columns))
    }

    /// `v9-resends`: the cases table rebuilt without the unique submission id, its indexes and triggers made again,
    /// with the case it follows and the SHA-256 of the manifest it was made from (an exact re-send is recognised by
    /// it; NULL for cases stored before), and `case_updates`.
    private static let casesV9 = """
            CREATE TABLE cases_new (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                submission_id TEXT NOT NULL,
                content_sha256 TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('received','triaged','reviewed','responded','withdrawn')),
                priority TEXT NOT NULL CHECK (priority IN ('emergency','urgent','routine')),
                priority_rank INTEGER NOT NULL,
                intake_priority TEXT NOT NULL,
                assignee TEXT,
                regions TEXT NOT NULL,
                symptoms TEXT NOT NULL,
                patient_name TEXT NOT NULL,
                patient_date_of_birth TEXT NOT NULL,
                patient_email TEXT,
                patient_phone TEXT,
                question TEXT NOT NULL,
                symptom_onset TEXT,
                prior_treatments TEXT NOT NULL,
                submitted_at TEXT NOT NULL,
                received_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                findings TEXT,
                withdrawn_reason TEXT,
                file_count INTEGER NOT NULL,
                total_bytes INTEGER NOT NULL,
                version INTEGER NOT NULL DEFAULT 1,
                related_case_id TEXT,
                manifest_sha256 TEXT
            );
            INSERT INTO cases_new (@COLUMNS@) SELECT @COLUMNS@ FROM cases;
            DROP TABLE cases;
            ALTER TABLE cases_new RENAME TO cases;
            CREATE INDEX cases_submission ON cases(submission_id, seq);
            CREATE INDEX cases_content ON cases(content_sha256, seq);
            CREATE INDEX cases_by_state ON cases(state, priority_rank, seq);
            CREATE INDEX cases_by_assignee ON cases(assignee, priority_rank, seq);
            CREATE INDEX cases_by_priority ON cases(priority_rank, seq);
            CREATE INDEX cases_open_queue ON cases(priority_rank, seq) WHERE state IN ('received','triaged','reviewed');
            CREATE TRIGGER case_counts_insert AFTER INSERT ON cases BEGIN
                INSERT INTO case_counts (state, priority_rank, n) VALUES (NEW.state, NEW.priority_rank, 1)
                    ON CONFLICT (state, priority_rank) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER case_counts_update AFTER UPDATE OF state, priority_rank ON cases
            WHEN OLD.state <> NEW.state OR OLD.priority_rank <> NEW.priority_rank BEGIN
                UPDATE case_counts SET n = n - 1 WHERE state = OLD.state AND priority_rank = OLD.priority_rank;
                INSERT INTO case_counts (state, priority_rank, n) VALUES (NEW.state, NEW.priority_rank, 1)
                    ON CONFLICT (state, priority_rank) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER case_counts_delete AFTER DELETE ON cases BEGIN
                UPDATE case_counts SET n = n - 1 WHERE state = OLD.state AND priority_rank = OLD.priority_rank;
            END;

            CREATE TABLE case_updates (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                case_id TEXT NOT NULL REFERENCES cases(id),
                at TEXT NOT NULL,
                submission_id TEXT NOT NULL,
                upload_name TEXT NOT NULL,
                changed TEXT NOT NULL,
                manifest BLOB NOT NULL
            );
            CREATE INDEX case_updates_by_case ON case_updates(case_id, id);
            PRAGMA user_version = 9;
        """
}
