-- A user's addresses, email changes and phone numbers (issue: user emails, usernames, phone numbers).
--
-- `user_emails` holds every address of every user, the login address (`users.email`) included: its row is written
-- in the same transaction as the user row by every path that sets `users.email`. `claim` is the normalized address
-- while the user holds it (its login address, or a verified secondary one) and NULL while an added address waits
-- for its code, so the one UNIQUE index on `claim` makes an address belong to at most one user, across login and
-- secondary addresses, without letting an unproved address block its owner. The code of an added address is kept
-- as SHA-256 with an expiry and a count of wrong guesses.
CREATE TABLE user_emails (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    claim TEXT UNIQUE,
    verified BIGINT NOT NULL,
    code_hash TEXT,
    code_expires_at BIGINT,
    code_failures BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, email_norm)
);
CREATE INDEX user_emails_page ON user_emails (created_at, id);
INSERT INTO user_emails (id, user_id, email, email_norm, claim, verified, code_hash, code_expires_at, code_failures,
                         created_at, updated_at)
SELECT id, id, email, email_norm, email_norm, verified, NULL, NULL, 0, created_at, updated_at
FROM users WHERE email_norm IS NOT NULL;

-- A user's pending change of its login address: the new address and the SHA-256 of the code sent to it. One per
-- user (a new request replaces it); it claims nothing until the code is used.
CREATE TABLE email_changes (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0
);

-- Phone numbers a user holds (set by the environment: pre-verified). A number belongs to at most one user.
CREATE TABLE user_phone_numbers (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number TEXT NOT NULL UNIQUE,
    verified BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX user_phone_numbers_user ON user_phone_numbers (user_id);
