-- Tenant invitation links (issue 8): a token anyone holding it may use to sign up into one tenant. The token is
-- kept as it is (256 random bits), because the API answers it back (`GET /tenants/invites/v1/all`,
-- `.../invites/v1/user`); it grants nothing but joining that tenant as a new user. `user_id` is the member whose own
-- link it is (one per member and tenant), NULL for a link the environment made. `role_ids` is a JSON array.
CREATE TABLE tenant_invites (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    should_send_email BIGINT NOT NULL,
    role_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tenant_invites_user ON tenant_invites (tenant_id, user_id);
CREATE INDEX tenant_invites_created ON tenant_invites (created_at);
-- Activation and invitation codes (the `code` strategies): a 6-digit code's SHA-256, kept on the link's secret, so
-- the code works only together with that secret's token and shares its expiry, single use and guess count.
ALTER TABLE one_time_secrets ADD COLUMN code_hash TEXT;
