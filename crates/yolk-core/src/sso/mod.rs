//! SSO configuration (team/sso.json): a tenant's SAML and OIDC configurations, their domains (proved by DNS, by
//! the caller's own address, or by the environment), default roles and IdP-group mappings; the environment's SSO
//! settings, SSO-excluded emails and SAML service provider (its key, certificate and metadata).
//!
//! **Who may do what.** Tenant-scoped operations take `Permit<ReadSso>` (`fe.secure.read.samlConfig`) or
//! `Permit<WriteSso>` (`fe.secure.write.samlConfig`): a member acts on its token's tenant only (another tenant's
//! configuration is a 404), the environment on the tenant in `frontegg-tenant-id`. Default roles and group
//! mappings name only roles the tenant may use (environment roles or its own), and a member only roles it may
//! grant (`Actor::may_grant`). Environment settings, excluded emails and force-validation take `&Environment`.
//!
//! **Domains.** A domain is validated by the TXT record `_saml-domain-challenge.<domain>` holding its
//! `txtRecord` (the configuration's `generatedVerification`), by the calling member's own verified address in the
//! domain (only while the domain policy's `allowVerifiedUsersToAddDomains` is on), by the environment
//! (`force-validate`), or at creation when the policy's `skipDomainVerification` is on. A validated domain has one
//! owner (`Constraint::SsoDomain`), or one per tenant while `multiple-sso-per-domain` is active. Only a validated
//! domain of an enabled configuration counts for login, so claiming someone else's domain locks nobody out.
//!
//! **Enforcement.** [`password_login_refused`]: password login of an address whose domain is a validated domain of
//! an enabled configuration is refused unless the address is excluded (one indexed read).
//!
//! **For the SAML/OIDC login flows** (the lead's):
//! - [`Sso::find_for_login`]`(email_domain, tenant)` → the enabled configurations with that validated domain, after
//!   the multiple-SSO-per-domain policy (a named tenant narrows; `BLOCK` with several tenants is a 400, `FIRST_CREATED`
//!   keeps the oldest), each with `domains`, `role_ids` (default roles) and `groups`.
//! - [`Sso::configuration_by_id`]`(id)` → one configuration in whichever tenant (for the ACS).
//! - [`Sso::sp_signing_key`]`()` → [`SpSigningKey`]: the SP's RSA key (PKCS#8 PEM and DER) and certificate (PEM and
//!   base64 DER), made on first use and shared by every node through the store.
//! - [`Sso::saml_sp_settings`]`()` → `(acsUrl, spEntityId)` in force (`<public url>/auth/saml/callback` by default);
//!   a configuration's own `acs_url` / `sp_entity_id`, when set, override them.

pub mod dns;
pub mod metadata;
pub mod sp;

use std::sync::Arc;

use uuid::Uuid;
use yolk_api_types::sso::{SsoConfigurationRequest, SsoGroupRequest};
use yolk_domain::fe_permissions::{ReadSso, WriteSso};
use yolk_domain::settings::SettingsDocument;
use yolk_domain::sso_settings::{
    MultipleSsoPerDomain, SamlVendorConfig, SsoDomainPolicy, UnspecifiedTenantStrategy, email_domain, is_http_url,
    normalize_domain,
};
use yolk_domain::values::{Email, normalize_email};
use yolk_domain::{Clock, RoleId, SsoConfigurationId, SsoDomainId, SsoGroupId, TenantId};
use yolk_store::sso::{SsoConfiguration, SsoDomain, SsoExcludedEmail, SsoGroup, SsoKind};
use yolk_store::{Entity, Store, StoreError};

pub use dns::{SystemTxtResolver, TxtResolver};
pub use metadata::IdpMetadata;
pub use sp::SpSigningKey;

use crate::access::{Actor, Environment, Permit};
use crate::settings::{Scope, Settings};
use crate::{CoreError, CoreResult};

/// The TXT record name prefix of a domain proof.
pub const DOMAIN_CHALLENGE_PREFIX: &str = "_saml-domain-challenge.";

/// The ACS path under the server's public URL.
pub const ACS_PATH: &str = "/auth/saml/callback";

/// Most excluded emails the list answers.
pub const MAX_EXCLUDED_EMAILS: u64 = 1000;

/// Most domains and group mappings per configuration.
pub const MAX_CHILDREN: usize = 100;

/// The message of a refused password login.
pub const SSO_REQUIRED: &str = "Your organization requires signing in with SSO";

// Ids are UUIDv7 (time-ordered): configurations, domains and groups made in the same millisecond (the store orders
// by creation time, then id) still list in the order they were made.

/// The SSO configuration service.
#[derive(Clone)]
pub struct Sso {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    pub(crate) resolver: Arc<dyn TxtResolver>,
    /// The server's public URL (the token issuer): the ACS is under it.
    pub(crate) public_url: Arc<str>,
    /// Seals the SP key at rest, as it seals the signing keys.
    pub(crate) master_key: Option<Arc<crate::keys::MasterKey>>,
}

/// Whether a password login (or another password path) of `email` is refused because its domain is under SSO.
pub async fn password_login_refused(store: &dyn Store, email: &str) -> CoreResult<bool> {
    let norm = normalize_email(email);
    let Some(domain) = email_domain(&norm) else { return Ok(false) };
    Ok(store.sso_required_for(&domain, &norm).await?)
}

/// A certificate as configured: PEM or bare base64 DER of an X.509 certificate with an RSA key (what the SAML
/// check verifies with), at most 16 KiB. Refused here, a bad certificate cannot leave every sign-on failing later.
pub(crate) fn check_certificate(cert: &str) -> Result<(), String> {
    if cert.len() > 16 * 1024 {
        return Err("publicCertificate must be at most 16 KiB".into());
    }
    crate::saml::IdpKey::from_certificate(cert)
        .map(|_| ())
        .map_err(|e| format!("publicCertificate must be a PEM or base64 X.509 certificate with an RSA key ({e})"))
}

fn text(field: &str, v: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.len() > max || v.chars().any(char::is_control) {
        return Err(format!("{field} must be at most {max} characters, without control characters"));
    }
    Ok(v.to_owned())
}

fn url_field(field: &str, v: &str) -> Result<String, String> {
    let v = v.trim();
    if !v.is_empty() && !is_http_url(v) {
        return Err(format!("{field} must be an http(s) URL"));
    }
    Ok(v.to_owned())
}

/// Applies a create/PATCH body to `c`, checking every field given; nothing changes on error.
fn apply(c: &mut SsoConfiguration, req: &SsoConfigurationRequest) -> Result<(), String> {
    let mut n = c.clone();
    if let Some(kind) = &req.kind {
        n.kind = SsoKind::parse(kind).ok_or("type must be saml or oidc")?;
    }
    if let Some(v) = req.enabled {
        n.enabled = v;
    }
    if let Some(v) = &req.sso_endpoint {
        n.sso_endpoint = url_field("ssoEndpoint", v)?;
    }
    if let Some(v) = &req.public_certificate {
        let v = v.trim();
        if !v.is_empty() {
            check_certificate(v)?;
        }
        n.public_certificate = v.to_owned();
    }
    if let Some(v) = req.sign_request {
        n.sign_request = v;
    }
    if let Some(v) = &req.acs_url {
        n.acs_url = url_field("acsUrl", v)?;
    }
    if let Some(v) = &req.sp_entity_id {
        n.sp_entity_id = text("spEntityId", v, 1024)?;
    }
    if let Some(v) = &req.oidc_client_id {
        n.oidc_client_id = text("oidcClientId", v, 1024)?;
    }
    if let Some(v) = &req.oidc_secret {
        n.oidc_secret = text("oidcSecret", v, 1024)?;
    }
    if let Some(v) = &req.config_metadata {
        let v = serde_json::Value::Object(v.clone());
        if v.to_string().len() > 8 * 1024 {
            return Err("configMetadata must be at most 8 KiB".into());
        }
        n.config_metadata = v;
    }
    if let Some(v) = req.override_active_tenant {
        n.override_active_tenant = v;
    }
    if let Some(v) = req.sub_account_access_limit {
        if !v.is_finite() || v.fract() != 0.0 || !(0.0..=1_000_000.0).contains(&v) {
            return Err("subAccountAccessLimit must be a whole number between 0 and 1000000".into());
        }
        n.sub_account_access_limit = v as i64;
    }
    if let Some(v) = &req.idp_client_id {
        n.idp_client_id = text("idpClientId", v, 1024)?;
    }
    if let Some(v) = &req.idp_client_secret {
        n.idp_client_secret = text("idpClientSecret", v, 1024)?;
    }
    *c = n;
    Ok(())
}

fn claim(domain: &str, tenant: &TenantId, per_tenant: bool) -> String {
    if per_tenant { format!("{domain}|{}", tenant.as_str()) } else { domain.to_owned() }
}

impl Sso {
    async fn doc<D: SettingsDocument + Default>(&self) -> CoreResult<D> {
        self.settings.get_or_default::<D>(Scope::Environment).await
    }

    /// The configuration `id` if it is `tenant`'s; another tenant's is the same 404 as an unknown one.
    async fn owned(&self, tenant: &TenantId, id: SsoConfigurationId) -> CoreResult<SsoConfiguration> {
        match self.store.sso_configuration(id).await {
            Ok(c) if &c.tenant_id == tenant => Ok(c),
            Ok(_) | Err(StoreError::NotFound(_)) => Err(CoreError::NotFound(Entity::SsoConfiguration)),
            Err(e) => Err(e.into()),
        }
    }

    /// The roles `ids` if the tenant may use each (environment-wide or its own) and `actor` may grant each.
    async fn grantable_roles(&self, tenant: &TenantId, ids: &[RoleId], actor: &Actor) -> CoreResult<Vec<RoleId>> {
        crate::roles::batch("roleIds", ids).map_err(CoreError::BadRequest)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let usable = self.store.list_roles(Some(tenant)).await?;
        let mut roles = Vec::with_capacity(ids.len());
        for id in ids {
            let role = usable.iter().find(|r| &r.id == id).ok_or(CoreError::NotFound(Entity::Role))?;
            if !actor.may_grant(role) {
                return Err(CoreError::Forbidden("A role above your own cannot be granted".into()));
            }
            if !roles.contains(&role.id) {
                roles.push(role.id);
            }
        }
        Ok(roles)
    }

    /// The tenant's configurations, oldest first, with domains, default roles and groups.
    pub async fn configurations(&self, permit: &Permit<ReadSso>) -> CoreResult<Vec<SsoConfiguration>> {
        Ok(self.store.sso_configurations(permit.tenant()?).await?)
    }

    async fn create_checked(&self, tenant: &TenantId, req: &SsoConfigurationRequest) -> CoreResult<SsoConfiguration> {
        let now = self.clock.now();
        let mut c = SsoConfiguration {
            id: SsoConfigurationId::from(Uuid::now_v7()),
            tenant_id: tenant.clone(),
            kind: SsoKind::Saml,
            enabled: true,
            sso_endpoint: String::new(),
            public_certificate: String::new(),
            sign_request: false,
            acs_url: String::new(),
            sp_entity_id: String::new(),
            oidc_client_id: String::new(),
            oidc_secret: String::new(),
            config_metadata: serde_json::json!({}),
            override_active_tenant: false,
            sub_account_access_limit: 0,
            idp_client_id: String::new(),
            idp_client_secret: String::new(),
            generated_verification: Uuid::new_v4().to_string(),
            skip_email_domain_validation: false,
            created_at: now,
            updated_at: now,
            domains: Vec::new(),
            role_ids: Vec::new(),
            groups: Vec::new(),
        };
        apply(&mut c, req).map_err(CoreError::BadRequest)?;
        if self.store.sso_configurations(tenant).await?.len() >= yolk_store::sso::MAX_SSO_ROWS as usize {
            return Err(CoreError::BadRequest("A tenant may have at most 200 SSO configurations".into()));
        }
        self.store.create_sso_configuration(&c).await?;
        Ok(c)
    }

    /// Creates a configuration (SAML unless `type` says `oidc`; enabled unless `enabled: false`).
    pub async fn create(
        &self,
        permit: &Permit<WriteSso>,
        req: SsoConfigurationRequest,
    ) -> CoreResult<SsoConfiguration> {
        self.create_checked(permit.tenant()?, &req).await
    }

    /// Changes the fields present in the body. 404 for another tenant's configuration.
    pub async fn update(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        req: SsoConfigurationRequest,
    ) -> CoreResult<SsoConfiguration> {
        self.owned(permit.tenant()?, id).await?;
        // Checked before the store is touched, so a bad body changes nothing.
        apply(&mut self.store.sso_configuration(id).await?, &req).map_err(CoreError::BadRequest)?;
        let updated = self
            .store
            .update_sso_configuration(
                id,
                Box::new(move |c| apply(c, &req).map_err(StoreError::Invalid)),
                self.clock.now(),
            )
            .await?;
        Ok(updated)
    }

    /// Deletes a configuration with its domains, roles and groups.
    pub async fn delete(&self, permit: &Permit<WriteSso>, id: SsoConfigurationId) -> CoreResult<()> {
        self.owned(permit.tenant()?, id).await?;
        Ok(self.store.delete_sso_configuration(id).await?)
    }

    fn metadata_request(
        m: &IdpMetadata,
        config_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> SsoConfigurationRequest {
        SsoConfigurationRequest {
            kind: Some("saml".into()),
            sso_endpoint: Some(m.sso_endpoint.clone()),
            public_certificate: Some(m.certificate.clone()),
            config_metadata: Some(config_metadata.unwrap_or_else(|| {
                let mut map = serde_json::Map::new();
                map.insert("entityId".into(), serde_json::Value::String(m.entity_id.clone()));
                map
            })),
            ..SsoConfigurationRequest::default()
        }
    }

    /// Creates a SAML configuration from IdP metadata XML (entity id, SSO URL, signing certificate).
    pub async fn create_from_metadata(&self, permit: &Permit<WriteSso>, xml: &str) -> CoreResult<SsoConfiguration> {
        let tenant = permit.tenant()?;
        let m = metadata::parse_idp_metadata(xml)?;
        self.create_checked(tenant, &Self::metadata_request(&m, None)).await
    }

    /// Replaces a configuration's IdP settings from metadata XML.
    pub async fn update_from_metadata(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        xml: &str,
    ) -> CoreResult<SsoConfiguration> {
        let m = metadata::parse_idp_metadata(xml)?;
        self.update(permit, id, Self::metadata_request(&m, None)).await
    }

    /// Creates a SAML configuration from the metadata at `url` (fetched with a timeout and a size cap).
    pub async fn create_from_metadata_url(
        &self,
        permit: &Permit<WriteSso>,
        url: &str,
        config_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> CoreResult<SsoConfiguration> {
        let tenant = permit.tenant()?.clone();
        let m = metadata::parse_idp_metadata(&metadata::fetch_metadata(url).await?)?;
        self.create_checked(&tenant, &Self::metadata_request(&m, config_metadata)).await
    }

    /// Replaces a configuration's IdP settings from the metadata at `url`.
    pub async fn update_from_metadata_url(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        url: &str,
        config_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> CoreResult<SsoConfiguration> {
        self.owned(permit.tenant()?, id).await?;
        let m = metadata::parse_idp_metadata(&metadata::fetch_metadata(url).await?)?;
        self.update(permit, id, Self::metadata_request(&m, config_metadata)).await
    }

    async fn per_tenant_domains(&self) -> CoreResult<bool> {
        Ok(self.doc::<MultipleSsoPerDomain>().await?.active)
    }

    /// Adds a domain, unvalidated (validated at once while the policy's `skipDomainVerification` is on).
    pub async fn add_domain(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        domain: &str,
    ) -> CoreResult<SsoDomain> {
        let tenant = permit.tenant()?;
        let domain = normalize_domain(domain).map_err(CoreError::BadRequest)?;
        let c = self.owned(tenant, id).await?;
        if c.domains.len() >= MAX_CHILDREN {
            return Err(CoreError::BadRequest(format!("An SSO configuration may have at most {MAX_CHILDREN} domains")));
        }
        let validated = self.doc::<SsoDomainPolicy>().await?.skip_domain_verification;
        let d = SsoDomain {
            id: SsoDomainId::from(Uuid::now_v7()),
            configuration_id: id,
            txt_record: c.generated_verification.clone(),
            domain,
            validated,
            created_at: self.clock.now(),
        };
        let claim = claim(&d.domain, tenant, self.per_tenant_domains().await?);
        self.store.add_sso_domain(&d, Some(&claim), self.clock.now()).await?;
        Ok(d)
    }

    /// Deletes a domain of the configuration.
    pub async fn delete_domain(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        domain: SsoDomainId,
    ) -> CoreResult<()> {
        self.owned(permit.tenant()?, id).await?;
        Ok(self.store.delete_sso_domain(id, domain).await?)
    }

    async fn domain_of(&self, tenant: &TenantId, id: SsoConfigurationId, domain: SsoDomainId) -> CoreResult<SsoDomain> {
        let c = self.owned(tenant, id).await?;
        c.domains.into_iter().find(|d| d.id == domain).ok_or(CoreError::NotFound(Entity::SsoDomain))
    }

    async fn mark_validated(&self, tenant: &TenantId, d: &SsoDomain) -> CoreResult<SsoDomain> {
        let claim = claim(&d.domain, tenant, self.per_tenant_domains().await?);
        Ok(self.store.validate_sso_domain(d.configuration_id, d.id, &claim, self.clock.now()).await?)
    }

    /// Validates a domain by DNS: a TXT record at `_saml-domain-challenge.<domain>` must hold the domain's
    /// `txtRecord`. A missing or different record is a 400 and changes nothing.
    pub async fn validate_domain_dns(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        domain: SsoDomainId,
    ) -> CoreResult<SsoDomain> {
        let tenant = permit.tenant()?;
        let d = self.domain_of(tenant, id, domain).await?;
        let name = format!("{DOMAIN_CHALLENGE_PREFIX}{}", d.domain);
        let records = self.resolver.lookup_txt(&name).await.map_err(|e| {
            tracing::warn!(error = %e, "TXT lookup failed");
            CoreError::BadRequest(format!("Could not look up the TXT record {name}"))
        })?;
        if !records.iter().any(|r| r.trim() == d.txt_record) {
            return Err(CoreError::BadRequest(format!(
                "Domain validation failed: no TXT record {name} with the value {}",
                d.txt_record
            )));
        }
        self.mark_validated(tenant, &d).await
    }

    /// Validates a domain because the calling member's own verified address is in it. Only while the domain
    /// policy's `allowVerifiedUsersToAddDomains` is on; the environment (which has no address) gets a 400.
    pub async fn validate_domain_email(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        domain: SsoDomainId,
    ) -> CoreResult<SsoDomain> {
        let tenant = permit.tenant()?;
        let d = self.domain_of(tenant, id, domain).await?;
        let Some(member) = permit.actor().member() else {
            return Err(CoreError::BadRequest("Validating a domain by email needs a user token".into()));
        };
        if !self.doc::<SsoDomainPolicy>().await?.allow_verified_users_to_add_domains {
            return Err(CoreError::Forbidden("Validating domains by email is not allowed".into()));
        }
        let user = self.store.get_user(member).await?;
        if !user.verified || email_domain(&normalize_email(&user.email)).as_deref() != Some(d.domain.as_str()) {
            return Err(CoreError::BadRequest("Your verified email address is not in this domain".into()));
        }
        self.mark_validated(tenant, &d).await
    }

    /// The environment validates every unvalidated row of `domain`, all at once (409, and nothing changes, when
    /// that would give a validated domain two owners). 404 when no configuration has the domain.
    pub async fn force_validate_domain(&self, _: &Environment, domain: &str) -> CoreResult<Vec<SsoDomain>> {
        let domain = normalize_domain(domain).map_err(CoreError::BadRequest)?;
        let per_tenant = self.per_tenant_domains().await?;
        let rows = self.store.force_validate_sso_domain(&domain, per_tenant, self.clock.now()).await?;
        if rows.is_empty() {
            return Err(CoreError::NotFound(Entity::SsoDomain));
        }
        Ok(rows.into_iter().map(|(d, _)| d).collect())
    }

    /// The configuration's default roles.
    pub async fn default_roles(&self, permit: &Permit<ReadSso>, id: SsoConfigurationId) -> CoreResult<Vec<RoleId>> {
        Ok(self.owned(permit.tenant()?, id).await?.role_ids)
    }

    /// Replaces the configuration's default roles (roles the tenant may use and the caller may grant).
    pub async fn set_default_roles(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        roles: &[RoleId],
    ) -> CoreResult<Vec<RoleId>> {
        let tenant = permit.tenant()?;
        self.owned(tenant, id).await?;
        let roles = self.grantable_roles(tenant, roles, permit.actor()).await?;
        self.store.set_sso_default_roles(id, &roles, self.clock.now()).await?;
        Ok(roles)
    }

    /// The configuration's group mappings.
    pub async fn groups(&self, permit: &Permit<ReadSso>, id: SsoConfigurationId) -> CoreResult<Vec<SsoGroup>> {
        Ok(self.owned(permit.tenant()?, id).await?.groups)
    }

    fn group_name(raw: &str) -> CoreResult<String> {
        let g = text("group", raw, 255).map_err(CoreError::BadRequest)?;
        if g.is_empty() {
            return Err(CoreError::BadRequest("group must not be empty".into()));
        }
        Ok(g)
    }

    /// Maps an IdP group to roles. 409 when the configuration maps the group already.
    pub async fn add_group(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        req: SsoGroupRequest,
    ) -> CoreResult<SsoGroup> {
        let tenant = permit.tenant()?;
        let group = Self::group_name(&req.group)?;
        let c = self.owned(tenant, id).await?;
        if c.groups.len() >= MAX_CHILDREN {
            return Err(CoreError::BadRequest(format!("An SSO configuration may map at most {MAX_CHILDREN} groups")));
        }
        let role_ids = self.grantable_roles(tenant, &req.role_ids, permit.actor()).await?;
        let g = SsoGroup { id: SsoGroupId::from(Uuid::now_v7()), configuration_id: id, group, role_ids };
        self.store.add_sso_group(&g, self.clock.now()).await?;
        Ok(g)
    }

    /// Replaces a group mapping's name and roles.
    pub async fn update_group(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        group: SsoGroupId,
        req: SsoGroupRequest,
    ) -> CoreResult<SsoGroup> {
        let tenant = permit.tenant()?;
        let name = Self::group_name(&req.group)?;
        let c = self.owned(tenant, id).await?;
        if !c.groups.iter().any(|g| g.id == group) {
            return Err(CoreError::NotFound(Entity::SsoGroup));
        }
        let role_ids = self.grantable_roles(tenant, &req.role_ids, permit.actor()).await?;
        let g = SsoGroup { id: group, configuration_id: id, group: name, role_ids };
        self.store.update_sso_group(&g, self.clock.now()).await?;
        Ok(g)
    }

    /// Deletes a group mapping.
    pub async fn delete_group(
        &self,
        permit: &Permit<WriteSso>,
        id: SsoConfigurationId,
        group: SsoGroupId,
    ) -> CoreResult<()> {
        self.owned(permit.tenant()?, id).await?;
        Ok(self.store.delete_sso_group(id, group).await?)
    }

    /// Exempts an address from SSO enforcement. 409 when it is already.
    pub async fn exclude_email(&self, _: &Environment, email: &str) -> CoreResult<SsoExcludedEmail> {
        let parsed = Email::parse(email).map_err(CoreError::BadRequest)?;
        let e = SsoExcludedEmail {
            email: email.trim().to_owned(),
            email_norm: parsed.normalized().to_owned(),
            created_at: self.clock.now(),
        };
        self.store.add_sso_excluded_email(&e).await?;
        Ok(e)
    }

    /// The exempt addresses (at most [`MAX_EXCLUDED_EMAILS`]).
    pub async fn excluded_emails(&self, _: &Environment) -> CoreResult<Vec<SsoExcludedEmail>> {
        Ok(self.store.sso_excluded_emails(MAX_EXCLUDED_EMAILS).await?)
    }

    /// Ends an exemption. 404 when the address is not exempt.
    pub async fn include_email(&self, _: &Environment, email: &str) -> CoreResult<()> {
        Ok(self.store.delete_sso_excluded_email(&normalize_email(email)).await?)
    }

    /// `(acsUrl, spEntityId)` in force: the vendor configuration's, else `<public url>/auth/saml/callback` and the
    /// public URL. Public information (the login box and IdP administrators need it).
    pub async fn saml_sp_settings(&self) -> CoreResult<(String, String)> {
        let v = self.doc::<SamlVendorConfig>().await?;
        let base = self.public_url.trim_end_matches('/');
        Ok((
            v.acs_url.unwrap_or_else(|| format!("{base}{ACS_PATH}")),
            v.sp_entity_id.unwrap_or_else(|| base.to_owned()),
        ))
    }

    /// The SP's signing key and certificate, made on first use (one per environment, shared through the store).
    pub async fn sp_signing_key(&self) -> CoreResult<SpSigningKey> {
        let master = self.master_key.clone();
        if let Some(key) = self.store.sp_key().await? {
            return SpSigningKey::from_stored(&key, master.as_deref());
        }
        let now = self.clock.now();
        let sealing = master.clone();
        let candidate = tokio::task::spawn_blocking(move || sp::generate_sp_key(now, sealing.as_deref()))
            .await
            .map_err(|e| CoreError::Internal(format!("SP keygen task: {e}")))??;
        SpSigningKey::from_stored(&self.store.ensure_sp_key(&candidate).await?, master.as_deref())
    }

    /// The SP certificate (PEM).
    pub async fn sp_certificate(&self, _: &Permit<ReadSso>) -> CoreResult<String> {
        Ok(self.sp_signing_key().await?.certificate_pem)
    }

    /// The SP metadata for the tenant: its first SAML configuration's ACS URL and entity id when set, else the
    /// environment's.
    pub async fn sp_metadata(&self, permit: &Permit<ReadSso>) -> CoreResult<String> {
        let tenant = permit.tenant()?;
        let (mut acs, mut entity) = self.saml_sp_settings().await?;
        let mut sign = false;
        if let Some(c) = self.store.sso_configurations(tenant).await?.into_iter().find(|c| c.kind == SsoKind::Saml) {
            if !c.acs_url.is_empty() {
                acs = c.acs_url;
            }
            if !c.sp_entity_id.is_empty() {
                entity = c.sp_entity_id;
            }
            sign = c.sign_request;
        }
        let key = self.sp_signing_key().await?;
        Ok(sp::sp_metadata_xml(&entity, &acs, &key.certificate_base64, sign))
    }

    /// Whether SSO is on for the login box: some configuration of the environment is enabled.
    pub async fn is_active(&self) -> CoreResult<bool> {
        Ok(self.store.any_sso_enabled().await?)
    }

    /// The enabled configurations whose validated domain is `email_domain` (normalized here), after the
    /// multiple-SSO-per-domain policy: `tenant` (the one the user named, or its active one while `useActiveTenant`
    /// is on) narrows to that tenant's; otherwise with several tenants `FIRST_CREATED` keeps the oldest and `BLOCK`
    /// is a 400. Empty: no SSO for that domain (fall back to password).
    pub async fn find_for_login(
        &self,
        email_domain: &str,
        tenant: Option<&TenantId>,
    ) -> CoreResult<Vec<SsoConfiguration>> {
        let Ok(domain) = normalize_domain(email_domain) else { return Ok(Vec::new()) };
        let mut found = self.store.sso_login_configurations(&domain).await?;
        let policy = self.doc::<MultipleSsoPerDomain>().await?;
        if let Some(t) = tenant
            && found.iter().any(|c| &c.tenant_id == t)
        {
            found.retain(|c| &c.tenant_id == t);
            return Ok(found);
        }
        let tenants: std::collections::HashSet<&TenantId> = found.iter().map(|c| &c.tenant_id).collect();
        if tenants.len() > 1 {
            match policy.unspecified_tenant_strategy {
                UnspecifiedTenantStrategy::FirstCreated => found.truncate(1),
                UnspecifiedTenantStrategy::Block => {
                    return Err(CoreError::BadRequest(
                        "Several accounts use SSO for this domain: name the account to sign in to".into(),
                    ));
                }
            }
        }
        Ok(found)
    }

    /// The legacy single-SAML API's configuration (`sso/v1/saml/configurations`): the tenant's oldest SAML
    /// configuration, if any.
    pub async fn legacy_configuration<P>(&self, permit: &Permit<P>) -> CoreResult<Option<SsoConfiguration>> {
        let list = self.store.sso_configurations(permit.tenant()?).await?;
        Ok(list.into_iter().find(|c| c.kind == SsoKind::Saml))
    }

    /// The legacy configuration, or a 404.
    pub async fn legacy_configuration_id<P>(&self, permit: &Permit<P>) -> CoreResult<SsoConfigurationId> {
        self.legacy_configuration(permit).await?.map(|c| c.id).ok_or(CoreError::NotFound(Entity::SsoConfiguration))
    }

    /// Legacy save: creates the tenant's SAML configuration or updates it, then adds `domain` if it is new.
    pub async fn legacy_save(
        &self,
        permit: &Permit<WriteSso>,
        mut req: SsoConfigurationRequest,
        domain: Option<&str>,
    ) -> CoreResult<SsoConfiguration> {
        req.kind = Some("saml".into());
        let id = match self.legacy_configuration(permit).await? {
            Some(c) => self.update(permit, c.id, req).await?.id,
            None => self.create(permit, req).await?.id,
        };
        if let Some(domain) = domain.map(str::trim).filter(|d| !d.is_empty()) {
            let name = normalize_domain(domain).map_err(CoreError::BadRequest)?;
            if !self.configuration_by_id(id).await?.domains.iter().any(|d| d.domain == name) {
                self.add_domain(permit, id, &name).await?;
            }
        }
        self.configuration_by_id(id).await
    }

    /// Legacy: validates the legacy configuration's first domain by DNS.
    pub async fn legacy_validate_domain(&self, permit: &Permit<WriteSso>) -> CoreResult<SsoDomain> {
        let c = self.legacy_configuration(permit).await?.ok_or(CoreError::NotFound(Entity::SsoConfiguration))?;
        let d = c.domains.first().ok_or(CoreError::NotFound(Entity::SsoDomain))?;
        self.validate_domain_dns(permit, c.id, d.id).await
    }

    /// One configuration in whichever tenant (for the ACS, which learns the configuration from its RelayState).
    pub async fn configuration_by_id(&self, id: SsoConfigurationId) -> CoreResult<SsoConfiguration> {
        Ok(self.store.sso_configuration(id).await?)
    }
}
