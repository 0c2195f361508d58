-- What departments want said to a customer (R2.4): a callback promised, a due payment, an
-- invitation, a satisfaction question. Each open topic waits, never dropped, until an agent
-- covers it in a call (`done_at`) — the contact tasks list every open topic of a customer,
-- with the closed-loop callbacks (回访) owed and the leads the center works, as one task.
CREATE TABLE contact_topics (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    customer_id BIGINT NOT NULL,
    -- `callback`, `payment`, `invitation`, `survey`, `other`.
    kind        TEXT NOT NULL,
    -- Who wants it: `service`, `sales`, `marketing`, `billing`.
    department  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    -- The call a caller asked to be called back on, when it is one.
    call_id     TEXT,
    not_before  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  BIGINT,
    done_at     BIGINT,
    done_by     BIGINT,
    outcome     TEXT
);
CREATE INDEX contact_topics_open ON contact_topics (tenant_id, customer_id) WHERE done_at IS NULL;
-- A callback a caller asked for is kept once, however often it is offered again.
CREATE UNIQUE INDEX contact_topics_call ON contact_topics (tenant_id, call_id)
    WHERE call_id IS NOT NULL AND done_at IS NULL;
