//! Core settings (`Core settings` tag): the environment configuration.

use serde::{Deserialize, Serialize};

/// `VendorConfigRequest` (`POST /resources/configurations/v1`): every field is optional and merged into the stored
/// configuration; enums arrive as strings and are checked by the core (which names the allowed values).
/// `skipTenantValidation` is not a yolk setting and is ignored like any unknown field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorConfigRequest {
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

/// `VendorConfigResponse`. Token lifetimes are the ones in force (the server's defaults when none is stored);
/// `jwtSecret` is always empty because yolk signs only with RS256.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorConfigResponse {
    pub id: String,
    pub default_token_expiration: i64,
    pub default_refresh_token_expiration: i64,
    /// SPKI PEM of the key user tokens are signed with.
    pub public_key: String,
    pub cookie_same_site: String,
    pub allow_signups: bool,
    pub api_tokens_enabled: bool,
    pub allow_override_password_complexity: bool,
    pub allow_override_password_expiration: bool,
    pub allow_override_enforce_password_history: bool,
    pub jwt_algorithm: String,
    pub jwt_secret: String,
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

/// `VendorConfigBasicResponse` (`GET /resources/configurations/v1/basic`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorConfigBasicResponse {
    pub force_permissions: bool,
    pub machine_to_machine_auth_strategy: String,
}

/// `CaptchaPolicyRequest` (`POST`/`PUT /resources/configurations/v1/captcha-policy`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptchaPolicyRequest {
    pub enabled: bool,
    pub site_key: String,
    pub secret_key: String,
    pub min_score: f64,
    #[serde(default)]
    pub ignored_emails: Vec<String>,
}

/// `CaptchaPolicyResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptchaPolicyResponse {
    pub id: String,
    pub site_key: String,
    pub secret_key: String,
    pub enabled: bool,
    pub min_score: f64,
    pub ignored_emails: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}
