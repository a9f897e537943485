import GRDB

extension Migrations {
    /// `v14-lifecycle`: retention and legal holds. A case under hold (`held_since`, `held_by`, `hold_reason`) is never
    /// purged. The purge is two steps, each marked, so a crash between them is finished by the next purge: `purged_at`
    /// (the tombstones are written and the patient fields scrubbed, in one transaction) and `files_removed_at` (the
    /// files are gone). `case_files.purged_at` tells `opine verify` the file is gone on purpose (its tombstone in the
    /// chain must agree); `purged_folders` remembers set-aside folders tombstoned in `orphaned/`. The partial indexes
    /// hold only what the purge still has to look at, and `delivery_attempts_by_time` lets old attempts go by range.
    static let lifecycleV14 = """
            ALTER TABLE cases ADD COLUMN held_since TEXT;
            ALTER TABLE cases ADD COLUMN held_by TEXT;
            ALTER TABLE cases ADD COLUMN hold_reason TEXT;
            ALTER TABLE cases ADD COLUMN purged_at TEXT;
            ALTER TABLE cases ADD COLUMN files_removed_at TEXT;
            CREATE INDEX cases_closed_unpurged ON cases(closed_at)
                WHERE closed_at IS NOT NULL AND purged_at IS NULL AND state IN ('responded','withdrawn');
            CREATE INDEX cases_files_to_remove ON cases(purged_at) WHERE purged_at IS NOT NULL AND files_removed_at IS NULL;
            ALTER TABLE case_files ADD COLUMN purged_at TEXT;
            ALTER TABLE rejections ADD COLUMN purged_at TEXT;
            ALTER TABLE rejections ADD COLUMN removed_at TEXT;
            CREATE INDEX rejections_unpurged ON rejections(at) WHERE purged_at IS NULL;
            CREATE INDEX rejections_to_remove ON rejections(purged_at) WHERE purged_at IS NOT NULL AND removed_at IS NULL;
            CREATE TABLE purged_folders (
                folder TEXT PRIMARY KEY,
                purged_at TEXT NOT NULL,
                removed_at TEXT,
                event_id INTEGER NOT NULL REFERENCES events(id)
            ) WITHOUT ROWID;
            CREATE INDEX delivery_attempts_by_time ON delivery_attempts(started_at);
            PRAGMA user_version = 14;
        """
}
