-- SSO logins in flight and the SAML replay cache. Both are short-lived: a login lives minutes, a seen assertion
-- until its own NotOnOrAfter.
--
-- sso_logins: one row per started SSO login (prelogin), spent by the callback that completes it (DELETE ...
-- RETURNING: a second callback finds nothing). `id` is the SAML AuthnRequest ID (the response's InResponseTo) or
-- the SHA-256 of an OIDC `state`. `configuration_id` names the SSO configuration (or provider) it was started for;
-- `payload` is JSON (the OIDC nonce and PKCE verifier).
CREATE TABLE sso_logins (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    configuration_id TEXT NOT NULL,
    payload TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sso_logins_expiry ON sso_logins (expires_at);
-- seen_assertions: the SHA-256 of (issuer, assertion ID) of every SAML assertion consumed, until it expires; the
-- primary key makes a replay lose the insert on any node.
CREATE TABLE seen_assertions (
    id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX seen_assertions_expiry ON seen_assertions (expires_at);
