//! Environment auth and user login.

use serde::{Deserialize, Serialize};

/// `POST /auth/vendor` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorAuthRequest {
    pub client_id: String,
    pub secret: String,
}

/// `POST /auth/vendor` response. `expiresIn` is an integer number of seconds.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorAuthResponse {
    pub token: String,
    pub expires_in: i64,
}

/// `POST /identity/resources/auth/v1/user` body (`AuthenticateUserPasswordDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordLoginRequest {
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: String,
    pub recaptcha_token: Option<String>,
    pub invitation_token: Option<String>,
}

/// `POST /identity/resources/users/v1/passwords/reset` body: `{email}` (the browser SDK) or `ResetPasswordDto`
/// (`{identifier, identifierType}`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordRequest {
    pub email: Option<String>,
    pub identifier: Option<String>,
    pub identifier_type: Option<String>,
    pub recaptcha_token: Option<String>,
}

/// `POST /identity/resources/users/v1/passwords/reset/verify` body (`VerifyPasswordDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResetPasswordRequest {
    pub user_id: String,
    pub token: String,
    pub password: String,
}

/// `POST /identity/resources/users/v1/passwords/change` body (`UpdateUserPasswordDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub password: String,
    pub new_password: String,
}

/// `POST /identity/resources/auth/v1/passwordless/{type}/prelogin` body (`PasswordlessAuthenticationPreloginDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordlessPreloginRequest {
    pub email: Option<String>,
    pub recaptcha_token: Option<String>,
}

/// `POST /identity/resources/auth/v1/passwordless/{type}/postlogin` body (`AuthenticateUserPasswordlessDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordlessPostloginRequest {
    pub token: String,
    pub recaptcha_token: Option<String>,
}

/// `AuthenticationResponseDto`: the login, refresh and signup token response.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponse {
    pub token_type: String,
    pub mfa_required: bool,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub expires: String,
    pub user_id: String,
    pub user_email: String,
    pub email_verified: bool,
    /// The recovery code set by the step that enrolled the user's first factor (shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    /// Minutes until the password expires, when within the rotation policy's notification period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_expires_in: Option<i64>,
    /// The rotation policy's notification period (minutes), with `passwordExpiresIn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_period: Option<i64>,
}

/// `POST /identity/resources/users/v1/signUp` and `.../signUp/username` (`SignUpUserEmailDto`,
/// `SignUpUserUsernameDto`). A self sign-up never chooses its roles nor sets the environment's own fields
/// (`roleIds`, `externalId`, `vendorMetadata` are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    #[serde(flatten)]
    pub user: crate::users::NewUserFields,
    /// The name of the tenant the sign-up founds (required unless `invitationToken` is given).
    pub company_name: Option<String>,
    /// The captcha token, when the captcha policy is enabled.
    pub recaptcha_token: Option<String>,
    /// A tenant invitation link's token: the user joins that tenant instead of founding one.
    pub invitation_token: Option<String>,
}

/// The sign-up answer: the login response when the user may log in at once, else `shouldActivate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpResponse {
    pub should_activate: bool,
    pub user_id: String,
    pub tenant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_response: Option<AuthenticationResponse>,
}

/// The optional body of refresh and logout (mobile SDKs send the refresh token here instead of a cookie).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshTokenRequest {
    pub refresh_token: Option<String>,
}
