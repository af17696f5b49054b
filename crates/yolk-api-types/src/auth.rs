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
}
