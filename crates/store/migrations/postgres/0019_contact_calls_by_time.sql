-- The calls of a tenant's last days, read when its contact book is loaded into memory.
CREATE INDEX contact_calls_at ON contact_calls (tenant_id, at);
