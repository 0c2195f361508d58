-- Saved reports (issue 23): a report's parameters under a name, and when it is produced by
-- itself (`spec` is the application's JSON: dimension, periods, metrics, the range relative
-- to the run, the file's format, the schedule). `next_run` is when the schedule falls due
-- next (NULL: produced only when asked).
CREATE TABLE saved_reports (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    owner_id    BIGINT NOT NULL,
    spec        TEXT NOT NULL,
    next_run    BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX saved_reports_due ON saved_reports (tenant_id, next_run) WHERE next_run IS NOT NULL;

-- The files a saved report produced (under the data directory: `path` is relative to it),
-- with the range of days they cover. A file is written whole before its row; the row and the
-- report's next run are written in one transaction.
CREATE TABLE report_files (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    saved_id    BIGINT NOT NULL REFERENCES saved_reports (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    from_ms     BIGINT NOT NULL,
    to_ms       BIGINT NOT NULL,
    produced_at BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    row_count   BIGINT NOT NULL,
    by_user     BIGINT
);
CREATE INDEX report_files_of ON report_files (tenant_id, saved_id, produced_at);
