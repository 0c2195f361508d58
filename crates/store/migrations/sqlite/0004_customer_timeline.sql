-- A customer's timeline reads the events that name the customer in their payload.
CREATE INDEX events_customer ON events (tenant_id, json_extract(payload, '$.customer_id'), seq);
