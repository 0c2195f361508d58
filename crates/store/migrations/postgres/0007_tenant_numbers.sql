-- The numbers callers dial (DIDs, 400 numbers, service numbers): each reaches one tenant.
CREATE TABLE tenant_numbers (
    number      TEXT PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX tenant_numbers_tenant ON tenant_numbers (tenant_id);
