-- Signing keys at rest and in rotation.
-- `protection` says how `private_pem` holds the private half: `none` = the PKCS#8 PEM in clear (every key stored
-- before this migration), otherwise the name of the sealing scheme (`yolk_core::keys::envelope`) and
-- `private_pem` holds that scheme's text, never the key. The column keeps its name so that an older binary on the
-- same database fails on a sealed key (not a PEM) instead of on a missing column.
-- `active_from`: from when the key signs (a rotated-in key is published before it signs); existing keys have
-- signed since they were created.
ALTER TABLE signing_keys ADD COLUMN protection TEXT NOT NULL DEFAULT 'none';
ALTER TABLE signing_keys ADD COLUMN active_from BIGINT NOT NULL DEFAULT 0;
UPDATE signing_keys SET active_from = created_at;
