-- WebAuthn (issue 8): security keys and platform authenticators as second factors, and passkeys as a sign-in of
-- their own.
--
-- A WebAuthn second factor is an `mfa_devices` row of kind `webauthn`: `credential_id` is the credential's id
-- (base64url) and `webauthn` the verified credential as the WebAuthn library keeps it (its public key and signature
-- counter, JSON). A credential id names one credential: the UNIQUE index holds across users (NULL for the other
-- kinds, which SQLite and PostgreSQL both let repeat).
ALTER TABLE mfa_devices ADD COLUMN credential_id TEXT;
ALTER TABLE mfa_devices ADD COLUMN webauthn TEXT;
CREATE UNIQUE INDEX mfa_devices_credential ON mfa_devices (credential_id);

-- Passkeys (`users/webauthn/v1/devices`): discoverable credentials a user signs in with, without a password. They
-- are not second factors: MFA recovery and the environment's unenrol leave them alone.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    credential TEXT NOT NULL,
    device_type TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);
