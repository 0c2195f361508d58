-- Sessions and API tokens, the audit log, and customers (one view of every customer).
-- Times are milliseconds since the Unix epoch, in UTC. Every row carries its tenant.

ALTER TABLE users ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- A login session (kind `cookie`, for browsers) or an API token (kind `bearer`). Only a hash
-- of the secret is kept, so a copy of the database logs nobody in.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    tenant_id    BIGINT REFERENCES tenants (id),
    kind         TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf         TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_tenant_live ON sessions (tenant_id, expires_at) WHERE revoked_at IS NULL;

-- Who did what, when: admin changes and every view of protected personal data.
CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT REFERENCES tenants (id),
    at           BIGINT NOT NULL,
    actor_id     BIGINT REFERENCES users (id),
    action       TEXT NOT NULL,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX audit_tenant ON audit_log (tenant_id, id);

-- A customer. Phones, e-mails and addresses are JSON arrays on the row; `customer_phones`
-- indexes the normalised numbers for the screen pop and for finding duplicates.
CREATE TABLE customers (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       BIGINT NOT NULL REFERENCES tenants (id),
    name            TEXT NOT NULL,
    phones          TEXT NOT NULL,
    emails          TEXT NOT NULL,
    addresses       TEXT NOT NULL,
    segment         TEXT NOT NULL,
    level           BIGINT NOT NULL,
    qualification   TEXT NOT NULL,
    id_number       TEXT,
    blacklisted     BOOLEAN NOT NULL DEFAULT FALSE,
    blacklist_reason TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    merged_into     BIGINT REFERENCES customers (id),
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX customers_tenant ON customers (tenant_id, id);
CREATE INDEX customers_id_number ON customers (tenant_id, id_number) WHERE id_number IS NOT NULL;

CREATE TABLE customer_phones (
    tenant_id    BIGINT NOT NULL,
    number       TEXT NOT NULL,
    customer_id  BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, number, customer_id)
);

-- What a department knows of a customer: finance (bank details), legal (contracts), sales
-- (purchases), service (devices, installation addresses).
CREATE TABLE customer_facets (
    tenant_id    BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    department   TEXT NOT NULL,
    data         TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, department)
);

-- A merge of two customer records, kept so it can be undone: the surviving record as it was
-- before, and the one absorbed (which stays, marked merged_into).
CREATE TABLE customer_merges (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT NOT NULL REFERENCES tenants (id),
    kept_id      BIGINT NOT NULL REFERENCES customers (id),
    absorbed_id  BIGINT NOT NULL REFERENCES customers (id),
    kept_before  TEXT NOT NULL,
    at           BIGINT NOT NULL,
    actor_id     BIGINT REFERENCES users (id),
    undone_at    BIGINT
);
CREATE INDEX customer_merges_tenant ON customer_merges (tenant_id, id);
