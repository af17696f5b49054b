//! The entities. Ids are UUIDs except a tenant's `tenant_id`, which Frontegg lets the client choose (any string;
//! yolk generates a UUID when none is given).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tenant (Frontegg calls it an account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// Internal row id, returned as `id`.
    pub id: Uuid,
    /// The public tenant id, returned as `tenantId`; unique.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// JSON-encoded metadata object, or none.
    pub metadata: Option<String>,
    /// The parent in the sub-account hierarchy.
    pub parent_tenant_id: Option<String>,
    /// A unique login alias.
    pub alias: Option<String>,
    /// Whether the tenant may manage sub-accounts.
    pub is_reseller: bool,
    /// Descriptive attributes that nothing filters on.
    pub profile: TenantProfile,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last modification time.
    pub updated_at: DateTime<Utc>,
}

impl Tenant {
    /// A new root tenant with no metadata, alias or profile, created at `now`.
    pub fn new(tenant_id: impl Into<String>, name: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::new_v4(),
            tenant_id: tenant_id.into(),
            name: name.into(),
            metadata: None,
            parent_tenant_id: None,
            alias: None,
            is_reseller: false,
            profile: TenantProfile::default(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Descriptive tenant attributes (the spec's optional tenant fields), stored as one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantProfile {
    pub status: Option<String>,
    pub website: Option<String>,
    pub application_url: Option<String>,
    pub logo: Option<String>,
    pub logo_url: Option<String>,
    pub address: Option<String>,
    pub timezone: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub currency: Option<String>,
    pub creator_name: Option<String>,
    pub creator_email: Option<String>,
}

/// A user of the environment. Users belong to tenants through memberships.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    /// The email as given; uniqueness is on its lower-cased form.
    pub email: String,
    pub name: Option<String>,
    /// Optional unique username (username sign-up and login).
    pub username: Option<String>,
    pub phone_number: Option<String>,
    pub profile_picture_url: Option<String>,
    /// JSON-encoded metadata object, or none.
    pub metadata: Option<String>,
    pub external_id: Option<String>,
    /// Where the identity comes from (`local`, `saml`, `google`, ...).
    pub provider: String,
    pub verified: bool,
    pub locked: bool,
    pub super_user: bool,
    pub invisible: bool,
    /// The tenant the user last switched to; defaults to the first membership.
    pub active_tenant_id: Option<String>,
    pub last_login: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// A new local user with only an email (may be empty for username-only users), unverified and unlocked,
    /// created at `now`; callers set the rest.
    pub fn new(email: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::new_v4(),
            email: email.into(),
            name: None,
            username: None,
            phone_number: None,
            profile_picture_url: None,
            metadata: None,
            external_id: None,
            provider: "local".to_owned(),
            verified: false,
            locked: false,
            super_user: false,
            invisible: false,
            active_tenant_id: None,
            last_login: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A user's membership in one tenant, with the roles held there.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub tenant_id: String,
    pub roles: Vec<Role>,
    /// A disabled membership keeps the user in the tenant but refuses login to it.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A role: a named set of permissions, environment-wide (`tenant_id` none) or owned by one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub tenant_id: Option<String>,
    pub level: i64,
    pub is_default: bool,
    pub first_user_role: bool,
    /// Ids of the permissions the role grants.
    pub permission_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A permission, referenced by its `key` in tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Option<Uuid>,
    /// Frontegg's assignment classification (`NEVER`, `ALWAYS`, `ASSIGNABLE`).
    pub assignment_type: Option<String>,
    /// Ids of the roles granting it.
    pub role_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A grouping of permissions for display.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionCategory {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub fe_category: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A login session: the thing a refresh token chain belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub tenant_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// An RS256 signing key as kept in the store (shared by every node).
#[derive(Clone, PartialEq)]
pub struct SigningKey {
    pub kid: String,
    /// PKCS#8 PEM of the private key.
    pub private_pem: String,
    /// SPKI PEM of the public key.
    pub public_pem: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The environment's API credentials; the secret is kept only as a SHA-256 hash.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentCredentials {
    pub client_id: String,
    pub secret_sha256: String,
}
