-- The contact center's configuration: skills, queues, teams and agents' routing profiles, each
-- a JSON document under a key the tenant chooses, with a version for concurrent edits.
CREATE TABLE config_items (
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    data        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, key)
);
