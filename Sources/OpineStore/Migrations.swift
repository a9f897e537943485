import GRDB
import OpineCore

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
        migrator.registerMigration("v2-webhook-deliveries") { db in
            try db.execute(sql: """
                -- Set when the event is fanned out to the endpoints that want it; the same id goes on every attempt
                -- to every endpoint, so receivers can de-duplicate.
                ALTER TABLE outbox ADD COLUMN webhook_id TEXT;
                CREATE INDEX outbox_not_fanned_out ON outbox(id) WHERE webhook_id IS NULL;

                -- One event for one endpoint. `ordering_key` (the case, or the rejection) keeps one case's events in
                -- order per endpoint.
                CREATE TABLE deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
                    endpoint TEXT NOT NULL,
                    ordering_key TEXT NOT NULL,
                    priority_rank INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending','failed','delivered','dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL,
                    created_at TEXT NOT NULL,
                    finished_at TEXT,
                    last_status INTEGER,
                    last_error TEXT,
                    UNIQUE (outbox_id, endpoint)
                );
                CREATE INDEX deliveries_open_by_group ON deliveries(endpoint, ordering_key, id)
                    WHERE state IN ('pending','failed');
                CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state IN ('pending','failed');
                CREATE INDEX deliveries_dead_by_group ON deliveries(endpoint, ordering_key) WHERE state = 'dead';
                CREATE INDEX deliveries_by_state ON deliveries(state, id);
                CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint, state, id);
                CREATE INDEX deliveries_by_outbox ON deliveries(outbox_id);
                CREATE INDEX deliveries_by_case ON deliveries(ordering_key, id);

                CREATE TABLE delivery_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
                    started_at TEXT NOT NULL,
                    duration_ms INTEGER NOT NULL,
                    status INTEGER,
                    error TEXT,
                    response_excerpt TEXT
                );
                CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts(delivery_id, id);

                -- Health of each endpoint, kept across restarts; `opine endpoints enable` clears a disable or pause.
                CREATE TABLE endpoint_health (
                    name TEXT PRIMARY KEY,
                    disabled_at TEXT,
                    disabled_reason TEXT,
                    failing_since REAL,
                    failures_in_row INTEGER NOT NULL DEFAULT 0,
                    paused_until REAL,
                    last_success_at TEXT,
                    last_failure_at TEXT
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3-audit-chain") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN prev_hash TEXT;
                ALTER TABLE events ADD COLUMN hash TEXT;
                """)
            // Chain the events written before this migration, in order.
            var previous = AuditChain.genesis
            for var event in try EventRecord.order(EventRecord.Columns.id).fetchAll(db) {
                event.prevHash = previous
                event.hash = AuditChain.hash(event, previous: previous)
                try event.update(db, columns: ["prev_hash", "hash"])
                previous = event.hash!
            }
            try db.execute(sql: """
                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be changed'); END;
                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be deleted'); END;
                PRAGMA application_id = \(AuditChain.applicationID);
                PRAGMA user_version = 3;
                """)
        }
        migrator.registerMigration("v4-stored-file-hash") { db in
            // The SHA-256 of the bytes kept, where intake changed them (a DICOM preamble zeroed); NULL when they are
            // the bytes the manifest lists.
            try db.execute(sql: """
                ALTER TABLE case_files ADD COLUMN stored_sha256 TEXT;
                PRAGMA user_version = 4;
                """)
        }
        migrator.registerMigration("v5-delivery-queue-index") { db in
            // The due query walks open deliveries in send order (emergencies first) and stops at its limit; without
            // this it sorted every open delivery on each pass: 12 ms a pass with 20,000 queued (BENCHMARKS.md).
            try db.execute(sql: """
                CREATE INDEX deliveries_open_queue ON deliveries(endpoint, priority_rank, id)
                    WHERE state IN ('pending','failed');
                PRAGMA user_version = 5;
                """)
        }
        migrator.registerMigration("v6-case-counts") { db in
            // Counts by state and priority kept by triggers, so `opine stats`, STATUS= and the metrics read a few
            // rows instead of counting every case (70 ms at a million cases, BENCHMARKS.md).
            try db.execute(sql: """
                CREATE TABLE case_counts (
                    state TEXT NOT NULL,
                    priority_rank INTEGER NOT NULL,
                    n INTEGER NOT NULL,
                    PRIMARY KEY (state, priority_rank)
                ) WITHOUT ROWID;
                INSERT INTO case_counts SELECT state, priority_rank, COUNT(*) FROM cases GROUP BY state, priority_rank;
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
                PRAGMA user_version = 6;
                """)
        }
        migrator.registerMigration("v7-json-arrays") { db in
            // Regions, symptoms and prior treatments were joined with commas; they are JSON arrays now, as GRDB
            // stores a Codable array. Every value is a code of [a-z_], so quoting each item is exact.
            for column in ["regions", "symptoms", "prior_treatments"] {
                try db.execute(sql: """
                    UPDATE cases SET \(column) = CASE WHEN \(column) = '' THEN '[]'
                        ELSE '["' || replace(\(column), ',', '","') || '"]' END
                    WHERE \(column) NOT LIKE '[%'
                    """)
            }
            try db.execute(sql: "PRAGMA user_version = 7")
        }
        migrator.registerMigration("v8-outbox-priority") { db in
            // The send order known at intake is kept with the event, so fan-out does not decode `data` to learn it.
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 2;
                UPDATE outbox SET priority_rank = CASE
                    WHEN type = 'case.emergency' THEN 0
                    ELSE CASE json_extract(data, '$.priority') WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END
                END;
                PRAGMA user_version = 8;
                """)
        }
        migrator.registerMigration("v9-resends", foreignKeyChecks: .deferred) { db in try resends(db) }
        migrator.registerMigration("v10-turnaround-clocks") { db in
            // Due times are not stored: they follow from received_at, priority, state and the configuration
            // (TurnaroundPolicy). What is stored is what the clock sweep sent, so each notice goes once: the state a
            // case.overdue was sent for, and when an untriaged emergency was last announced again.
            // `cases_open_by_receipt` answers "open cases of this state and priority received before T" (overdue
            // lists, counts and the re-announce candidates) by a range; `cases_overdue_unnoticed` holds only open
            // cases whose current state has had no notice, so a sweep never walks the ones already told.
            try db.execute(sql: """
                ALTER TABLE cases ADD COLUMN overdue_notified_state TEXT;
                ALTER TABLE cases ADD COLUMN emergency_announced_at TEXT;
                CREATE INDEX cases_open_by_receipt ON cases(state, priority_rank, received_at)
                    WHERE state IN ('received','triaged','reviewed');
                CREATE INDEX cases_overdue_unnoticed ON cases(state, priority_rank, received_at)
                    WHERE state IN ('received','triaged','reviewed') AND overdue_notified_state IS NOT state;
                PRAGMA user_version = 10;
                """)
        }
        migrator.registerMigration("v11-conversation", foreignKeyChecks: .deferred) { db in try conversation(db) }
        migrator.registerMigration("v12-search") { db in try db.execute(sql: searchV12) }
        migrator.registerMigration("v13-study-summary") { db in try db.execute(sql: studyV13) }
        migrator.registerMigration("v14-lifecycle") { db in try db.execute(sql: lifecycleV14) }
        migrator.registerMigration("v15-rejection-feedback") { db in try db.execute(sql: feedbackV15) }
        return migrator
    }
}
