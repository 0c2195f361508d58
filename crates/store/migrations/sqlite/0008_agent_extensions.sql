-- Phones register and calls ring by extension: find an agent's profile by it without
-- reading every profile of every tenant.
CREATE INDEX config_agent_extension ON config_items (json_extract(data, '$.extension'))
    WHERE kind = 'agent';
