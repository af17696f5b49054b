//! A user's addresses, email change, usernames and phone numbers (identity.json, tag User management / Users).

use serde::{Deserialize, Serialize};

/// `CreateUserEmailRequestDto`, `MarkEmailAsPrimaryRequestDto`, `SelfEmailUpdateRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailRequest {
    pub email: String,
}

/// `CreateUserEmailVendorRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorEmailRequest {
    pub email: String,
    #[serde(default)]
    pub is_verified: Option<bool>,
}

/// `CreateUserEmailVerifyRequestDto`, `SelfEmailUpdateVerifyRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailCodeRequest {
    pub email: String,
    pub code: String,
}

/// `UserEmailResponseDto`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEmailResponse {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub verified: bool,
    pub is_primary: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// `CreateUsernameRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsernameRequest {
    pub username: String,
}

/// `UsernameResponseDto`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsernameResponse {
    pub username: String,
    pub user_id: String,
}

/// `PreVerifyUserPhoneNumberRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumberRequest {
    pub phone_number: String,
}
