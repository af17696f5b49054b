//! Social login wire shapes: custom OAuth providers (identity.json, tag "Custom social OAuth provider"), the
//! environment's built-in providers (yolk's vendor-only `POST /identity/resources/sso/v1`, and the SDK's
//! `GET sso/v1`, `sso/v2`) and the social postlogin (see shared/SSO-MODEL.md).

use serde::{Deserialize, Serialize};

/// `POST /identity/resources/sso/custom/v1` (`CreateCustomSsoRequestDto`) and `PATCH .../{id}`
/// (`UpdateCustomSsoRequestDto`: every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomSsoRequest {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub client_id: Option<String>,
    pub secret: Option<String>,
    pub redirect_url: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub user_info_url: Option<String>,
    pub scopes: Option<String>,
    pub sso_logo_url: Option<String>,
    pub display_name: Option<String>,
    pub active: Option<bool>,
}

/// A custom provider as `GET /identity/resources/sso/custom/v1` lists it (never its secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomSsoProvider {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub client_id: String,
    pub redirect_url: String,
    pub redirect_url_pattern: String,
    pub authorization_url: String,
    pub user_info_url: String,
    pub scopes: String,
    pub sso_logo_url: String,
    pub display_name: String,
    pub active: bool,
}

/// `{providers: [...]}`.
#[derive(Debug, Clone, Serialize)]
pub struct CustomSsoProviders {
    pub providers: Vec<CustomSsoProvider>,
}

/// yolk's vendor-only `POST /identity/resources/sso/v1`: configures one built-in provider (upsert by `type`).
/// The endpoint URLs override the provider's well-known ones (a test's local provider).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialProviderRequest {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub client_id: Option<String>,
    pub secret: Option<String>,
    pub redirect_url: Option<String>,
    pub active: Option<bool>,
    pub additional_scopes: Option<Vec<String>>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub user_info_url: Option<String>,
}

/// A built-in provider as `GET /identity/resources/sso/v2` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialProviderV2 {
    #[serde(rename = "type")]
    pub kind: String,
    pub client_id: String,
    pub redirect_url: String,
    pub active: bool,
    /// The full URL the login box sends the browser to (with a `state` the server checks).
    pub authorization_url: String,
    pub options: serde_json::Value,
    pub customised: bool,
    pub additional_scopes: Vec<String>,
}

/// The shorter `GET /identity/resources/sso/v1` form.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialProviderV1 {
    #[serde(rename = "type")]
    pub kind: String,
    pub client_id: String,
    pub redirect_url: String,
    pub active: bool,
    pub authorization_url: String,
}

/// `POST auth/v1/user/sso/{provider}/postlogin`'s query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SocialPostloginQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "redirectUri")]
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub code_verifier_pkce: Option<String>,
    pub id_token: Option<String>,
}

/// Its body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialPostloginRequest {
    pub metadata: Option<serde_json::Value>,
    pub invitation_token: Option<String>,
}
