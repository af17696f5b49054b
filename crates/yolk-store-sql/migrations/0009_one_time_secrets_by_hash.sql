-- Secrets presented without a user id (a magic link's token) are found by their hash.
CREATE INDEX one_time_secrets_hash ON one_time_secrets (secret_hash);
