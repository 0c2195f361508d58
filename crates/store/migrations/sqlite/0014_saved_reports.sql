-- Saved reports (issue 23): a report's parameters under a name, and when it is produced by
-- itself (`spec` is the application's JSON: dimension, periods, metrics, the range relative
-- to the run, the file's format, the schedule). `next_run` is when the schedule falls due
-- next (NULL: produced only when asked).
CREATE TABLE saved_reports (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    owner_id    INTEGER NOT NULL,
    spec        TEXT NOT NULL,
    next_run    INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX saved_reports_due ON saved_reports (tenant_id, next_run) WHERE next_run IS NOT NULL;

-- The files a saved report produced (under the data directory: `path` is relative to it),
-- with the range of days they cover. A file is written whole before its row; the row and the
-- report's next run are written in one transaction.
CREATE TABLE report_files (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    saved_id    INTEGER NOT NULL REFERENCES saved_reports (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER NOT NULL,
    produced_at INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    row_count   INTEGER NOT NULL,
    by_user     INTEGER
);
CREATE INDEX report_files_of ON report_files (tenant_id, saved_id, produced_at);
