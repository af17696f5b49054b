//! Multi-factor authentication: the login's MFA branch, the second-factor steps and the MFA settings.

use serde::{Deserialize, Serialize};

/// The login's MFA branch (`AuthenticationResponseDto` without tokens): the SDK asks for the second factor.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaRequiredResponse {
    pub mfa_required: bool,
    pub mfa_token: String,
    pub mfa_enrolled: bool,
    pub mfa_devices: UserMfaDevices,
    pub mfa_strategies: Vec<String>,
    pub user_id: String,
    pub user_email: String,
    pub email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// `UserMFADevicesResponse`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMfaDevices {
    pub webauthn: Vec<WebAuthnDevice>,
    pub phones: Vec<PhoneDevice>,
    pub authenticators: Vec<AuthenticatorDevice>,
    pub emails: Vec<EmailDevice>,
}

/// `UserMFAPhoneDeviceResponse` (the number masked).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneDevice {
    pub id: String,
    pub phone_number: String,
}

/// `UserMFAWebAuthnDeviceResponse`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnDevice {
    pub id: String,
    /// `Platform` or `CrossPlatform`.
    pub device_type: String,
    pub name: String,
}

/// `UserMFAAuthenticatorAppResponse`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuthenticatorDevice {
    pub id: String,
}

/// `UserMFAEmailCodeResponse`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmailDevice {
    pub email: String,
}

/// `VerifyMFAAuthAppRequest`: a code for a login waiting for its second factor.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyMfaRequest {
    pub value: String,
    pub mfa_token: String,
    #[serde(default)]
    pub remember_device: bool,
}

/// `VerifyEnrollMFAAuthAppRequest`: an authenticator's first code, during a login.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyEnrollAtLoginRequest {
    pub token: String,
    pub mfa_token: String,
    #[serde(default)]
    pub remember_device: bool,
}

/// `AuthRequestEnrollMFARequest` / `AuthRequestVerifyMfaRequest`: the login's `mfaToken`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaTokenRequest {
    pub mfa_token: String,
}

/// `VerifyMFAEmailOTCRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmailCodeRequest {
    pub otc_token: String,
    pub code: String,
    pub mfa_token: String,
    #[serde(default)]
    pub remember_device: bool,
}

/// `RecoverMfaDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoverMfaRequest {
    pub email: String,
    pub recovery_code: String,
}

/// `VerifyEnrollMFAUserAuthAppRequest` / `DisableMFAAuthAppRequest`: a code of the signed-in user's authenticator.
#[derive(Debug, Deserialize)]
pub struct UserCodeRequest {
    pub token: String,
}

/// `RequestEnrollAuthenticatorAppMfaResponse`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrCodeResponse {
    pub qr_code: String,
}

/// `VerifyEnrollMFAResponse`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodeResponse {
    pub recovery_code: String,
}

/// `RequestVerifyMFAEmailResponse`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtcTokenResponse {
    pub otc_token: String,
}

/// `CheckAllowRememberResponse`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowRememberResponse {
    pub is_allowed_to_remember: bool,
    pub mfa_device_expiration: i64,
}

/// `CreateOrUpdateMFAStrategyRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaStrategyRequest {
    pub is_active: bool,
    pub strategy: yolk_domain::settings::MfaStrategy,
}

/// `RequestEnrollMFASMSRequest` (with the login's `mfaToken` during a login).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsEnrollRequest {
    pub phone_number: String,
    #[serde(default)]
    pub mfa_token: Option<String>,
}

/// `VerifyEnrollMFASMSRequest`, `VerifyMFASMSRequest`, `DisableMFASMSRequest`: a texted code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsCodeRequest {
    pub otc_token: String,
    pub code: String,
    #[serde(default)]
    pub mfa_token: Option<String>,
    #[serde(default)]
    pub remember_device: bool,
}

/// The answer to a texted code: its `otcToken` and the number it went to (masked when the number is enrolled).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsSentResponse {
    pub otc_token: String,
    pub phone_number: String,
}

/// A password login whose password expired under the rotation policy (`AuthenticationResponseDto` without
/// tokens): the login box sets a new password with `resetPasswordToken`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordExpiredResponse {
    pub mfa_required: bool,
    pub reset_password_token: String,
    pub user_id: String,
    pub user_email: String,
}

/// `Platform` (the device's own authenticator) or `CrossPlatform` (a roaming security key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebAuthnDeviceType {
    Platform,
    CrossPlatform,
}

/// A browser's WebAuthn answer as the SDK posts it (`VerifyNewWebAuthnDeviceRequest`, `AuthenticateUserWebAuthNDto`):
/// the credential id and the authenticator's response, every buffer base64url.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnAnswer {
    pub id: String,
    pub response: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub device_type: Option<WebAuthnDeviceType>,
}

/// `RequestEnrollMFAWebAuthnResponse` and the pre-verify answer: the ceremony's token and the options the SDK hands
/// to `navigator.credentials`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnOptionsResponse {
    pub webauthn_token: String,
    pub options: serde_json::Value,
}

/// `VerifyEnrollMFAWebAuthnRequest`: the attestation of a device enrolled at login.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyWebAuthnEnrollAtLoginRequest {
    pub device_type: WebAuthnDeviceType,
    pub webauthn_token: String,
    pub options: WebAuthnAnswer,
    pub mfa_token: String,
    #[serde(default)]
    pub remember_device: bool,
}

/// `VerifyMFAWebAuthnRequest`: a device's assertion for a login waiting for its second factor.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyWebAuthnRequest {
    pub webauthn_token: String,
    pub options: WebAuthnAnswer,
    pub mfa_token: String,
    #[serde(default)]
    pub remember_device: bool,
}

/// The signed-in user's WebAuthn enrolment (`users/v1/mfa/webauthn/enroll/verify`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserWebAuthnEnrollRequest {
    pub device_type: WebAuthnDeviceType,
    pub webauthn_token: String,
    pub options: WebAuthnAnswer,
}

/// The signed-in user's assertion removing a WebAuthn device (`users/v1/mfa/webauthn/{deviceId}/disable/verify`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserWebAuthnDisableRequest {
    pub webauthn_token: String,
    pub options: WebAuthnAnswer,
}

/// `POST /auth/v1/webauthn/prelogin`: the account a passkey sign-in is for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyPreloginRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub recaptcha_token: Option<String>,
}

/// The options of a passkey ceremony: `{options}`.
#[derive(Debug, Serialize)]
pub struct PasskeyOptionsResponse {
    pub options: serde_json::Value,
}

/// `GET /users/webauthn/v1/devices`.
#[derive(Debug, Serialize)]
pub struct PasskeyDevicesResponse {
    pub devices: Vec<PasskeyDevice>,
}

/// One passkey.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyDevice {
    pub id: String,
    pub device_type: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
