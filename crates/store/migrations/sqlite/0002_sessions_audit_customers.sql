-- Sessions and API tokens, the audit log, and customers (one view of every customer).
-- Times are milliseconds since the Unix epoch, in UTC. Every row carries its tenant.

ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- A login session (kind `cookie`, for browsers) or an API token (kind `bearer`). Only a hash
-- of the secret is kept, so a copy of the database logs nobody in.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    tenant_id    INTEGER REFERENCES tenants (id),
    kind         TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf         TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_tenant_live ON sessions (tenant_id, expires_at) WHERE revoked_at IS NULL;

-- Who did what, when: admin changes and every view of protected personal data.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER REFERENCES tenants (id),
    at           INTEGER NOT NULL,
    actor_id     INTEGER REFERENCES users (id),
    action       TEXT NOT NULL,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX audit_tenant ON audit_log (tenant_id, id);

-- A customer. Phones, e-mails and addresses are JSON arrays on the row; `customer_phones`
-- indexes the normalised numbers for the screen pop and for finding duplicates.
CREATE TABLE customers (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    name            TEXT NOT NULL,
    phones          TEXT NOT NULL,
    emails          TEXT NOT NULL,
    addresses       TEXT NOT NULL,
    segment         TEXT NOT NULL,
    level           INTEGER NOT NULL,
    qualification   TEXT NOT NULL,
    id_number       TEXT,
    blacklisted     INTEGER NOT NULL DEFAULT 0,
    blacklist_reason TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    merged_into     INTEGER REFERENCES customers (id),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX customers_tenant ON customers (tenant_id, id);
CREATE INDEX customers_id_number ON customers (tenant_id, id_number) WHERE id_number IS NOT NULL;

CREATE TABLE customer_phones (
    tenant_id    INTEGER NOT NULL,
    number       TEXT NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, number, customer_id)
);

-- What a department knows of a customer: finance (bank details), legal (contracts), sales
-- (purchases), service (devices, installation addresses).
CREATE TABLE customer_facets (
    tenant_id    INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    department   TEXT NOT NULL,
    data         TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, department)
);

-- A merge of two customer records, kept so it can be undone: the surviving record as it was
-- before, and the one absorbed (which stays, marked merged_into).
CREATE TABLE customer_merges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    kept_id      INTEGER NOT NULL REFERENCES customers (id),
    absorbed_id  INTEGER NOT NULL REFERENCES customers (id),
    kept_before  TEXT NOT NULL,
    at           INTEGER NOT NULL,
    actor_id     INTEGER REFERENCES users (id),
    undone_at    INTEGER
);
CREATE INDEX customer_merges_tenant ON customer_merges (tenant_id, id);
