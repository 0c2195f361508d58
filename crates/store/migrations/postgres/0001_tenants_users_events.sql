-- Tenants (the companies renting seats), their users, and the event log.
-- Times are milliseconds since the Unix epoch, in UTC.

CREATE TABLE tenants (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    seat_quota  BIGINT NOT NULL CHECK (seat_quota >= 0),
    sip_domain  TEXT NOT NULL UNIQUE,
    time_zone   TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    locale      TEXT NOT NULL DEFAULT 'zh-CN',
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    -- NULL for platform administrators, who belong to no tenant.
    tenant_id     BIGINT REFERENCES tenants (id),
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, username) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX users_platform_username ON users (username) WHERE tenant_id IS NULL;

-- Append-only. `id` is chosen by the producer and makes appends idempotent; `seq` orders the
-- log for readers that resume where they stopped.
CREATE TABLE events (
    seq        BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    payload    JSONB NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
