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

/// `CreateUserPhoneNumberRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePhoneNumberRequest {
    pub phone_number: String,
    /// Whether a code is texted to the number (default `true`).
    #[serde(default)]
    pub verify: Option<bool>,
}

/// `VerifyPhoneNumberOTCRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneCodeRequest {
    pub otc_token: String,
    pub code: String,
}

/// `UserPhoneNumberResponseDto`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPhoneNumberResponse {
    pub id: String,
    pub user_id: String,
    pub phone_number: String,
    pub verified: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// `UserPhoneNumberCreatedResponseDto` (the file declares no properties): the number added (absent after a
/// pre-verification, which adds none yet) and the `otcToken` of the code texted to it, for `.../v1/verify`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumberCreatedResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
}

/// `UserPhoneNumberDeleteCodeResponseDto` (the file declares no properties): the `otcToken` of the code texted to
/// the number, for `.../v1/{id}/delete/verify`; absent when the number (unverified) was deleted at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumberDeleteCodeResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otc_token: Option<String>,
}
