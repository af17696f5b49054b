-- Single-use secrets sent to a user (issue 8: password reset now; activation, magic links and codes later). Only a
-- SHA-256 of the secret is kept. Each serves one purpose for one user, expires, is spent once, and dies after too
-- many wrong guesses; a new one replaces the user's unspent ones of the same purpose.
CREATE TABLE one_time_secrets (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX one_time_secrets_user ON one_time_secrets (user_id, purpose);
