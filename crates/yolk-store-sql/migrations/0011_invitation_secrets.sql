-- Invitation secrets name the tenant the invitation is for (issue 8): accepting one flips that membership's
-- `pending` off. NULL for every other purpose. A user may hold one live invitation per tenant.
ALTER TABLE one_time_secrets ADD COLUMN tenant_id TEXT;
