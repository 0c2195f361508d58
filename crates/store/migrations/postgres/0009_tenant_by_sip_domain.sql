-- Phones register to a tenant's SIP domain, compared as domains are (ASCII case-insensitive):
-- the registrar finds the tenant by it on every REGISTER.
CREATE INDEX tenants_sip_domain_lower ON tenants (lower(sip_domain));
