-- Failed password attempts since the last success, for the lockout policy: an attempt is reserved (counted) before
-- the password is checked, so concurrent guesses cannot exceed the policy's maximum (issue 6, brute force).
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
