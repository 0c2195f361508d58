-- Views of the log by kind: call detail records (`call.ended`), agent-state history.
CREATE INDEX events_kind ON events (tenant_id, kind, at);
