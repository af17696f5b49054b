-- SSO configuration (team/sso.json). A tenant has any number of configurations (SAML or OIDC); each has domains,
-- default roles and IdP-group mappings, all deleted with it (and it with its tenant). Role references cascade, so a
-- deleted role leaves no mapping behind. `config_metadata` is JSON.
CREATE TABLE sso_configurations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    sso_endpoint TEXT NOT NULL,
    public_certificate TEXT NOT NULL,
    sign_request BIGINT NOT NULL,
    acs_url TEXT NOT NULL,
    sp_entity_id TEXT NOT NULL,
    oidc_client_id TEXT NOT NULL,
    oidc_secret TEXT NOT NULL,
    config_metadata TEXT NOT NULL,
    override_active_tenant BIGINT NOT NULL,
    sub_account_access_limit BIGINT NOT NULL,
    idp_client_id TEXT NOT NULL,
    idp_client_secret TEXT NOT NULL,
    generated_verification TEXT NOT NULL,
    skip_email_domain_validation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sso_configurations_tenant ON sso_configurations (tenant_id, created_at);
CREATE INDEX sso_configurations_enabled ON sso_configurations (enabled);

-- A domain of a configuration (lower case). `claim` is set only while the domain is validated: the domain itself
-- when one validated owner is allowed (the default), `<domain>|<tenantId>` when the environment allows several
-- tenants per domain (multiple-sso-per-domain). Its UNIQUE constraint is the uniqueness of a validated domain.
CREATE TABLE sso_domains (
    id TEXT PRIMARY KEY,
    configuration_id TEXT NOT NULL REFERENCES sso_configurations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    validated BIGINT NOT NULL,
    txt_record TEXT NOT NULL,
    claim TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (configuration_id, domain)
);
-- Login's lookup (password-login enforcement, the SSO login flows): validated domains by name.
CREATE INDEX sso_domains_domain ON sso_domains (domain, validated);

CREATE TABLE sso_default_roles (
    configuration_id TEXT NOT NULL REFERENCES sso_configurations (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (configuration_id, role_id)
);
CREATE INDEX sso_default_roles_role ON sso_default_roles (role_id);

CREATE TABLE sso_groups (
    id TEXT PRIMARY KEY,
    configuration_id TEXT NOT NULL REFERENCES sso_configurations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (configuration_id, name)
);

CREATE TABLE sso_group_roles (
    group_id TEXT NOT NULL REFERENCES sso_groups (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX sso_group_roles_role ON sso_group_roles (role_id);

-- Addresses that may still log in with a password although their domain is under SSO (environment-wide).
CREATE TABLE sso_excluded_emails (
    email_norm TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The environment's SAML service-provider key: an RSA key (PKCS#8 PEM) and its self-signed certificate (PEM),
-- one row (`slot` = 'primary'), created once by whichever node needs it first. `protection` is as for
-- `signing_keys`: `none` (clear PEM) or the scheme the master key sealed `private_key` with.
CREATE TABLE sso_sp_keys (
    slot TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    protection TEXT NOT NULL,
    certificate TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
