-- Multi-factor authentication (issue 8). A user's second factors: authenticator apps (a TOTP key and the last time
-- step accepted, so a code works once) and phones for SMS codes. One recovery code per user (SHA-256 only) turns
-- MFA off when every factor is lost. Challenges are the short-lived, single-use secrets of a login or enrolment in
-- progress: the `mfaToken` of a login waiting for its second factor, a TOTP key waiting for its first code, a code
-- sent by email or SMS (found by its `otcToken`'s hash; the code's hash in the payload). A remembered device skips
-- the second factor until it expires.
CREATE TABLE mfa_devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    totp_secret TEXT,
    phone_number TEXT,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);

CREATE TABLE mfa_recovery_codes (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE mfa_challenges (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    payload TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id, kind);

CREATE TABLE mfa_remembered_devices (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX mfa_remembered_devices_user ON mfa_remembered_devices (user_id);
