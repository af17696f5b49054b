//! Environment-wide settings documents and their defaults. Stored in the settings store; every path that a
//! setting governs reads it here, so a stored setting is always an enforced one.

use serde::{Deserialize, Serialize};
use yolk_domain::password_policy::PasswordPolicy;
use yolk_store::Store;

use crate::CoreResult;

/// Settings key of the vendor configuration (`VendorConfigResponse`).
pub const VENDOR_CONFIG_KEY: &str = "vendor_config";
/// Settings key of the password policy.
pub const PASSWORD_POLICY_KEY: &str = "password_policy";

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

/// The stored password policy, or Frontegg's default.
pub async fn password_policy(store: &dyn Store) -> CoreResult<PasswordPolicy> {
    Ok(store.get_setting(PASSWORD_POLICY_KEY).await?.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}
