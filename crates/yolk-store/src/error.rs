//! The store's closed error type: what was missing or what clashed is a value, never a string to match.

/// An entity the store can fail to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Tenant,
    /// The parent a tenant was to be placed under.
    ParentTenant,
    User,
    /// A user's membership in a tenant.
    Membership,
    Role,
    Permission,
    Category,
    Session,
    /// A settings document.
    Setting,
    /// A user's MFA device.
    MfaDevice,
    /// One of a user's email addresses.
    UserEmail,
    /// A username.
    Username,
    /// One of a user's phone numbers.
    PhoneNumber,
    /// A tenant invitation link.
    TenantInvite,
    /// A task on users (bulk invite, bulk roles).
    Task,
    /// A tenant's SSO configuration.
    SsoConfiguration,
    /// A domain of an SSO configuration.
    SsoDomain,
    /// An IdP group mapping of an SSO configuration.
    SsoGroup,
    /// An SSO-excluded email.
    SsoExcludedEmail,
    /// A SCIM connection (provisioning configuration).
    ScimConnection,
    /// A SCIM-provisioned user of a connection.
    ScimUser,
    /// A SCIM-provisioned group of a connection.
    ScimGroup,
    /// A social login provider.
    SocialProvider,
}

impl Entity {
    /// The client message for a missing entity.
    pub fn not_found_message(self) -> &'static str {
        match self {
            Self::Tenant => "Tenant not found",
            Self::ParentTenant => "Parent tenant not found",
            Self::User => "User not found",
            Self::Membership => "User is not a member of this tenant",
            Self::Role => "Role not found",
            Self::Permission => "Permission not found",
            Self::Category => "Category not found",
            Self::Session => "Session not found",
            Self::Setting => "Configuration not found",
            Self::MfaDevice => "MFA device not found",
            Self::UserEmail => "Email not found",
            Self::Username => "Username not found",
            Self::PhoneNumber => "Phone number not found",
            Self::TenantInvite => "Invitation not found",
            Self::Task => "Task not found",
            Self::SsoConfiguration => "SSO configuration not found",
            Self::SsoDomain => "SSO domain not found",
            Self::SsoGroup => "SSO group not found",
            Self::SsoExcludedEmail => "Excluded email not found",
            Self::ScimConnection => "SCIM configuration not found",
            Self::ScimUser => "Resource not found",
            Self::ScimGroup => "Resource not found",
            Self::SocialProvider => "Social provider not found",
        }
    }

    /// The entity's name for messages: `User`, `Tenant`, ...
    pub fn name(self) -> &'static str {
        match self {
            Self::Tenant => "Tenant",
            Self::ParentTenant => "Parent tenant",
            Self::User => "User",
            Self::Membership => "Membership",
            Self::Role => "Role",
            Self::Permission => "Permission",
            Self::Category => "Category",
            Self::Session => "Session",
            Self::Setting => "Setting",
            Self::MfaDevice => "MFA device",
            Self::UserEmail => "Email",
            Self::Username => "Username",
            Self::PhoneNumber => "Phone number",
            Self::TenantInvite => "Invitation",
            Self::Task => "Task",
            Self::SsoConfiguration => "SSO configuration",
            Self::SsoDomain => "SSO domain",
            Self::SsoGroup => "SSO group",
            Self::SsoExcludedEmail => "Excluded email",
            Self::ScimConnection => "SCIM configuration",
            Self::ScimUser => "SCIM user",
            Self::ScimGroup => "SCIM group",
            Self::SocialProvider => "Social provider",
        }
    }
}

/// A uniqueness rule the store enforces (a database constraint, never check-then-insert).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// A tenant's public id.
    TenantId,
    /// A tenant's login alias.
    TenantAlias,
    /// A user's email (case-insensitive).
    UserEmail,
    /// A user's username.
    Username,
    /// One membership per user and tenant.
    Membership,
    /// A role key within its scope (the environment, or one tenant), including a tenant role taking an
    /// environment role's key.
    RoleKey,
    /// A permission key.
    PermissionKey,
    /// A permission category id.
    CategoryId,
    /// A settings document that already exists (create-if-absent).
    Setting,
    /// An address the user already has among its addresses.
    OwnEmail,
    /// A phone number (one user holds it).
    PhoneNumber,
    /// A WebAuthn credential (registered once, by one user).
    WebAuthnCredential,
    /// A phone number the user already has among its numbers.
    OwnPhoneNumber,
    /// A validated SSO domain (one owner, unless the environment allows several tenants per domain).
    SsoDomain,
    /// A domain the SSO configuration has already.
    SsoDomainInConfiguration,
    /// An IdP group the SSO configuration maps already.
    SsoGroup,
    /// An email already excluded from SSO.
    SsoExcludedEmail,
    /// A SCIM user's `userName` within its connection (case-insensitive).
    ScimUserName,
}

impl Constraint {
    /// The client message for a uniqueness rule that refused a change.
    pub fn message(self) -> &'static str {
        match self {
            Self::TenantId => "Tenant with this id already exists",
            Self::TenantAlias => "Tenant alias already in use",
            Self::UserEmail => "User with this email already exists",
            Self::Username => "User with this username already exists",
            Self::Membership => "User is already a member of this tenant",
            Self::RoleKey => "Role with this key already exists",
            Self::PermissionKey => "Permission with this key already exists",
            Self::CategoryId => "Category with this id already exists",
            Self::Setting => "Configuration already exists",
            Self::OwnEmail => "The user already has this email",
            Self::PhoneNumber => "Phone number already in use",
            Self::WebAuthnCredential => "This authenticator is already registered",
            Self::OwnPhoneNumber => "The user already has this phone number",
            Self::SsoDomain => "This domain is already validated for another SSO configuration",
            Self::SsoDomainInConfiguration => "The SSO configuration already has this domain",
            Self::SsoGroup => "The SSO configuration already maps this group",
            Self::SsoExcludedEmail => "This email is already excluded from SSO",
            Self::ScimUserName => "A user with this userName already exists",
        }
    }
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The addressed row does not exist.
    #[error("{} not found", .0.name())]
    NotFound(Entity),
    /// A uniqueness constraint refused the change.
    #[error("conflict: {0:?}")]
    Conflict(Constraint),
    /// A mutation (or a rule checked inside the transaction, such as the tenant hierarchy staying a forest)
    /// refused the change; the message is for the client. Nothing was written.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database did not answer in time: a statement ran past the statement timeout and was cancelled, or no
    /// connection came free in time. The transaction was rolled back: nothing was written. Details are for the
    /// log only.
    #[error("store timeout: {0}")]
    Timeout(String),
    /// The database failed; details are for the log only.
    #[error("store backend error: {0}")]
    Backend(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;
