//! SSO configurations (team/sso.json): a tenant's SAML/OIDC configurations with their domains, default roles and
//! IdP-group mappings; the environment's SSO-excluded emails and its SAML service-provider key.
//!
//! A configuration's children are addressed through it: the core reads the configuration (checking its tenant)
//! first, then writes the child by the configuration's id, so another tenant's configuration is never touched. A
//! validated domain's uniqueness is the `sso_domains.claim` constraint ([`Constraint::SsoDomain`]).

use chrono::{DateTime, Utc};
use yolk_domain::{PrivateKey, RoleId, SsoConfigurationId, SsoDomainId, SsoGroupId, TenantId};

use crate::{Mutation, StoreResult};

/// `type` of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoKind {
    Saml,
    Oidc,
}

impl SsoKind {
    /// The wire and store name: `saml` or `oidc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml => "saml",
            Self::Oidc => "oidc",
        }
    }

    /// Parses the wire name (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "saml" => Some(Self::Saml),
            "oidc" => Some(Self::Oidc),
            _ => None,
        }
    }
}

/// A domain of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoDomain {
    pub id: SsoDomainId,
    pub configuration_id: SsoConfigurationId,
    /// Lower case, no trailing dot.
    pub domain: String,
    pub validated: bool,
    /// The value of the `_saml-domain-challenge.<domain>` TXT record that proves the domain.
    pub txt_record: String,
    pub created_at: DateTime<Utc>,
}

/// An IdP group mapped to roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoGroup {
    pub id: SsoGroupId,
    pub configuration_id: SsoConfigurationId,
    /// The group's name as the IdP sends it.
    pub group: String,
    pub role_ids: Vec<RoleId>,
}

/// A tenant's SSO configuration with its children.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoConfiguration {
    pub id: SsoConfigurationId,
    pub tenant_id: TenantId,
    pub kind: SsoKind,
    pub enabled: bool,
    /// SAML: the IdP's SSO URL; OIDC: the IdP (issuer or authorization endpoint).
    pub sso_endpoint: String,
    /// SAML: the IdP's signing certificate (PEM or base64 DER).
    pub public_certificate: String,
    pub sign_request: bool,
    /// Overrides of the environment's ACS URL and SP entity id for this configuration (empty: the environment's).
    pub acs_url: String,
    pub sp_entity_id: String,
    pub oidc_client_id: String,
    /// A secret: never logged.
    pub oidc_secret: String,
    pub config_metadata: serde_json::Value,
    pub override_active_tenant: bool,
    pub sub_account_access_limit: i64,
    pub idp_client_id: String,
    /// A secret: never logged, never answered.
    pub idp_client_secret: String,
    pub generated_verification: String,
    pub skip_email_domain_validation: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Children, filled by reads (ignored by writes of the configuration itself).
    pub domains: Vec<SsoDomain>,
    pub role_ids: Vec<RoleId>,
    pub groups: Vec<SsoGroup>,
}

/// An address exempt from SSO enforcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoExcludedEmail {
    /// As given.
    pub email: String,
    /// Normalized (`values::normalize_email`): the key.
    pub email_norm: String,
    pub created_at: DateTime<Utc>,
}

/// The environment's SAML service-provider key.
#[derive(Clone, PartialEq)]
pub struct SpKey {
    /// The RSA key's PKCS#8 PEM, in clear or sealed with the master key (as the signing keys are).
    pub private_key: PrivateKey,
    /// PEM of its self-signed X.509 certificate.
    pub certificate_pem: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for SpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpKey").field("certificate_pem", &self.certificate_pem).finish_non_exhaustive()
    }
}

/// Most configurations one read answers (a tenant's list, a domain's login candidates).
pub const MAX_SSO_ROWS: u64 = 200;

/// SSO configurations and what belongs to them.
#[async_trait::async_trait]
pub trait SsoStore {
    /// Keeps a new configuration (its children are ignored). `NotFound(Tenant)` when the tenant does not exist.
    async fn create_sso_configuration(&self, config: &SsoConfiguration) -> StoreResult<()>;

    /// A tenant's configurations, oldest first (at most [`MAX_SSO_ROWS`]), with their children.
    async fn sso_configurations(&self, tenant: &TenantId) -> StoreResult<Vec<SsoConfiguration>>;

    /// One configuration, in whichever tenant, with its children; `NotFound(SsoConfiguration)`.
    async fn sso_configuration(&self, id: SsoConfigurationId) -> StoreResult<SsoConfiguration>;

    /// Locks the configuration, applies `change` to it and stores it (the fields of the configuration itself;
    /// `id`, `tenant_id`, `created_at` are kept). Answers it with its children. `NotFound(SsoConfiguration)`.
    async fn update_sso_configuration(
        &self,
        id: SsoConfigurationId,
        change: Mutation<SsoConfiguration>,
        now: DateTime<Utc>,
    ) -> StoreResult<SsoConfiguration>;

    /// Deletes a configuration and its children. `NotFound(SsoConfiguration)`.
    async fn delete_sso_configuration(&self, id: SsoConfigurationId) -> StoreResult<()>;

    /// Adds a domain (validated when `domain.validated`, then claimed as [`SsoStore::validate_sso_domain`] does).
    /// `Conflict(SsoDomainInConfiguration)` when the configuration has it already, `Conflict(SsoDomain)` when a
    /// validated one clashes, `NotFound(SsoConfiguration)`.
    async fn add_sso_domain(&self, domain: &SsoDomain, claim: Option<&str>, now: DateTime<Utc>) -> StoreResult<()>;

    /// Deletes a domain of the configuration. `NotFound(SsoDomain)` (also when it is another configuration's).
    async fn delete_sso_domain(&self, config: SsoConfigurationId, id: SsoDomainId) -> StoreResult<()>;

    /// Marks a domain of the configuration validated, setting its claim (`claim`: the key unique among validated
    /// domains). `NotFound(SsoDomain)`, `Conflict(SsoDomain)` when another holder has the claim. Answers the domain.
    async fn validate_sso_domain(
        &self,
        config: SsoConfigurationId,
        id: SsoDomainId,
        claim: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<SsoDomain>;

    /// Validates every unvalidated row of `domain` in one statement, each claiming the domain (or, `per_tenant`,
    /// `<domain>|<tenantId>`): all or nothing, `Conflict(SsoDomain)` when a claim clashes. Answers the rows of the
    /// domain afterwards (as [`SsoStore::sso_domains_named`]).
    async fn force_validate_sso_domain(
        &self,
        domain: &str,
        per_tenant: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(SsoDomain, TenantId)>>;

    /// Every domain row with this name (any tenant; at most [`MAX_SSO_ROWS`]), with its configuration's tenant.
    async fn sso_domains_named(&self, domain: &str) -> StoreResult<Vec<(SsoDomain, TenantId)>>;

    /// Replaces the configuration's default roles (one transaction). `NotFound(SsoConfiguration)`,
    /// `NotFound(Role)` when a role is gone.
    async fn set_sso_default_roles(
        &self,
        config: SsoConfigurationId,
        roles: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Adds a group mapping. `Conflict(SsoGroup)` for a group name the configuration maps already,
    /// `NotFound(SsoConfiguration)`, `NotFound(Role)`.
    async fn add_sso_group(&self, group: &SsoGroup, now: DateTime<Utc>) -> StoreResult<()>;

    /// Replaces a group mapping's name and roles. `NotFound(SsoGroup)` (also another configuration's),
    /// `Conflict(SsoGroup)`, `NotFound(Role)`.
    async fn update_sso_group(&self, group: &SsoGroup, now: DateTime<Utc>) -> StoreResult<()>;

    /// Deletes a group mapping. `NotFound(SsoGroup)` (also another configuration's).
    async fn delete_sso_group(&self, config: SsoConfigurationId, id: SsoGroupId) -> StoreResult<()>;

    /// Exempts an address. `Conflict(SsoExcludedEmail)` when it is already.
    async fn add_sso_excluded_email(&self, email: &SsoExcludedEmail) -> StoreResult<()>;

    /// The exempt addresses, oldest first, at most `limit`.
    async fn sso_excluded_emails(&self, limit: u64) -> StoreResult<Vec<SsoExcludedEmail>>;

    /// Removes an exemption. `NotFound(SsoExcludedEmail)`.
    async fn delete_sso_excluded_email(&self, email_norm: &str) -> StoreResult<()>;

    /// Whether a password sign-in of this (normalized) address is refused: an enabled configuration has its
    /// (normalized) domain validated, and the address is not exempt. Indexed lookups only.
    async fn sso_required_for(&self, domain: &str, email_norm: &str) -> StoreResult<bool>;

    /// The enabled configurations with this domain validated (any tenant), oldest first, at most
    /// [`MAX_SSO_ROWS`], with their children.
    async fn sso_login_configurations(&self, domain: &str) -> StoreResult<Vec<SsoConfiguration>>;

    /// Whether any configuration of the environment is enabled.
    async fn any_sso_enabled(&self) -> StoreResult<bool>;

    /// The SP key, keeping `candidate` when there is none yet (nodes starting at once converge on one).
    async fn ensure_sp_key(&self, candidate: &SpKey) -> StoreResult<SpKey>;

    /// The SP key, if one was made.
    async fn sp_key(&self) -> StoreResult<Option<SpKey>>;
}
