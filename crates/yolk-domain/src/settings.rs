//! Settings documents: the environment's (and each tenant's) configuration, stored as small JSON documents.
//!
//! A document type is its own wire shape: clients send its fields (camelCase, the spec's names) and get them back,
//! so one struct serves the request, the stored value and the response. Declaring a configuration operation is
//! declaring its document ([`SettingsDocument`]: a storage key and a `validate` rule) plus where it is enforced;
//! `yolk_core::settings` does the rest (merge a request onto the stored document, validate, store atomically).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::password_policy::PasswordPolicy;
use crate::values::Email;

/// A configuration document.
pub trait SettingsDocument: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The storage key; tenant-scoped documents are stored as `<KEY>:<tenantId>`.
    const KEY: &'static str;

    /// Checks a document before it is stored; the message is for the client and nothing is stored on error.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A stored document with the fields every Frontegg policy object carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stamped<D> {
    #[serde(default)]
    pub id: Uuid,
    #[serde(default, with = "crate::time::rfc3339_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339_millis")]
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub doc: D,
}

/// The longest refresh-token lifetime Frontegg accepts (180 days), also the cap on the other lifetimes here: it
/// keeps every expiry computation far from overflowing.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 15_552_000;

/// `cookieSameSite` of the refresh cookie.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CookieSameSite {
    Strict,
    #[default]
    Lax,
    None,
}

/// `authStrategy`: how users of the environment authenticate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthStrategy {
    Code,
    #[default]
    EmailAndPassword,
    MagicLink,
    NoLocalAuthentication,
    SmsCode,
}

/// `machineToMachineAuthStrategy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MachineToMachineAuthStrategy {
    #[default]
    ClientCredentials,
    AccessToken,
}

/// The environment configuration (`GET`/`POST /identity/resources/configurations/v1`). Unset token lifetimes
/// fall back to the server's configured ones. Enforced by login, refresh and sign-up (see each field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VendorConfig {
    /// Access-token lifetime, seconds (login, refresh).
    pub default_token_expiration: Option<i64>,
    /// Session (refresh-token) lifetime, seconds (login).
    pub default_refresh_token_expiration: Option<i64>,
    /// The refresh cookie's `SameSite`.
    pub cookie_same_site: CookieSameSite,
    /// Whether self sign-up is open.
    pub allow_signups: bool,
    pub api_tokens_enabled: bool,
    pub allow_override_password_complexity: bool,
    pub allow_override_password_expiration: bool,
    pub allow_override_enforce_password_history: bool,
    /// Only `RS256`: yolk signs every token with its RSA key.
    pub jwt_algorithm: String,
    /// Whether users who never proved their email may log in. False by default, as in Frontegg: an account
    /// whose mailbox was never proved must not act (see the pre-takeover invariant in ARCHITECTURE.md).
    pub allow_not_verified_users_login: bool,
    pub force_permissions: bool,
    pub auth_strategy: AuthStrategy,
    pub default_passwordless_token_expiration: i64,
    pub force_same_device_on_auth: bool,
    pub allow_tenant_invitations: bool,
    /// Whether refresh rotates the refresh token (with reuse detection).
    pub rotate_refresh_tokens: bool,
    pub machine_to_machine_auth_strategy: MachineToMachineAuthStrategy,
    /// Whether user tokens carry role keys.
    pub add_roles_to_jwt: bool,
    /// Whether user tokens carry permission keys.
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
            cookie_same_site: CookieSameSite::Lax,
            allow_signups: true,
            api_tokens_enabled: true,
            allow_override_password_complexity: false,
            allow_override_password_expiration: false,
            allow_override_enforce_password_history: false,
            jwt_algorithm: "RS256".into(),
            allow_not_verified_users_login: false,
            force_permissions: false,
            auth_strategy: AuthStrategy::EmailAndPassword,
            default_passwordless_token_expiration: 300,
            force_same_device_on_auth: false,
            allow_tenant_invitations: true,
            rotate_refresh_tokens: true,
            machine_to_machine_auth_strategy: MachineToMachineAuthStrategy::ClientCredentials,
            add_roles_to_jwt: true,
            add_permissions_to_jwt: true,
            refresh_tokens_rotation_limit: 0,
            add_saml_attributes_to_jwt: false,
            allow_custom_login_tenant_switch: false,
        }
    }
}

fn lifetime(field: &str, value: Option<i64>) -> Result<(), String> {
    match value {
        Some(v) if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&v) => {
            Err(format!("{field} must be between 1 and {MAX_TOKEN_LIFETIME_SECS} seconds"))
        }
        _ => Ok(()),
    }
}

impl SettingsDocument for VendorConfig {
    const KEY: &'static str = "vendor_config";

    fn validate(&self) -> Result<(), String> {
        lifetime("defaultTokenExpiration", self.default_token_expiration)?;
        lifetime("defaultRefreshTokenExpiration", self.default_refresh_token_expiration)?;
        lifetime("defaultPasswordlessTokenExpiration", Some(self.default_passwordless_token_expiration))?;
        match self.jwt_algorithm.as_str() {
            "RS256" => Ok(()),
            "HS256" => Err("jwtAlgorithm HS256 is not supported: yolk signs tokens with RS256 only".into()),
            _ => Err("jwtAlgorithm must be RS256".into()),
        }
    }
}

/// The environment's reCAPTCHA policy (`/resources/configurations/v1/captcha-policy`), enforced by
/// `yolk_core::captcha` on login, sign-up, passwordless sign-in and "forgot password".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptchaPolicy {
    pub enabled: bool,
    pub site_key: String,
    /// The reCAPTCHA secret: shown to management callers, never logged.
    pub secret_key: String,
    pub min_score: f64,
    #[serde(default)]
    pub ignored_emails: Vec<String>,
}

impl SettingsDocument for CaptchaPolicy {
    const KEY: &'static str = "captcha_policy";

    fn validate(&self) -> Result<(), String> {
        if self.enabled && (self.site_key.trim().is_empty() || self.secret_key.trim().is_empty()) {
            return Err("An enabled captcha policy needs its siteKey and secretKey".into());
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

/// The lockout policy (`/resources/configurations/v1/lockout-policy`): after `maxAttempts` wrong passwords in a
/// row, the user is locked (until the environment unlocks it). The environment's, or one tenant's (for users whose
/// active tenant it is), which wins over the environment's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockoutPolicy {
    pub enabled: bool,
    pub max_attempts: i64,
}

/// The largest `maxAttempts` accepted.
pub const MAX_LOCKOUT_ATTEMPTS: i64 = 1000;

impl SettingsDocument for LockoutPolicy {
    const KEY: &'static str = "lockout_policy";

    fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_LOCKOUT_ATTEMPTS).contains(&self.max_attempts) {
            return Err(format!("maxAttempts must be between 1 and {MAX_LOCKOUT_ATTEMPTS}"));
        }
        Ok(())
    }
}

impl LockoutPolicy {
    /// The number of attempts allowed, when the policy is on.
    pub fn limit(&self) -> Option<i64> {
        self.enabled.then_some(self.max_attempts)
    }
}

impl SettingsDocument for PasswordPolicy {
    const KEY: &'static str = "password_policy";

    fn validate(&self) -> Result<(), String> {
        PasswordPolicy::validate(self)
    }
}

/// The password history policy (`/resources/configurations/v1/password-history-policy`): a new password may not be
/// one of the user's last `historySize` passwords (its current one included). The environment's, or a tenant's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordHistoryPolicy {
    pub enabled: bool,
    pub history_size: i64,
}

/// The most passwords a history policy remembers.
pub const MAX_PASSWORD_HISTORY: i64 = 10;

impl SettingsDocument for PasswordHistoryPolicy {
    const KEY: &'static str = "password_history_policy";

    fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_PASSWORD_HISTORY).contains(&self.history_size) {
            return Err(format!("historySize must be between 1 and {MAX_PASSWORD_HISTORY}"));
        }
        Ok(())
    }
}

/// Password rotation (`/resources/configurations/v1/password-rotation`): a password older than `rotationPeriod`
/// minutes must be replaced before the next session; within `notificationPeriod` minutes of that, logins carry a
/// warning. The environment's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordRotation {
    pub is_active: bool,
    /// Minutes.
    pub rotation_period: i64,
    /// Minutes.
    pub notification_period: i64,
}

impl Default for PasswordRotation {
    fn default() -> Self {
        Self { is_active: false, rotation_period: 129_600, notification_period: 10_080 }
    }
}

/// The longest rotation and notification periods Frontegg accepts, in minutes (5 years).
pub const MAX_ROTATION_MINUTES: i64 = 2_628_000;

impl SettingsDocument for PasswordRotation {
    const KEY: &'static str = "password_rotation";

    fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_ROTATION_MINUTES).contains(&self.rotation_period) {
            return Err(format!("rotationPeriod must be between 1 and {MAX_ROTATION_MINUTES} minutes"));
        }
        if !(0..=MAX_ROTATION_MINUTES).contains(&self.notification_period) {
            return Err(format!("notificationPeriod must be between 0 and {MAX_ROTATION_MINUTES} minutes"));
        }
        Ok(())
    }
}

/// How users of an account reach its sub-accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubAccountAccessType {
    /// Access is off unless turned on per user.
    DefaultOff,
    /// Access is on unless turned off per user.
    DefaultOn,
    /// Every user has access; it cannot be turned off.
    AlwaysOn,
}

/// An account's hierarchy settings (tenant-scoped:
/// `PUT /tenants/resources/sub-tenants/v1/{tenantId}/hierarchy-settings`). Stored; nothing reads it yet (sub-account
/// access arrives with the hierarchy-aware memberships).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchySettings {
    pub sub_account_access_type: SubAccountAccessType,
}

impl SettingsDocument for HierarchySettings {
    const KEY: &'static str = "hierarchy_settings";
}

/// Deserializes a document from a request body, naming the offending field in the error
/// (`defaultTokenExpiration: invalid type: ...`).
pub fn parse_document<D: DeserializeOwned>(value: serde_json::Value) -> Result<D, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." { inner } else { format!("{path}: {inner}") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vendor_config_is_validated() {
        assert!(VendorConfig::default().validate().is_ok());
        for bad in [
            VendorConfig { default_token_expiration: Some(0), ..Default::default() },
            VendorConfig { default_refresh_token_expiration: Some(MAX_TOKEN_LIFETIME_SECS + 1), ..Default::default() },
            VendorConfig { jwt_algorithm: "HS256".into(), ..Default::default() },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parse_errors_name_the_field() {
        let err = parse_document::<VendorConfig>(json!({ "cookieSameSite": "lax" })).unwrap_err();
        assert!(err.starts_with("cookieSameSite: "), "{err}");
        let err = parse_document::<VendorConfig>(json!({ "defaultTokenExpiration": "300" })).unwrap_err();
        assert!(err.starts_with("defaultTokenExpiration: "), "{err}");
    }
}

/// `enforceMFAType`: whether a second factor is required at login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnforceMfaType {
    /// Only users who enrolled a factor give it.
    DontForce,
    /// Every user gives a second factor; one who has none enrolls at login.
    #[default]
    Force,
    /// As `Force`, except for logins through SAML single sign-on (the IdP did the strong authentication).
    #[serde(rename = "ForceExceptSAML")]
    ForceExceptSaml,
}

/// Frontegg's default `mfaDeviceExpiration`: 14 days.
pub const DEFAULT_MFA_DEVICE_EXPIRATION_SECS: i64 = 1_209_600;

/// The MFA policy (`/resources/configurations/v1/mfa-policy`): the environment's, or a tenant's (for users whose
/// tenant it is), which wins over the environment's. Enforced by every first-factor login (`yolk_core::mfa`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaPolicy {
    #[serde(rename = "enforceMFAType", default)]
    pub enforce_mfa_type: EnforceMfaType,
    /// Whether a user may skip the second factor on a device it asked to remember.
    #[serde(default)]
    pub allow_remember_my_device: bool,
    /// How long a remembered device skips the second factor, in seconds.
    #[serde(default = "default_mfa_device_expiration")]
    pub mfa_device_expiration: i64,
}

fn default_mfa_device_expiration() -> i64 {
    DEFAULT_MFA_DEVICE_EXPIRATION_SECS
}

impl Default for MfaPolicy {
    /// No policy stored: nobody is forced; users who enrolled still give their factor.
    fn default() -> Self {
        Self {
            enforce_mfa_type: EnforceMfaType::DontForce,
            allow_remember_my_device: false,
            mfa_device_expiration: DEFAULT_MFA_DEVICE_EXPIRATION_SECS,
        }
    }
}

impl SettingsDocument for MfaPolicy {
    const KEY: &'static str = "mfa_policy";

    fn validate(&self) -> Result<(), String> {
        if !(60..=MAX_TOKEN_LIFETIME_SECS).contains(&self.mfa_device_expiration) {
            return Err(format!("mfaDeviceExpiration must be between 60 and {MAX_TOKEN_LIFETIME_SECS} seconds"));
        }
        Ok(())
    }
}

/// A second factor a user may use (`MFAStrategyResponse.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MfaStrategy {
    AuthenticatorApp,
    WebAuthnPlatform,
    WebAuthnCrossPlatform,
    #[serde(rename = "SMS")]
    Sms,
    EmailCode,
}

impl MfaStrategy {
    /// Every strategy, in the order the API lists them.
    pub const ALL: [MfaStrategy; 5] =
        [Self::AuthenticatorApp, Self::WebAuthnPlatform, Self::WebAuthnCrossPlatform, Self::Sms, Self::EmailCode];
}

/// The MFA configuration (`/resources/configurations/v1/mfa`): which factors are on and how long their codes live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaConfig {
    pub authentication_app: MfaAuthAppConfig,
    pub sms: MfaCodeConfig,
    pub email: MfaEmailConfig,
}

/// `authenticationApp` of the MFA configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaAuthAppConfig {
    pub active: bool,
    /// The issuer an authenticator app shows beside the account.
    pub service_name: String,
}

/// `sms` of the MFA configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaCodeConfig {
    pub active: bool,
    pub token_lifetime_seconds: i64,
}

/// `email` of the MFA configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaEmailConfig {
    pub active: bool,
    pub token_lifetime_seconds: i64,
    /// The sender address of MFA codes (empty: the server's `mail_from`).
    #[serde(default)]
    pub sender: String,
}

/// The lifetime of an MFA code by SMS or email when the configuration says nothing: 5 minutes, the spec's minimum.
pub const DEFAULT_MFA_CODE_LIFETIME_SECS: i64 = 300;

impl Default for MfaConfig {
    fn default() -> Self {
        Self {
            authentication_app: MfaAuthAppConfig { active: true, service_name: "yolk".into() },
            sms: MfaCodeConfig { active: true, token_lifetime_seconds: DEFAULT_MFA_CODE_LIFETIME_SECS },
            email: MfaEmailConfig {
                active: true,
                token_lifetime_seconds: DEFAULT_MFA_CODE_LIFETIME_SECS,
                sender: String::new(),
            },
        }
    }
}

impl SettingsDocument for MfaConfig {
    const KEY: &'static str = "mfa_config";

    fn validate(&self) -> Result<(), String> {
        for (name, secs) in [("sms", self.sms.token_lifetime_seconds), ("email", self.email.token_lifetime_seconds)] {
            if !(300..=86_400).contains(&secs) {
                return Err(format!("{name}.tokenLifetimeSeconds must be between 300 and 86400"));
            }
        }
        let name = self.authentication_app.service_name.trim();
        if name.is_empty() || name.len() > 100 || name.contains(':') {
            return Err("authenticationApp.serviceName must be 1 to 100 characters, without ':'".into());
        }
        if !self.email.sender.is_empty() {
            Email::parse(&self.email.sender).map_err(|_| "email.sender must be an email address".to_string())?;
        }
        Ok(())
    }
}

/// The MFA strategies (`/resources/configurations/v1/mfa/strategies`): which factors users may enroll and use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaStrategies {
    pub strategies: Vec<MfaStrategyState>,
}

/// One entry of [`MfaStrategies`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaStrategyState {
    pub strategy: MfaStrategy,
    pub is_active: bool,
}

impl Default for MfaStrategies {
    /// The authenticator app alone, as Frontegg starts.
    fn default() -> Self {
        Self {
            strategies: MfaStrategy::ALL
                .iter()
                .map(|&strategy| MfaStrategyState { strategy, is_active: strategy == MfaStrategy::AuthenticatorApp })
                .collect(),
        }
    }
}

impl MfaStrategies {
    /// Whether `strategy` is on.
    pub fn is_active(&self, strategy: MfaStrategy) -> bool {
        self.strategies.iter().any(|s| s.strategy == strategy && s.is_active)
    }

    /// Turns one strategy on or off.
    pub fn set(&mut self, strategy: MfaStrategy, is_active: bool) -> Result<(), String> {
        match self.strategies.iter_mut().find(|s| s.strategy == strategy) {
            Some(s) => s.is_active = is_active,
            None => self.strategies.push(MfaStrategyState { strategy, is_active }),
        }
        Ok(())
    }
}

impl SettingsDocument for MfaStrategies {
    const KEY: &'static str = "mfa_strategies";
}

/// The user emails policy (`/resources/configurations/v1/user-emails-policy`): whether users may change their own
/// login address (`users/v1/email/me`, `users/emails/v1/me/primary`). The environment's; allowed until set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEmailsPolicy {
    pub allow_email_change: bool,
}

impl Default for UserEmailsPolicy {
    fn default() -> Self {
        Self { allow_email_change: true }
    }
}

impl SettingsDocument for UserEmailsPolicy {
    const KEY: &'static str = "user_emails_policy";
}

/// `strategy` of the activation and invitation strategies: what the email carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkOrCode {
    /// A link (`/account/activate?userId=&token=`, `/account/invitation/accept?userId=&token=`).
    #[default]
    Link,
    /// The link and a 6-digit code; the `.../code` routes take the link's token and the code.
    Code,
}

fn check_code_expiration(secs: i64) -> Result<(), String> {
    if !(60..=MAX_TOKEN_LIFETIME_SECS).contains(&secs) {
        return Err(format!("codeExpiration must be between 60 and {MAX_TOKEN_LIFETIME_SECS} seconds"));
    }
    Ok(())
}

/// The environment's activation strategy (`/configurations/v1/activation/strategies`). Enforced by the activation
/// email: with `code`, the secret lives `codeExpiration` seconds and the email carries a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivationStrategy {
    pub strategy: LinkOrCode,
    /// How long a code (and its link) works, seconds (the link strategy's links work 72 hours).
    pub code_expiration: i64,
}

impl Default for ActivationStrategy {
    fn default() -> Self {
        Self { strategy: LinkOrCode::Link, code_expiration: 72 * 3600 }
    }
}

impl SettingsDocument for ActivationStrategy {
    const KEY: &'static str = "activation_strategy";

    fn validate(&self) -> Result<(), String> {
        check_code_expiration(self.code_expiration)
    }
}

/// The environment's invitation strategy (`/configurations/v1/invitation/strategies`). Enforced by the invitation
/// email: with `code`, the secret lives `codeExpiration` seconds and the email carries a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InvitationStrategy {
    pub strategy: LinkOrCode,
    /// How long a code (and its link) works, seconds (the link strategy's links work 7 days).
    pub code_expiration: i64,
}

impl Default for InvitationStrategy {
    fn default() -> Self {
        Self { strategy: LinkOrCode::Link, code_expiration: 7 * 24 * 3600 }
    }
}

impl SettingsDocument for InvitationStrategy {
    const KEY: &'static str = "invitation_strategy";

    fn validate(&self) -> Result<(), String> {
        check_code_expiration(self.code_expiration)
    }
}

/// The environment's temporary users configuration (`/users/temporary/v1/configuration`). Enforced where users
/// are made temporary: `expirationInSeconds` on create and `PUT /users/temporary/v1/{userId}` are refused while it
/// is off. An expiry already set is enforced either way (login, refresh, every request's session check).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryUsersConfiguration {
    pub enabled: bool,
}

impl SettingsDocument for TemporaryUsersConfiguration {
    const KEY: &'static str = "temporary_users";
}
