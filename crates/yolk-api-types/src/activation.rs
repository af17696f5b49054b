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

/// `ActivateUserWithCodeDto`: the activation link's token and the code the email carried.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivateUserWithCodeRequest {
    pub user_id: String,
    pub token: String,
    pub code: String,
    pub password: Option<String>,
    /// Accepted and ignored (no captcha on this path).
    pub recaptcha_token: Option<String>,
    /// Accepted and ignored.
    pub last_terms_check: Option<String>,
}

/// `AcceptInvitationWithCodeDto`: the invitation link's token and the code the email carried.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptInvitationWithCodeRequest {
    pub user_id: String,
    pub token: String,
    pub code: String,
}

/// `CreateInviteTokenRequest` (`POST /tenants/invites/v1`, environment).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInviteTokenRequest {
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    pub expires_in_minutes: Option<f64>,
    pub should_send_email: Option<bool>,
    pub role_ids: Option<Vec<yolk_domain::RoleId>>,
}

/// `CreateInviteTokenRequestForUser` / `...V2` / `UpdateInviteTokenRequest` (a member's own link).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInviteTokenRequest {
    pub expires_in_minutes: Option<f64>,
    pub should_send_email: Option<bool>,
    pub role_ids: Option<Vec<yolk_domain::RoleId>>,
}

/// `VerifyInviteTokenRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyInviteTokenRequest {
    pub token: String,
}

/// `InviteTokenDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteTokenDto {
    pub id: String,
    pub vendor_id: String,
    pub tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub token: String,
    pub expires: String,
    pub should_send_email: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role_ids: Vec<String>,
}

/// `ResetTenantInvitationDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetAllInvitationsRequest {
    pub email: String,
}
