//! Environment-wide settings documents and their defaults. Stored in the settings store; every path that a
//! setting governs reads it here, so a stored setting is always an enforced one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yolk_domain::password_policy::PasswordPolicy;
use yolk_domain::values::Email;
use yolk_store::Store;

use crate::{CoreError, CoreResult};

/// Settings key of the vendor configuration (`VendorConfigResponse`).
pub const VENDOR_CONFIG_KEY: &str = "vendor_config";
/// Settings key of the password policy.
pub const PASSWORD_POLICY_KEY: &str = "password_policy";

/// Settings key of the captcha (reCAPTCHA) policy.
pub const CAPTCHA_POLICY_KEY: &str = "captcha_policy";

/// The environment configuration (`GET/POST /identity/resources/configurations/v1`). Unset token lifetimes
/// fall back to the server's configured ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VendorConfig {
    pub default_token_expiration: Option<i64>,
    pub default_refresh_token_expiration: Option<i64>,
    pub cookie_same_site: String,
    pub allow_signups: bool,
    pub api_tokens_enabled: bool,
    pub allow_override_password_complexity: bool,
    pub allow_override_password_expiration: bool,
    pub allow_override_enforce_password_history: bool,
    pub jwt_algorithm: String,
    /// yolk lets unverified users log in by default (local development); set false for Frontegg's stricter mode.
    pub allow_not_verified_users_login: bool,
    pub force_permissions: bool,
    pub auth_strategy: String,
    pub default_passwordless_token_expiration: i64,
    pub force_same_device_on_auth: bool,
    pub allow_tenant_invitations: bool,
    pub rotate_refresh_tokens: bool,
    pub machine_to_machine_auth_strategy: String,
    pub add_roles_to_jwt: bool,
    pub add_permissions_to_jwt: bool,
    pub refresh_tokens_rotation_limit: i64,
    pub add_saml_attributes_to_jwt: bool,
    pub allow_custom_login_tenant_switch: bool,
}

impl Default for VendorConfig {
    fn default() -> Self {
        Self {
            default_token_expiration: None,
            default_refresh_token_expiration: None,
            cookie_same_site: "LAX".into(),
            allow_signups: true,
            api_tokens_enabled: true,
            allow_override_password_complexity: false,
            allow_override_password_expiration: false,
            allow_override_enforce_password_history: false,
            jwt_algorithm: "RS256".into(),
            allow_not_verified_users_login: true,
            force_permissions: false,
            auth_strategy: "EmailAndPassword".into(),
            default_passwordless_token_expiration: 300,
            force_same_device_on_auth: false,
            allow_tenant_invitations: true,
            rotate_refresh_tokens: true,
            machine_to_machine_auth_strategy: "ClientCredentials".into(),
            add_roles_to_jwt: true,
            add_permissions_to_jwt: true,
            refresh_tokens_rotation_limit: 0,
            add_saml_attributes_to_jwt: false,
            allow_custom_login_tenant_switch: false,
        }
    }
}

/// The stored vendor configuration, or the defaults.
pub async fn vendor_config(store: &dyn Store) -> CoreResult<VendorConfig> {
    Ok(store.get_setting(VENDOR_CONFIG_KEY).await?.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

/// The longest refresh-token lifetime Frontegg accepts (180 days), also the cap on the other lifetimes here: it
/// keeps every expiry computation far from overflowing.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 15_552_000;

/// A partial update of the [`VendorConfig`]: `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct VendorConfigPatch {
    pub default_token_expiration: Option<i64>,
    pub default_refresh_token_expiration: Option<i64>,
    pub cookie_same_site: Option<String>,
    pub machine_to_machine_auth_strategy: Option<String>,
    pub allow_signups: Option<bool>,
    pub api_tokens_enabled: Option<bool>,
    pub allow_override_password_complexity: Option<bool>,
    pub allow_override_password_expiration: Option<bool>,
    pub allow_override_enforce_password_history: Option<bool>,
    pub jwt_algorithm: Option<String>,
    pub allow_not_verified_users_login: Option<bool>,
    pub force_permissions: Option<bool>,
    pub add_saml_attributes_to_jwt: Option<bool>,
    pub auth_strategy: Option<String>,
    pub default_passwordless_token_expiration: Option<i64>,
    pub force_same_device_on_auth: Option<bool>,
    pub allow_tenant_invitations: Option<bool>,
    pub rotate_refresh_tokens: Option<bool>,
    pub add_roles_to_jwt: Option<bool>,
    pub add_permissions_to_jwt: Option<bool>,
    pub allow_custom_login_tenant_switch: Option<bool>,
}

fn lifetime(field: &str, value: Option<i64>) -> Result<Option<i64>, String> {
    match value {
        Some(v) if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&v) => {
            Err(format!("{field} must be between 1 and {MAX_TOKEN_LIFETIME_SECS} seconds"))
        }
        other => Ok(other),
    }
}

fn one_of(field: &str, value: Option<&String>, allowed: &[&str]) -> Result<(), String> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(format!("{field} must be one of {}", allowed.join(", "))),
        _ => Ok(()),
    }
}

impl VendorConfigPatch {
    /// Checks every given field, then applies them to `config`; on an invalid field nothing is applied and the
    /// message names it. `jwtAlgorithm` accepts only `RS256`: yolk signs every token with its RSA key.
    pub fn apply(&self, config: &mut VendorConfig) -> Result<(), String> {
        let access = lifetime("defaultTokenExpiration", self.default_token_expiration)?;
        let refresh = lifetime("defaultRefreshTokenExpiration", self.default_refresh_token_expiration)?;
        let passwordless = lifetime("defaultPasswordlessTokenExpiration", self.default_passwordless_token_expiration)?;
        one_of("cookieSameSite", self.cookie_same_site.as_ref(), &["STRICT", "LAX", "NONE"])?;
        one_of(
            "machineToMachineAuthStrategy",
            self.machine_to_machine_auth_strategy.as_ref(),
            &["ClientCredentials", "AccessToken"],
        )?;
        one_of(
            "authStrategy",
            self.auth_strategy.as_ref(),
            &["Code", "EmailAndPassword", "MagicLink", "NoLocalAuthentication", "SmsCode"],
        )?;
        match self.jwt_algorithm.as_deref() {
            None | Some("RS256") => {}
            Some("HS256") => {
                return Err("jwtAlgorithm HS256 is not supported: yolk signs tokens with RS256 only".into());
            }
            Some(_) => return Err("jwtAlgorithm must be RS256".into()),
        }
        let c = config;
        c.default_token_expiration = access.or(c.default_token_expiration);
        c.default_refresh_token_expiration = refresh.or(c.default_refresh_token_expiration);
        set(&mut c.default_passwordless_token_expiration, passwordless);
        set(&mut c.cookie_same_site, self.cookie_same_site.clone());
        set(&mut c.machine_to_machine_auth_strategy, self.machine_to_machine_auth_strategy.clone());
        set(&mut c.auth_strategy, self.auth_strategy.clone());
        set(&mut c.jwt_algorithm, self.jwt_algorithm.clone());
        set(&mut c.allow_signups, self.allow_signups);
        set(&mut c.api_tokens_enabled, self.api_tokens_enabled);
        set(&mut c.allow_override_password_complexity, self.allow_override_password_complexity);
        set(&mut c.allow_override_password_expiration, self.allow_override_password_expiration);
        set(&mut c.allow_override_enforce_password_history, self.allow_override_enforce_password_history);
        set(&mut c.allow_not_verified_users_login, self.allow_not_verified_users_login);
        set(&mut c.force_permissions, self.force_permissions);
        set(&mut c.add_saml_attributes_to_jwt, self.add_saml_attributes_to_jwt);
        set(&mut c.force_same_device_on_auth, self.force_same_device_on_auth);
        set(&mut c.allow_tenant_invitations, self.allow_tenant_invitations);
        set(&mut c.rotate_refresh_tokens, self.rotate_refresh_tokens);
        set(&mut c.add_roles_to_jwt, self.add_roles_to_jwt);
        set(&mut c.add_permissions_to_jwt, self.add_permissions_to_jwt);
        set(&mut c.allow_custom_login_tenant_switch, self.allow_custom_login_tenant_switch);
        Ok(())
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// Merges `patch` into the stored vendor configuration and stores the result; an invalid field is a
/// `BadRequest` and leaves the stored configuration as it was.
pub async fn update_vendor_config(store: &dyn Store, patch: &VendorConfigPatch) -> CoreResult<VendorConfig> {
    let patch = patch.clone();
    let stored = store
        .update_setting(
            VENDOR_CONFIG_KEY,
            Box::new(move |doc| {
                let mut config: VendorConfig =
                    doc.take().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
                patch.apply(&mut config)?;
                *doc = Some(serde_json::to_value(&config).map_err(|e| e.to_string())?);
                Ok(())
            }),
        )
        .await?;
    Ok(stored.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

/// The environment's reCAPTCHA policy (`/resources/configurations/v1/captcha-policy`). yolk makes no outbound
/// calls, so it cannot verify reCAPTCHA tokens: only a disabled policy is accepted, since an enabled one would be a
/// setting nothing enforces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptchaPolicy {
    pub id: Uuid,
    pub enabled: bool,
    pub site_key: String,
    /// The reCAPTCHA secret: shown to management callers, never logged.
    pub secret_key: String,
    pub min_score: f64,
    pub ignored_emails: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a client sets on the captcha policy.
#[derive(Debug, Clone)]
pub struct CaptchaPolicyInput {
    pub enabled: bool,
    pub site_key: String,
    pub secret_key: String,
    pub min_score: f64,
    pub ignored_emails: Vec<String>,
}

impl CaptchaPolicyInput {
    fn check(&self) -> Result<(), String> {
        if self.enabled {
            return Err("An enabled captcha policy is not supported: yolk cannot verify reCAPTCHA tokens, so it \
                        would not be enforced"
                .into());
        }
        if !(0.0..=1.0).contains(&self.min_score) {
            return Err("minScore must be between 0 and 1".into());
        }
        if self.site_key.len() > 1024 || self.secret_key.len() > 1024 {
            return Err("siteKey and secretKey must be at most 1024 characters".into());
        }
        if self.ignored_emails.len() > 1000 {
            return Err("ignoredEmails may hold at most 1000 addresses".into());
        }
        self.ignored_emails
            .iter()
            .try_for_each(|e| Email::parse(e).map(drop).map_err(|_| format!("ignoredEmails: {e:?} is not an email")))
    }
}

/// The stored captcha policy, if any.
pub async fn captcha_policy(store: &dyn Store) -> CoreResult<Option<CaptchaPolicy>> {
    Ok(store.get_setting(CAPTCHA_POLICY_KEY).await?.and_then(|v| serde_json::from_value(v).ok()))
}

/// Creates the captcha policy; `Conflict` if there is one already.
pub async fn create_captcha_policy(
    store: &dyn Store,
    input: CaptchaPolicyInput,
    now: DateTime<Utc>,
) -> CoreResult<CaptchaPolicy> {
    input.check().map_err(CoreError::BadRequest)?;
    let policy = CaptchaPolicy {
        id: Uuid::new_v4(),
        enabled: input.enabled,
        site_key: input.site_key,
        secret_key: input.secret_key,
        min_score: input.min_score,
        ignored_emails: input.ignored_emails,
        created_at: now,
        updated_at: now,
    };
    let value = serde_json::to_value(&policy).map_err(|e| CoreError::Internal(format!("captcha policy: {e}")))?;
    // Create-if-absent in one transaction, so two concurrent creations cannot both succeed.
    let created = store
        .update_setting(
            CAPTCHA_POLICY_KEY,
            Box::new(move |doc| {
                if doc.is_some() {
                    return Err(CAPTCHA_EXISTS.into());
                }
                *doc = Some(value);
                Ok(())
            }),
        )
        .await;
    match created {
        Ok(_) => Ok(policy),
        Err(yolk_store::StoreError::Invalid(m)) if m == CAPTCHA_EXISTS => {
            Err(CoreError::Conflict("captcha policy".into()))
        }
        Err(e) => Err(e.into()),
    }
}

const CAPTCHA_EXISTS: &str = "a captcha policy exists";

/// Replaces the captcha policy's fields; `NotFound` if there is none.
pub async fn update_captcha_policy(
    store: &dyn Store,
    input: CaptchaPolicyInput,
    now: DateTime<Utc>,
) -> CoreResult<CaptchaPolicy> {
    input.check().map_err(CoreError::BadRequest)?;
    let current = captcha_policy(store).await?.ok_or(CoreError::NotFound("captcha policy"))?;
    let policy = CaptchaPolicy {
        enabled: input.enabled,
        site_key: input.site_key,
        secret_key: input.secret_key,
        min_score: input.min_score,
        ignored_emails: input.ignored_emails,
        updated_at: now,
        ..current
    };
    put_captcha_policy(store, &policy).await?;
    Ok(policy)
}

async fn put_captcha_policy(store: &dyn Store, policy: &CaptchaPolicy) -> CoreResult<()> {
    let value = serde_json::to_value(policy).map_err(|e| CoreError::Internal(format!("captcha policy: {e}")))?;
    Ok(store.put_setting(CAPTCHA_POLICY_KEY, &value).await?)
}

/// The stored password policy, or Frontegg's default.
pub async fn password_policy(store: &dyn Store) -> CoreResult<PasswordPolicy> {
    Ok(store.get_setting(PASSWORD_POLICY_KEY).await?.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_merges_only_given_fields() {
        let mut c = VendorConfig::default();
        let patch =
            VendorConfigPatch { default_token_expiration: Some(60), allow_signups: Some(false), ..Default::default() };
        patch.apply(&mut c).unwrap();
        assert_eq!(c.default_token_expiration, Some(60));
        assert!(!c.allow_signups);
        assert_eq!(c.cookie_same_site, "LAX");
        assert!(c.add_roles_to_jwt);
    }

    #[test]
    fn an_invalid_field_applies_nothing() {
        let mut c = VendorConfig::default();
        let patch =
            VendorConfigPatch { allow_signups: Some(false), jwt_algorithm: Some("HS256".into()), ..Default::default() };
        let err = patch.apply(&mut c).unwrap_err();
        assert!(err.contains("RS256"), "{err}");
        assert!(c.allow_signups);
        for bad in [
            VendorConfigPatch { default_token_expiration: Some(0), ..Default::default() },
            VendorConfigPatch {
                default_refresh_token_expiration: Some(MAX_TOKEN_LIFETIME_SECS + 1),
                ..Default::default()
            },
            VendorConfigPatch { cookie_same_site: Some("lax".into()), ..Default::default() },
            VendorConfigPatch { auth_strategy: Some("Password".into()), ..Default::default() },
        ] {
            assert!(bad.apply(&mut c).is_err(), "{bad:?}");
        }
    }
}
