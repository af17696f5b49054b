-- SCIM 2.0 provisioning. A connection belongs to one tenant and goes with it; its bearer token is stored as the
-- SHA-256 of 256 random bits (UNIQUE: the token names the connection). `users_count` is the number of its
-- `scim_users` rows, kept by every transaction that adds or removes one (the SCIM list's `totalResults` and
-- `Users/count` without a count over the connection).
CREATE TABLE scim_connections (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    connection_name TEXT NOT NULL,
    source TEXT NOT NULL,
    sync_to_user_management BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    users_count BIGINT NOT NULL DEFAULT 0,
    last_sync BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX scim_connections_tenant ON scim_connections (tenant_id, created_at);

-- A provisioned user: the directory record of one connection. Its id is the id of the yolk user that backs it
-- when `member` (the connection synced it to user management: a user row and a membership in the connection's
-- tenant), else a fresh one. The filterable attributes are columns (normalized to lower case where SCIM compares
-- case-insensitively), each behind an index that starts with the connection; `resource` is the whole SCIM
-- resource as last written (JSON).
CREATE TABLE scim_users (
    id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES scim_connections (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    user_name_norm TEXT NOT NULL,
    external_id TEXT,
    display_name TEXT,
    display_name_norm TEXT,
    email TEXT,
    email_norm TEXT,
    active BIGINT NOT NULL,
    member BIGINT NOT NULL,
    resource TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (connection_id, user_name_norm)
);
CREATE INDEX scim_users_page ON scim_users (connection_id, created_at, id);
CREATE INDEX scim_users_external_id ON scim_users (connection_id, external_id);
CREATE INDEX scim_users_email ON scim_users (connection_id, email_norm);
CREATE INDEX scim_users_display_name ON scim_users (connection_id, display_name_norm);

-- A provisioned group of one connection, and its members (users of the same connection).
CREATE TABLE scim_groups (
    id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES scim_connections (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    display_name_norm TEXT NOT NULL,
    external_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX scim_groups_page ON scim_groups (connection_id, created_at, id);
CREATE INDEX scim_groups_display_name ON scim_groups (connection_id, display_name_norm);
CREATE INDEX scim_groups_external_id ON scim_groups (connection_id, external_id);

CREATE TABLE scim_group_members (
    group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES scim_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (user_id);
