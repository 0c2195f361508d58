-- Work orders (工单): each row is an order as it is now, written in the same transaction as
-- the event that changed it; the events are its history (the order's timeline). `data` is
-- the whole order; the columns beside it are what lists filter and sort on.
CREATE TABLE orders (
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    id          BIGINT NOT NULL,
    order_type  TEXT NOT NULL,
    category    TEXT NOT NULL,
    priority    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    grp         TEXT,
    handler_id  BIGINT,
    customer_id BIGINT,
    region      TEXT NOT NULL,
    title       TEXT NOT NULL,
    -- The business system's own id of an order it sent (`billing:A-1029`), so a retried
    -- webhook takes in one order.
    external_id TEXT,
    -- When the SLA sweep must look at it next (a warning or a breach falls due); NULL when
    -- no clock runs.
    next_due    BIGINT,
    due_at      BIGINT,
    breached    BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX orders_due ON orders (tenant_id, next_due) WHERE next_due IS NOT NULL;
CREATE INDEX orders_status ON orders (tenant_id, status, id);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id, id);
CREATE INDEX orders_group ON orders (tenant_id, grp, status, id);
CREATE INDEX orders_handler ON orders (tenant_id, handler_id, status, id);
-- The board's breached orders, an order type's list, and order numbers continued.
CREATE INDEX orders_breached ON orders (tenant_id, id) WHERE breached;
CREATE INDEX orders_type ON orders (tenant_id, order_type, status, id);
CREATE INDEX orders_id ON orders (id);
CREATE UNIQUE INDEX orders_external ON orders (tenant_id, external_id) WHERE external_id IS NOT NULL;

-- An order's timeline reads the events that name it (as text, like the customer's).
CREATE INDEX events_order ON events (tenant_id, (payload->>'order_id'), seq);
