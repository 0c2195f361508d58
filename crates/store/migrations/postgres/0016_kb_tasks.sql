-- Second-line support for the knowledge base (issue 24). A task for the experts: an article
-- flagged as wrong, an article found missing, or a question an agent could not answer (二线支持),
-- with the call's context (JSON: caller, queue, IVR path, customer). It goes to the expert
-- who owns the category (`owner_id`; NULL: any expert), who answers the agent and may turn
-- the answer into an article (`article_id` then names it).
CREATE TABLE kb_tasks (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    article_id  BIGINT,
    category    TEXT NOT NULL,
    text        TEXT NOT NULL,
    call_id     TEXT,
    context     TEXT NOT NULL,
    asked_by    BIGINT,
    owner_id    BIGINT,
    answer      TEXT,
    answered_by BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX kb_tasks_open ON kb_tasks (tenant_id, status, id);

-- Where a solution was used: the queue and the last IVR node of its call, so articles that
-- solved calls like the one in progress can be suggested for it.
ALTER TABLE kb_solutions ADD COLUMN queue TEXT;
ALTER TABLE kb_solutions ADD COLUMN ivr_node TEXT;
CREATE INDEX kb_solutions_of_call ON kb_solutions (tenant_id, call_id);
