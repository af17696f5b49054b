//! Signing in through a tenant's identity provider: the SSO prelogin (which IdP, and the URL that starts the
//! handshake) and the SAML assertion consumer (the IdP's answer becomes a yolk session).
//!
//! **Prelogin.** The address's domain must be a validated domain of an enabled configuration
//! ([`crate::sso::Sso::find_for_login`]); otherwise there is no SSO for it (the login box falls back to the
//! password). For SAML, an `AuthnRequest` with a fresh random `ID` is kept as an [`SsoLogin`] for 10 minutes and
//! sent with the redirect binding (signed with the SP key when the configuration says `signRequest`).
//!
//! **Assertion consumer.** The response names its request (`InResponseTo`), which is spent (once, any node); a
//! response without one is IdP-initiated and must name its configuration in `RelayState`. The response is checked
//! by [`crate::saml::response::verify`] against that configuration's certificate, ACS URL and entity ids, off the
//! async threads; the assertion's id is recorded until it expires (the replay cache). The asserted address must be
//! in one of the configuration's validated domains (else an IdP of one tenant could sign in as any user of
//! another), unless the environment set `skipEmailDomainValidation`. The user is provisioned just in time into the
//! configuration's tenant with the default roles and the roles of its mapped IdP groups, and the session starts
//! through the MFA policy (`ForceExceptSAML` does not ask SAML sign-ons for a second factor).
//!
//! **OIDC** ([`oidc`]): the prelogin discovers the IdP (the configuration's `ssoEndpoint` is its issuer) and
//! answers its authorization URL (code flow, PKCE S256, `state`, `nonce`), keeping the login under the SHA-256 of
//! its `state`; the postlogin spends it, exchanges the code with the configuration's client id and secret, verifies
//! the `id_token` and signs on as for SAML (validated domain, provisioning, group-mapped roles from the `groups`
//! claim). An `email_verified` of `false` is refused.
//!
//! Every refusal answers the same 401 and logs why (never the response itself, which carries personal data).

pub mod oidc;

use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;
use yolk_api_types::users::NewUserFields;
use yolk_domain::sso_settings::email_domain;
use yolk_domain::values::normalize_email;
use yolk_domain::{Clock, RoleId, SsoConfigurationId, TenantId};
use yolk_store::sso::{SsoConfiguration, SsoKind};
use yolk_store::{SsoLogin, SsoLoginKind, Store};

use crate::auth::AuthService;
use crate::mfa::LoginOutcome;
use crate::saml::AuthnRequest;
use crate::saml::response::{CLOCK_SKEW_SECONDS, Expectations, SamlAssertion, decode_post_binding, verify};
use crate::secrets::sha256_hex;
use crate::sso::Sso;
use crate::users::UserService;
use crate::{CoreError, CoreResult};

/// How long a started SSO login may take.
const LOGIN_TTL_MINUTES: i64 = 10;

/// What every refused SSO response is told.
pub const SSO_FAILED: &str = "SSO login failed";

/// Where the SSO prelogin sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prelogin {
    /// The IdP URL that starts the handshake.
    pub address: String,
    pub idp_type: SsoKind,
}

/// A completed SAML sign-on: the login outcome and the tenant it landed in.
pub struct SsoSignOn {
    pub outcome: LoginOutcome,
    pub tenant_id: TenantId,
}

/// What an IdP asserted about the user, from a SAML assertion or an `id_token`.
struct Asserted {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    groups: Vec<String>,
}

/// The SSO login flows (cheap to clone).
#[derive(Clone)]
pub struct SsoLogins {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sso: Sso,
    pub(crate) auth: AuthService,
    pub(crate) users: UserService,
    /// Where the app runs: the default OIDC redirect URI is under it.
    pub(crate) app_url: Arc<str>,
}

fn refused(reason: impl std::fmt::Display) -> CoreError {
    tracing::warn!(%reason, "SSO response refused");
    CoreError::Unauthorized(SSO_FAILED.into())
}

impl SsoLogins {
    /// The IdP for `email` (in `tenant` when the user named one), and the URL that starts the handshake; `None`
    /// when its domain is not under SSO.
    pub async fn prelogin(&self, email: &str, tenant: Option<&TenantId>) -> CoreResult<Option<Prelogin>> {
        let Some(domain) = email_domain(&normalize_email(email)) else { return Ok(None) };
        let Some(config) = self.sso.find_for_login(&domain, tenant).await?.into_iter().next() else {
            return Ok(None);
        };
        match config.kind {
            SsoKind::Saml => Ok(Some(Prelogin { address: self.saml_request(&config).await?, idp_type: SsoKind::Saml })),
            SsoKind::Oidc => Ok(Some(Prelogin { address: self.oidc_request(&config).await?, idp_type: SsoKind::Oidc })),
        }
    }

    /// The configuration's ACS URL and SP entity id: its own when set, else the environment's.
    async fn sp_settings(&self, config: &SsoConfiguration) -> CoreResult<(String, String)> {
        let (acs, entity) = self.sso.saml_sp_settings().await?;
        Ok((
            if config.acs_url.is_empty() { acs } else { config.acs_url.clone() },
            if config.sp_entity_id.is_empty() { entity } else { config.sp_entity_id.clone() },
        ))
    }

    async fn saml_request(&self, config: &SsoConfiguration) -> CoreResult<String> {
        let now = self.clock.now();
        let id = format!("_{}", Uuid::new_v4().simple());
        let (acs, entity) = self.sp_settings(config).await?;
        let login = SsoLogin {
            id: id.clone(),
            kind: SsoLoginKind::Saml,
            configuration_id: config.id.to_string(),
            payload: None,
            expires_at: now + Duration::minutes(LOGIN_TTL_MINUTES),
        };
        self.store.start_sso_login(&login, now).await?;
        let key = if config.sign_request { Some(self.sso.sp_signing_key().await?.private_key_der) } else { None };
        let request = AuthnRequest {
            id: &id,
            destination: &config.sso_endpoint,
            acs_url: &acs,
            sp_entity_id: &entity,
            issue_instant: now,
        };
        // The RelayState names the configuration, as an IdP-initiated response's must.
        request.redirect_url(&config.id.to_string(), key.as_deref()).map_err(CoreError::Internal)
    }

    /// Where the IdP sends an OIDC login back: the environment's `redirectUri`, else `<app>/account/oidc/callback`.
    async fn oidc_redirect_uri(&self) -> CoreResult<String> {
        let settings: yolk_domain::sso_settings::OidcSettings =
            self.sso.settings.get_or_default(crate::settings::Scope::Environment).await?;
        Ok(match settings.redirect_uri.filter(|u| !u.is_empty()) {
            Some(u) => u,
            None => format!("{}/account/oidc/callback", self.app_url.trim_end_matches('/')),
        })
    }

    async fn oidc_request(&self, config: &SsoConfiguration) -> CoreResult<String> {
        let client = oidc::client().map_err(CoreError::Internal)?;
        let discovery = oidc::discover(&client, &config.sso_endpoint).await.map_err(|e| {
            tracing::warn!(reason = %e, "OIDC discovery failed");
            CoreError::BadRequest("The identity provider cannot be reached".into())
        })?;
        let now = self.clock.now();
        let state = crate::secrets::random_token();
        let nonce = crate::secrets::random_token();
        let (verifier, challenge) = oidc::pkce();
        let redirect_uri = self.oidc_redirect_uri().await?;
        let payload = serde_json::json!({"nonce": nonce, "verifier": verifier, "redirectUri": redirect_uri});
        let login = SsoLogin {
            id: sha256_hex(&state),
            kind: SsoLoginKind::Oidc,
            configuration_id: config.id.to_string(),
            payload: Some(payload.to_string()),
            expires_at: now + Duration::minutes(LOGIN_TTL_MINUTES),
        };
        self.store.start_sso_login(&login, now).await?;
        oidc::authorize_url(&discovery, &config.oidc_client_id, &redirect_uri, &state, &nonce, &challenge).map_err(
            |e| CoreError::BadRequest(format!("The identity provider's authorization endpoint is invalid: {e}")),
        )
    }

    /// Completes an OIDC login: the IdP's `code` and the login's `state`.
    pub async fn oidc_callback(&self, code: &str, state: &str) -> CoreResult<SsoSignOn> {
        if code.is_empty() || state.is_empty() {
            return Err(CoreError::BadRequest("code and state are required".into()));
        }
        let login = self
            .store
            .take_sso_login(&sha256_hex(state), SsoLoginKind::Oidc, self.clock.now())
            .await?
            .ok_or_else(|| refused("the state names no login in flight"))?;
        let id: SsoConfigurationId = login.configuration_id.parse().map_err(|_| refused("bad configuration id"))?;
        let config = self.sso.configuration_by_id(id).await.map_err(|_| refused("unknown configuration"))?;
        if !config.enabled || config.kind != SsoKind::Oidc {
            return Err(refused("configuration disabled or not OIDC"));
        }
        let payload: serde_json::Value =
            serde_json::from_str(login.payload.as_deref().unwrap_or("{}")).map_err(|_| refused("bad login payload"))?;
        let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let (nonce, verifier, redirect_uri) = (field("nonce"), field("verifier"), field("redirectUri"));
        let client = oidc::client().map_err(CoreError::Internal)?;
        let discovery = oidc::discover(&client, &config.sso_endpoint).await.map_err(refused)?;
        let id_token = oidc::exchange_code(
            &client,
            &discovery,
            &config.oidc_client_id,
            &config.oidc_secret,
            code,
            &redirect_uri,
            &verifier,
        )
        .await
        .map_err(refused)?;
        let claims = oidc::verify_id_token(&client, &discovery, &id_token, &config.oidc_client_id, &nonce)
            .await
            .map_err(refused)?;
        if claims.email_verified.is_some() && !claims.email_verified() {
            return Err(refused("the IdP says the email is not verified"));
        }
        let identity = Asserted {
            email: claims.email.clone(),
            first_name: claims.given_name.clone(),
            last_name: claims.family_name.clone(),
            name: claims.name.clone(),
            groups: claims.groups(),
        };
        self.sign_on(&config, &identity, "saml").await
    }

    /// Consumes a SAML response (the POST binding's `SAMLResponse`, base64) and signs its user on.
    pub async fn saml_callback(&self, saml_response: &str, relay_state: Option<&str>) -> CoreResult<SsoSignOn> {
        let xml = decode_post_binding(saml_response).map_err(refused)?;
        let config = self.configuration_for(&xml, relay_state).await?;
        let (acs, sp_entity) = self.sp_settings(&config).await?;
        let idp_entity = config.config_metadata.get("entityId").and_then(|v| v.as_str()).map(str::to_owned);
        let certificate = config.public_certificate.clone();
        let now = self.clock.now();
        let assertion = tokio::task::spawn_blocking(move || {
            verify(
                &xml,
                &Expectations {
                    sp_entity_id: &sp_entity,
                    acs_url: &acs,
                    idp_entity_id: idp_entity.as_deref(),
                    idp_certificate: &certificate,
                    now,
                },
            )
        })
        .await
        .map_err(|e| CoreError::Internal(format!("SAML check task: {e}")))?
        .map_err(refused)?;

        // The replay cache: one use per assertion, kept past its last accepted instant.
        let key = sha256_hex(&format!("{}\n{}", assertion.issuer.as_deref().unwrap_or(""), assertion.assertion_id));
        let until = assertion.not_on_or_after + Duration::seconds(CLOCK_SKEW_SECONDS);
        if !self.store.record_assertion(&key, until, now).await? {
            return Err(refused("assertion replayed"));
        }
        self.sign_on_saml(&config, &assertion).await
    }

    /// The configuration a response is for: its request's, or (IdP-initiated) the one its RelayState names.
    async fn configuration_for(&self, xml: &str, relay_state: Option<&str>) -> CoreResult<SsoConfiguration> {
        let in_response_to = peek_in_response_to(xml).map_err(refused)?;
        let id = match in_response_to {
            Some(request) => {
                let login = self
                    .store
                    .take_sso_login(&request, SsoLoginKind::Saml, self.clock.now())
                    .await?
                    .ok_or_else(|| refused("InResponseTo names no request in flight"))?;
                login.configuration_id
            }
            None => relay_state.map(str::trim).unwrap_or_default().to_owned(),
        };
        let id: SsoConfigurationId = id.parse().map_err(|_| refused("no configuration named"))?;
        let config = self.sso.configuration_by_id(id).await.map_err(|_| refused("unknown configuration"))?;
        if !config.enabled || config.kind != SsoKind::Saml {
            return Err(refused("configuration disabled or not SAML"));
        }
        Ok(config)
    }

    async fn sign_on_saml(&self, config: &SsoConfiguration, a: &SamlAssertion) -> CoreResult<SsoSignOn> {
        let identity = Asserted {
            email: a.email.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            name: None,
            groups: a.groups.clone(),
        };
        self.sign_on(config, &identity, "saml").await
    }

    async fn sign_on(&self, config: &SsoConfiguration, assertion: &Asserted, provider: &str) -> CoreResult<SsoSignOn> {
        let email = assertion.email.as_deref().ok_or_else(|| refused("no email asserted"))?;
        let email_norm = normalize_email(email);
        let domain = email_domain(&email_norm).ok_or_else(|| refused("the asserted email has no domain"))?;
        if !config.skip_email_domain_validation && !config.domains.iter().any(|d| d.validated && d.domain == domain) {
            return Err(refused("the asserted email is outside the configuration's validated domains"));
        }
        let mut roles: Vec<RoleId> = config.role_ids.clone();
        for g in &config.groups {
            if assertion.groups.iter().any(|asserted| asserted == &g.group) {
                roles.extend(g.role_ids.iter().cloned());
            }
        }
        roles.sort();
        roles.dedup();
        let name = match (&assertion.name, &assertion.first_name, &assertion.last_name) {
            (Some(n), _, _) => Some(n.clone()),
            (None, Some(f), Some(l)) => Some(format!("{f} {l}")),
            (None, Some(n), None) | (None, None, Some(n)) => Some(n.clone()),
            (None, None, None) => None,
        };
        let fields = NewUserFields {
            email: Some(email.to_owned()),
            name,
            provider: Some(provider.into()),
            ..NewUserFields::default()
        };
        let user = self.users.provision_external(&config.tenant_id, fields, &roles).await?;
        if user.locked {
            return Err(refused("the user is locked"));
        }
        let user = self.store.record_login(user.id, self.clock.now()).await?;
        let outcome = self.auth.finish_saml_sign_on(user).await?;
        Ok(SsoSignOn { outcome, tenant_id: config.tenant_id.clone() })
    }
}

/// The response's `InResponseTo`, read before anything is trusted: it only selects the configuration whose
/// certificate then checks everything.
fn peek_in_response_to(xml: &str) -> Result<Option<String>, String> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 10_000, entity_resolver: None };
    let doc = roxmltree::Document::parse_with_options(xml, options).map_err(|e| e.to_string())?;
    Ok(doc.root_element().attribute("InResponseTo").map(str::to_owned))
}
