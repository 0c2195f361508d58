-- A tenant the platform has suspended (unpaid, closed): when, or NULL while active. Its
-- users cannot log in and its phones cannot register until it is resumed.
ALTER TABLE tenants ADD COLUMN suspended_at BIGINT;

-- A configuration document's versions, read from its audit rows (each keeps the document
-- as saved): the IVR designer's history and rollback.
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_kind, target_id, id);

-- A customer's numbers, for the customer list's search by part of a number.
CREATE INDEX customer_phones_customer ON customer_phones (tenant_id, customer_id);
