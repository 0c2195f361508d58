-- Sales leads (销售线索): each row is a lead as it is now, written in the same transaction as
-- the event that changed it; the events are its history (the lead's timeline, and the
-- dealers' scorecard). `data` is the whole lead; the columns beside it are what lists, a
-- dealer's own view and the reclaim sweep filter on.
CREATE TABLE leads (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    id           INTEGER NOT NULL,
    -- `open`, `offered`, `working`, `center_working`, `won`, `lost`.
    status       TEXT NOT NULL,
    -- The dealer who has it (offered, working) or closed it; NULL while with the center.
    dealer_id    INTEGER,
    customer_id  INTEGER,
    -- The agent who captured it, credited when it is won.
    captured_by  INTEGER,
    product_line TEXT NOT NULL,
    region       TEXT NOT NULL,
    journey      TEXT NOT NULL,
    -- `call`, `import`, `api`.
    source       TEXT NOT NULL,
    -- An outside system's id of a lead it sent (`expo2026:A-17`): imported once.
    external_id  TEXT,
    -- The dealer's deadline (accept or follow up): the reclaim sweep's.
    due_at       INTEGER,
    -- A win's amount in fen.
    amount       INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX leads_due ON leads (tenant_id, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX leads_dealer ON leads (tenant_id, dealer_id, status, id);
CREATE INDEX leads_status ON leads (tenant_id, status, id);
CREATE INDEX leads_customer ON leads (tenant_id, customer_id, id);
CREATE INDEX leads_captured ON leads (tenant_id, captured_by, id);
CREATE INDEX leads_id ON leads (id);
CREATE UNIQUE INDEX leads_external ON leads (tenant_id, external_id) WHERE external_id IS NOT NULL;

-- A lead's timeline reads the events that name it.
CREATE INDEX events_lead ON events (tenant_id, json_extract(payload, '$.lead_id'), seq);

-- The contact policy (R2.4). Every call the center places to a customer, when it was
-- placed: how often a customer was called today and this week is read from here.
CREATE TABLE contact_calls (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    customer_id INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    call_id     TEXT NOT NULL,
    -- `click`, `callback`, `revisit`, `lead`, `campaign`.
    purpose     TEXT NOT NULL,
    user_id     INTEGER,
    -- Set when a manager placed it past the policy's limits or hours, with the reason.
    override_reason TEXT
);
CREATE INDEX contact_calls_customer ON contact_calls (tenant_id, customer_id, at);

-- What a customer asked of the center's calls: not at all (免打扰), or only within hours.
CREATE TABLE contact_prefs (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    customer_id INTEGER NOT NULL,
    do_not_call BOOLEAN NOT NULL,
    -- Local `HH:MM`, both or neither.
    hours_from  TEXT,
    hours_to    TEXT,
    note        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER,
    PRIMARY KEY (tenant_id, customer_id)
);

-- The records merged into a customer (the contact policy reads them with every call placed).
CREATE INDEX customers_merged ON customers (tenant_id, merged_into) WHERE merged_into IS NOT NULL;
