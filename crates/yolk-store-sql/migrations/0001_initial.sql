-- yolk's schema. Portable between SQLite and PostgreSQL: ids and JSON as TEXT, times as BIGINT epoch
-- milliseconds, booleans as BIGINT 0/1 (sqlx's Any driver cannot decode SQLite BOOLEAN). Never edit an applied
-- migration: add a new file.

CREATE TABLE environment_credentials (
    id BIGINT PRIMARY KEY,
    client_id TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    slot TEXT UNIQUE,
    private_pem TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    metadata TEXT,
    parent_tenant_id TEXT REFERENCES tenants (tenant_id) ON DELETE SET NULL,
    alias TEXT UNIQUE,
    is_reseller BIGINT NOT NULL DEFAULT 0,
    profile TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tenants_parent ON tenants (parent_tenant_id);
CREATE INDEX tenants_created ON tenants (created_at);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT,
    email_norm TEXT UNIQUE,
    username TEXT UNIQUE,
    name TEXT,
    phone_number TEXT,
    profile_picture_url TEXT,
    metadata TEXT,
    external_id TEXT,
    provider TEXT NOT NULL,
    password_hash TEXT,
    verified BIGINT NOT NULL,
    locked BIGINT NOT NULL,
    super_user BIGINT NOT NULL,
    invisible BIGINT NOT NULL,
    active_tenant_id TEXT,
    last_login BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE memberships (
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    scope TEXT NOT NULL,
    tenant_id TEXT REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    level BIGINT NOT NULL,
    is_default BIGINT NOT NULL,
    first_user_role BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (scope, key)
);

CREATE TABLE permission_categories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    fe_category BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE permissions (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    category_id TEXT REFERENCES permission_categories (id) ON DELETE SET NULL,
    assignment_type TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id TEXT NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);
CREATE INDEX role_permissions_permission ON role_permissions (permission_id);

CREATE TABLE user_roles (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX user_roles_user ON user_roles (user_id);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    spent_at BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
