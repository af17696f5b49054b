//! The entities. Ids are typed ([`crate::ids`]): UUIDs, except a tenant's public `tenant_id`, which Frontegg lets
//! the client choose (yolk generates a UUID when none is given).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{CategoryId, MessageId, PermissionId, RoleId, SessionId, TenantId, UserId};

/// A tenant (Frontegg calls it an account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// Internal row id, returned as `id`.
    pub id: Uuid,
    /// The public tenant id, returned as `tenantId`; unique.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// JSON-encoded metadata object, or none.
    pub metadata: Option<String>,
    /// The parent in the sub-account hierarchy.
    pub parent_tenant_id: Option<TenantId>,
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
    pub fn new(tenant_id: TenantId, name: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::new_v4(),
            tenant_id,
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
    pub id: UserId,
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
    pub active_tenant_id: Option<TenantId>,
    pub last_login: Option<DateTime<Utc>>,
    /// A temporary user's expiry: from then on it cannot log in or refresh (`None`: permanent).
    pub temporary_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// Whether the user is a temporary user whose time is up at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.temporary_expires_at.is_some_and(|t| t <= now)
    }

    /// A new local user with only an email (may be empty for username-only users), unverified and unlocked,
    /// created at `now`; callers set the rest.
    pub fn new(email: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            id: UserId::new(),
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
            temporary_expires_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A user's membership in one tenant, with the roles held there.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub tenant_id: TenantId,
    pub roles: Vec<Role>,
    /// A disabled membership keeps the user in the tenant but refuses login to it.
    pub disabled: bool,
    /// An invitation of an existing account not yet accepted by the mailbox owner: the user is listed in the
    /// tenant (with the invited roles) but has no access to it. Accepting an invitation into an unverified account
    /// must also clear the password and sessions its owner never proved (see ARCHITECTURE.md, invariants).
    pub pending: bool,
    pub created_at: DateTime<Utc>,
}

impl Membership {
    /// Whether the membership lets the user into the tenant: enabled and not a pending invitation.
    pub fn grants_access(&self) -> bool {
        !self.disabled && !self.pending
    }
}

/// A role: a named set of permissions, environment-wide (`tenant_id` none) or owned by one tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub tenant_id: Option<TenantId>,
    pub level: i64,
    pub is_default: bool,
    pub first_user_role: bool,
    /// Ids of the permissions the role grants, sorted.
    pub permission_ids: Vec<PermissionId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A permission, referenced by its `key` in tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub id: PermissionId,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Option<CategoryId>,
    /// How tenants' own roles may use it.
    pub assignment_type: AssignmentType,
    /// Ids of the roles granting it, sorted.
    pub role_ids: Vec<RoleId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a permission may be used in tenants' own roles (Frontegg's classification).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignmentType {
    /// Never in a tenant's role.
    #[serde(rename = "NEVER")]
    Never,
    /// Added to every role a tenant creates.
    #[serde(rename = "ALWAYS")]
    Always,
    /// At the tenant's choice (Frontegg's default).
    #[default]
    #[serde(rename = "ASSIGNABLE")]
    Assignable,
}

impl AssignmentType {
    /// The wire (and stored) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "NEVER",
            Self::Always => "ALWAYS",
            Self::Assignable => "ASSIGNABLE",
        }
    }

    /// Parses the stored spelling; anything else (an unclassified permission) is `ASSIGNABLE`.
    pub fn from_stored(s: Option<&str>) -> Self {
        match s {
            Some("NEVER") => Self::Never,
            Some("ALWAYS") => Self::Always,
            _ => Self::Assignable,
        }
    }
}

/// A grouping of permissions for display.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionCategory {
    pub id: CategoryId,
    pub name: String,
    pub description: Option<String>,
    pub fe_category: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A login session: the thing a refresh token chain belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// An RS256 signing key as kept in the store (shared by every node).
///
/// Keys rotate: the ring holds every key not yet retired. The newest key whose `active_from` has passed signs;
/// all of them verify (by `kid`) and are published in the JWKS, including a rotated-in key that does not sign yet.
#[derive(Clone, PartialEq)]
pub struct SigningKey {
    pub kid: String,
    /// The private half as stored: PKCS#8 PEM in clear, or sealed with the master key.
    pub private_key: PrivateKey,
    /// SPKI PEM of the public key.
    pub public_pem: String,
    pub created_at: DateTime<Utc>,
    /// From when it signs: its creation for the first key; for a rotated-in key, late enough that every running
    /// node has loaded (and publishes) it before any node signs with it.
    pub active_from: DateTime<Utc>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("active_from", &self.active_from)
            .finish_non_exhaustive()
    }
}

/// The envelope of a signing key's private half: whether and how it is encrypted at rest.
#[derive(Clone, PartialEq)]
pub enum PrivateKey {
    /// PKCS#8 PEM in clear (no master key was configured when it was stored).
    Clear(String),
    /// Sealed with the master key: `scheme` names how (`yolk_core::keys::envelope`), `sealed` is that scheme's
    /// text (never the key).
    Sealed { scheme: String, sealed: String },
}

impl PrivateKey {
    /// The scheme name stored beside the key: `none` for a clear key.
    pub fn scheme(&self) -> &str {
        match self {
            Self::Clear(_) => Self::CLEAR,
            Self::Sealed { scheme, .. } => scheme,
        }
    }

    /// The stored text: the PEM for a clear key, the scheme's text for a sealed one.
    pub fn stored_text(&self) -> &str {
        match self {
            Self::Clear(pem) => pem,
            Self::Sealed { sealed, .. } => sealed,
        }
    }

    /// The envelope for a stored (scheme, text) pair.
    pub fn from_stored(scheme: String, text: String) -> Self {
        if scheme == Self::CLEAR { Self::Clear(text) } else { Self::Sealed { scheme, sealed: text } }
    }

    /// Whether it is sealed.
    pub fn is_sealed(&self) -> bool {
        matches!(self, Self::Sealed { .. })
    }

    /// The scheme name of a clear key.
    pub const CLEAR: &'static str = "none";
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.scheme())
    }
}

/// The environment's API credentials; the secret is kept only as a SHA-256 hash.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentCredentials {
    pub client_id: String,
    pub secret_sha256: String,
}

/// How a message reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    /// The name in the store and the API (`email`, `sms`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// The channel named `s` (see [`Channel::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// An email or SMS kept in the outbox: what would have been delivered had a channel been configured (a laptop, CI),
/// readable by the developer (`yolk outbox`, `GET /yolk/v1/outbox`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub channel: Channel,
    /// The address: an email address or a phone number.
    pub to: String,
    /// Emails only.
    pub subject: Option<String>,
    pub text: String,
    /// Emails only.
    pub html: Option<String>,
    pub created_at: DateTime<Utc>,
}
