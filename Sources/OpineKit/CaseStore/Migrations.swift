import GRDB

/// Named, append-only migrations: never edit one that has shipped; add the next.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-cases-events-outbox") { db in
            try db.execute(sql: """
                CREATE TABLE cases (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    submission_id TEXT NOT NULL UNIQUE,
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
                    version INTEGER NOT NULL DEFAULT 1
                );
                CREATE INDEX cases_content ON cases(content_sha256);
                CREATE INDEX cases_by_state ON cases(state, priority_rank, seq);
                CREATE INDEX cases_by_assignee ON cases(assignee, priority_rank, seq);
                CREATE INDEX cases_by_priority ON cases(priority_rank, seq);
                -- The default queue (open cases, emergency first, then oldest) reads straight off this index.
                CREATE INDEX cases_open_queue ON cases(priority_rank, seq)
                    WHERE state IN ('received','triaged','reviewed');

                CREATE TABLE case_counters (day TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;

                CREATE TABLE case_files (
                    case_id TEXT NOT NULL REFERENCES cases(id),
                    path TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    PRIMARY KEY (case_id, path)
                ) WITHOUT ROWID;

                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    case_id TEXT REFERENCES cases(id),
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    type TEXT NOT NULL,
                    from_state TEXT,
                    to_state TEXT,
                    detail TEXT NOT NULL DEFAULT '{}'
                );
                CREATE INDEX events_by_case ON events(case_id, id);

                CREATE TABLE rejections (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    upload_name TEXT NOT NULL,
                    submission_id TEXT,
                    code TEXT NOT NULL,
                    message TEXT NOT NULL,
                    quarantine TEXT UNIQUE,
                    duplicate_of TEXT REFERENCES cases(id)
                );

                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    type TEXT NOT NULL,
                    case_id TEXT REFERENCES cases(id),
                    rejection_id INTEGER REFERENCES rejections(id),
                    created_at TEXT NOT NULL,
                    data TEXT NOT NULL
                );

                CREATE TABLE letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    case_id TEXT NOT NULL REFERENCES cases(id),
                    created_at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    content BLOB NOT NULL
                );
                CREATE INDEX letters_by_case ON letters(case_id);
                """)
        }
        return migrator
    }
}
