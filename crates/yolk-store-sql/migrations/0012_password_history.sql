-- Password lifecycle (issue 8): every password a user replaces is kept (its argon2id hash) so a history policy can
-- refuse reusing it, and the time a password was set, for rotation. A user whose password was never replaced has
-- no `password_changed_at`: its creation time stands for it.
CREATE TABLE password_history (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
