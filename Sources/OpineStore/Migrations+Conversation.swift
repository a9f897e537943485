import GRDB

extension Migrations {
    /// `v11-conversation`: a case is a conversation. The cases table is rebuilt (SQLite cannot change a CHECK) to
    /// allow `awaiting_information`, with where a waiting case returns to, since when it waits and when it was
    /// reminded; `clock_started_at`, when its turnaround clock started (its receipt, moved later by every wait for
    /// the patient), which the clock indexes now read; `follow_up_since`, a responded case's unanswered follow-up
    /// question; and `red_flag_since`, a red flag the patient reported past triage that no one has acted on yet
    /// (announced again until someone does). A final case keeps when it closed (`closed_at`). Supplements are kept in `case_updates` (`kind`, `content_sha256`) and their files name them
    /// (`case_files.supplement_id`); information requests and addenda get tables of their own; a notification may
    /// carry a message for the patient (`outbox.message`) that only `include_contact` endpoints receive.
    static func conversation(_ db: Database) throws {
        let columns = try db.columns(in: "cases").map(\.name).joined(separator: ", ")
        try db.execute(sql: casesV11.replacingOccurrences(of: "@COLUMNS@", with: columns))
        try db.execute(sql: """
            ALTER TABLE case_updates ADD COLUMN kind TEXT NOT NULL DEFAULT 'resend' CHECK (kind IN ('resend','supplement'));
            ALTER TABLE case_updates ADD COLUMN content_sha256 TEXT;
            CREATE INDEX case_updates_by_submission ON case_updates(submission_id, id);
            ALTER TABLE case_files ADD COLUMN supplement_id INTEGER REFERENCES case_updates(id);
            ALTER TABLE outbox ADD COLUMN message TEXT;

            CREATE TABLE information_requests (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                case_id TEXT NOT NULL REFERENCES cases(id),
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                from_state TEXT NOT NULL,
                message TEXT NOT NULL,
                answered_at TEXT,
                answered_by_update INTEGER REFERENCES case_updates(id)
            );
            CREATE INDEX information_requests_by_case ON information_requests(case_id, id);

            CREATE TABLE addenda (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                case_id TEXT NOT NULL REFERENCES cases(id),
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                entered_by TEXT,
                kind TEXT NOT NULL CHECK (kind IN ('findings','letter')),
                reason TEXT NOT NULL,
                findings TEXT,
                letter_id INTEGER REFERENCES letters(id)
            );
            CREATE INDEX addenda_by_case ON addenda(case_id, id);
            PRAGMA user_version = 11;
            """)
    }

    /// The cases table as of v11, its indexes and triggers made again. The clock indexes of v10 read
    /// `clock_started_at` now; the open queue holds waiting cases too (they are open), the clock indexes do not (a
    /// waiting case's clock is paused).
    private static let casesV11 = """
            CREATE TABLE cases_new (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                submission_id TEXT NOT NULL,
                content_sha256 TEXT NOT NULL,
                state TEXT NOT NULL
                    CHECK (state IN ('received','triaged','awaiting_information','reviewed','responded','withdrawn')),
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
                manifest_sha256 TEXT,
                overdue_notified_state TEXT,
                emergency_announced_at TEXT,
                clock_started_at TEXT NOT NULL,
                awaiting_return_state TEXT,
                awaiting_since TEXT,
                information_reminded_at TEXT,
                follow_up_since TEXT,
                red_flag_since TEXT,
                closed_at TEXT
            );
            INSERT INTO cases_new (@COLUMNS@, clock_started_at, closed_at)
                SELECT @COLUMNS@, received_at, CASE WHEN state IN ('responded','withdrawn') THEN updated_at END FROM cases;
            DROP TABLE cases;
            ALTER TABLE cases_new RENAME TO cases;
            CREATE INDEX cases_submission ON cases(submission_id, seq);
            CREATE INDEX cases_content ON cases(content_sha256, seq);
            CREATE INDEX cases_by_state ON cases(state, priority_rank, seq);
            CREATE INDEX cases_by_assignee ON cases(assignee, priority_rank, seq);
            CREATE INDEX cases_by_priority ON cases(priority_rank, seq);
            CREATE INDEX cases_open_queue ON cases(priority_rank, seq)
                WHERE state IN ('received','triaged','awaiting_information','reviewed');
            CREATE INDEX cases_open_by_receipt ON cases(state, priority_rank, clock_started_at)
                WHERE state IN ('received','triaged','reviewed');
            CREATE INDEX cases_overdue_unnoticed ON cases(state, priority_rank, clock_started_at)
                WHERE state IN ('received','triaged','reviewed') AND overdue_notified_state IS NOT state;
            CREATE INDEX cases_awaiting ON cases(awaiting_since) WHERE state = 'awaiting_information';
            CREATE INDEX cases_follow_up ON cases(follow_up_since) WHERE follow_up_since IS NOT NULL;
            CREATE INDEX cases_red_flag ON cases(red_flag_since) WHERE red_flag_since IS NOT NULL;
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
        """

    /// `v13-study-summary`: what the images' headers said at intake (`study_summary`, JSON of Core's `StudySummary`),
    /// the checks made from it (`study_checks`), and the flags they raised (`flags`, a JSON array of codes; NULL when
    /// none, so `cases_flagged` holds only flagged cases, in queue order, for `opine list --flagged`).
    static let studyV13 = """
            ALTER TABLE cases ADD COLUMN study_summary TEXT;
            ALTER TABLE cases ADD COLUMN study_checks TEXT;
            ALTER TABLE cases ADD COLUMN flags TEXT;
            CREATE INDEX cases_flagged ON cases(priority_rank, seq) WHERE flags IS NOT NULL;
            PRAGMA user_version = 13;
        """
}
