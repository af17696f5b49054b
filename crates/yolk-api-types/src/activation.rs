//! Activation and invitation links (identity.json, User management / Users).

use serde::{Deserialize, Serialize};

/// `POST /identity/resources/users/v1/activate` body (`ActivateUserDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivateUserRequest {
    pub user_id: String,
    pub token: String,
    pub password: Option<String>,
    /// Accepted and ignored (no captcha on this path).
    pub recaptcha_token: Option<String>,
    /// Accepted and ignored.
    pub last_terms_check: Option<String>,
}

/// `GET /identity/resources/users/v1/activate/strategy` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationStrategyQuery {
    pub user_id: String,
    pub token: String,
}

/// `GetActivateStrategyResponseDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationStrategyResponse {
    pub should_set_password: bool,
}

/// `POST /identity/resources/users/v1/activate/reset` body (`ResetActivationTokenDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetActivationRequest {
    pub email: String,
    /// Accepted and ignored (yolk's emails have no templates).
    pub email_metadata: Option<serde_json::Value>,
}

/// `POST /identity/resources/users/v1/invitation/accept` body (`AcceptInvitationDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptInvitationRequest {
    pub user_id: String,
    pub token: String,
}

/// `GenerateUserActivationLinkResponseDto` / `GenerateUserResetPasswordLinkResponseDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedLinkResponse {
    pub link: String,
    pub token: String,
    pub user_id: String,
}

/// `POST /identity/resources/users/v1/invitation/reset` body (`ResetTenantInvitationDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetInvitationRequest {
    pub email: String,
}

/// `InvitationConfigurationResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationConfigurationResponse {
    pub tenant_invitations_allowed: bool,
    pub emails_enabled: bool,
}
