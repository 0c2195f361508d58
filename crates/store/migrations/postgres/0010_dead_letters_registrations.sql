-- Events the log could not take (they failed their checks, or the database refused them for
-- good): kept here for an operator, so a poison record never blocks the writes behind it.
-- No foreign key: a refused event may name a tenant that does not exist. The payload is the
-- JSON text as produced (a NUL stays escaped), which any text column can hold.
CREATE TABLE dead_letters (
    seq        BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL,
    id         TEXT NOT NULL,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    set_aside  BIGINT NOT NULL
);

-- Where each extension's phones are (REGISTER bindings), so a restart does not take agents
-- off the air until their phones re-register. Written before the 200 OK goes out.
CREATE TABLE registrations (
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    extension   TEXT NOT NULL,
    contact     TEXT NOT NULL,
    source      TEXT NOT NULL,
    transport   TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    call_id     TEXT NOT NULL,
    cseq        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, extension, contact)
);
