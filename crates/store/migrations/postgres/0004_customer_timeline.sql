-- A customer's timeline reads the events that name the customer in their payload. As text,
-- so that no payload can make the index expression (and with it an append) fail.
CREATE INDEX events_customer ON events (tenant_id, (payload->>'customer_id'), seq);
