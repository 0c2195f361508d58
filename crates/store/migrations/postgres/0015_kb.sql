-- The knowledge base (issue 24). An article as it stands now: the columns lists and filters
-- need, and `doc`, the runtime's JSON of the rest (body, tags, questions, products,
-- segments, validity). Every saved change is a version in `kb_versions`, written in the same
-- transaction as the article (`version` moves by one, a stale one refused), so any two can
-- be compared. The search index is made from these rows; nothing lives only in it.
CREATE TABLE kb_articles (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    title       TEXT NOT NULL,
    category    TEXT NOT NULL,
    status      TEXT NOT NULL,
    public      BOOLEAN NOT NULL,
    owner_id    BIGINT,
    doc         TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX kb_articles_of ON kb_articles (tenant_id, status, updated_at);

CREATE TABLE kb_versions (
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    article_id  BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    title       TEXT NOT NULL,
    category    TEXT NOT NULL,
    status      TEXT NOT NULL,
    public      BOOLEAN NOT NULL,
    doc         TEXT NOT NULL,
    by_user     BIGINT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- "This solved it": the article an agent used on a contact, with what they had searched. Those
-- searches become the article's learned questions (the recent ones: ranking learns from use
-- and forgets), and the marks feed first-contact resolution.
CREATE TABLE kb_solutions (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    article_id  BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    call_id     TEXT,
    query       TEXT NOT NULL,
    user_id     BIGINT,
    at          BIGINT NOT NULL
);
CREATE INDEX kb_solutions_recent ON kb_solutions (tenant_id, at);

-- Searches that found nothing, one row per text, counted: what the experts should write.
CREATE TABLE kb_misses (
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    query       TEXT NOT NULL,
    count       BIGINT NOT NULL,
    first_at    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, query)
);
