-- Background-style tasks on users (bulk invite, vendor bulk roles): the request does the work and keeps the
-- per-user report here, so `GET .../status/{id}` reads it. A task belongs to one tenant (a caller of another tenant
-- gets a 404) and goes with it. `report` is JSON.
CREATE TABLE user_tasks (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    report TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Temporary users: when set, the user cannot log in or refresh from this instant on (NULL: permanent).
ALTER TABLE users ADD COLUMN temporary_expires_at BIGINT;
