-- Reports' rollups (issue 23): one row per tenant, dimension, key and day (in the tenant's
-- time zone; `day` its first instant) holding the day's half hours side by side, their
-- measures (counts and sums of milliseconds, never ratios: formulas are applied when read, so
-- a tenant's change of formula applies to past data) packed in `data` (the store's encoding
-- of a list of integers; what each one means is the `reports` crate's). Built incrementally from
-- the event log by `app::reports`; `report_cursors` says how far, with the fold's state, in
-- the same transaction as the rows.
CREATE TABLE rollups (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    dim       TEXT NOT NULL,
    day       BIGINT NOT NULL,
    key       TEXT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, key)
);

-- The days' sums: what reports of days, weeks, months and years read. Written with the half
-- hours, in the same transaction.
CREATE TABLE rollups_daily (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    dim       TEXT NOT NULL,
    day       BIGINT NOT NULL,
    key       TEXT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, key)
);

CREATE TABLE report_cursors (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants (id),
    seq       BIGINT NOT NULL,
    agents    TEXT NOT NULL
);
