-- A tenant the platform has suspended (unpaid, closed): when, or NULL while active. Its
-- users cannot log in and its phones cannot register until it is resumed.
ALTER TABLE tenants ADD COLUMN suspended_at INTEGER;
