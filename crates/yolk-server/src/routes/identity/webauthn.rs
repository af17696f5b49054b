//! WebAuthn: the MFA tag's WebAuthn operations (a device as the second factor of a login, `auth/v1/user/mfa/webauthn/*`),
//! the signed-in user's WebAuthn factors (`users/v1/mfa/webauthn/*`, which Frontegg's SDK calls), and passkeys
//! (`users/webauthn/v1/devices`, `auth/v1/webauthn/prelogin|postlogin`, not in the OpenAPI files; shapes from the
//! SDK). The rules are `yolk_core::mfa`'s and `yolk_core::passkeys`'.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, post};
use axum::{Json, Router};
use yolk_api_types::mfa::{
    MfaTokenRequest, PasskeyDevice, PasskeyDevicesResponse, PasskeyOptionsResponse, PasskeyPreloginRequest,
    RecoveryCodeResponse, UserWebAuthnDisableRequest, UserWebAuthnEnrollRequest, VerifyWebAuthnEnrollAtLoginRequest,
    VerifyWebAuthnRequest, WebAuthnAnswer, WebAuthnOptionsResponse,
};
use yolk_core::CoreError;
use yolk_core::passkeys::PasskeyAccount;
use yolk_core::webauthn::BrowserCredential;
use yolk_domain::UserId;

use super::mfa::{limited, login_response, mfa_login_response, remembered_device};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ClientAddr, UserContext};
use crate::state::AppState;

/// WebAuthn and passkey routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/auth/v1/user/mfa/webauthn/enroll", post(enroll_at_login))
        .route("/resources/auth/v1/user/mfa/webauthn/enroll/verify", post(verify_enroll_at_login))
        .route("/resources/auth/v1/user/mfa/webauthn/{deviceId}", post(pre_verify))
        .route("/resources/auth/v1/user/mfa/webauthn/{deviceId}/verify", post(verify))
        .route("/resources/users/v1/mfa/webauthn/enroll", post(enroll))
        .route("/resources/users/v1/mfa/webauthn/enroll/verify", post(verify_enroll))
        .route("/resources/users/v1/mfa/webauthn/{deviceId}/disable", post(disable))
        .route("/resources/users/v1/mfa/webauthn/{deviceId}/disable/verify", post(disable_verify))
        .route("/resources/users/webauthn/v1/devices", post(passkey_options).get(passkeys))
        .route("/resources/users/webauthn/v1/devices/verify", post(passkey_register))
        .route("/resources/users/webauthn/v1/devices/{deviceId}", delete(passkey_remove))
        .route("/resources/auth/v1/webauthn/prelogin", post(passkey_prelogin))
        .route("/resources/auth/v1/webauthn/postlogin", post(passkey_postlogin))
}

fn answer(a: WebAuthnAnswer) -> BrowserCredential {
    BrowserCredential { id: a.id, response: serde_json::Value::Object(a.response) }
}

/// Registration options for a WebAuthn device of the user of a login waiting for its second factor (201).
async fn enroll_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<MfaTokenRequest>,
) -> ApiResult<(StatusCode, Json<WebAuthnOptionsResponse>)> {
    let mfa = state.services.mfa();
    let (webauthn_token, options) =
        limited(&state, ip, &body.mfa_token, mfa.webauthn_enroll_at_login(&body.mfa_token)).await?;
    Ok((StatusCode::CREATED, Json(WebAuthnOptionsResponse { webauthn_token, options })))
}

/// The attestation enrolls the device and completes the login (201, with the recovery code).
async fn verify_enroll_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VerifyWebAuthnEnrollAtLoginRequest>,
) -> ApiResult<Response> {
    let mfa = state.services.mfa();
    let credential = answer(body.options);
    let attempt = mfa.webauthn_enroll_verify_at_login(
        &body.mfa_token,
        &body.webauthn_token,
        body.device_type,
        &credential,
        body.remember_device,
    );
    let login = limited(&state, ip, &body.mfa_token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// Request options for one of the user's devices, for a login waiting for its second factor (201).
async fn pre_verify(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<MfaTokenRequest>,
) -> ApiResult<(StatusCode, Json<WebAuthnOptionsResponse>)> {
    let mfa = state.services.mfa();
    let (webauthn_token, options) =
        limited(&state, ip, &body.mfa_token, mfa.webauthn_pre_verify(&body.mfa_token, &device)).await?;
    Ok((StatusCode::CREATED, Json(WebAuthnOptionsResponse { webauthn_token, options })))
}

/// The device's assertion completes the login (201). A bad answer is a 401 and counts against the `mfaToken`.
async fn verify(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<VerifyWebAuthnRequest>,
) -> ApiResult<Response> {
    let mfa = state.services.mfa();
    let credential = answer(body.options);
    let attempt =
        mfa.webauthn_verify(&body.mfa_token, &device, &body.webauthn_token, &credential, body.remember_device);
    let login = limited(&state, ip, &body.mfa_token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// Registration options for a new WebAuthn factor of the signed-in user (body-less POST).
async fn enroll(State(state): State<AppState>, who: UserContext) -> ApiResult<Json<WebAuthnOptionsResponse>> {
    let (webauthn_token, options) = state.services.mfa().webauthn_enroll(&who).await?;
    Ok(Json(WebAuthnOptionsResponse { webauthn_token, options }))
}

/// The attestation enrolls the signed-in user's device: `{recoveryCode}` (empty when it already had one).
async fn verify_enroll(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<UserWebAuthnEnrollRequest>,
) -> ApiResult<Json<RecoveryCodeResponse>> {
    let identifier = format!("mfa-user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    let credential = answer(body.options);
    let result =
        state.services.mfa().webauthn_enroll_verify(&who, &body.webauthn_token, body.device_type, &credential).await;
    if matches!(result, Err(CoreError::BadRequest(_))) {
        state.throttle.failed(&identifier);
    }
    Ok(Json(RecoveryCodeResponse { recovery_code: result? }))
}

/// Request options for the device the signed-in user removes.
async fn disable(
    State(state): State<AppState>,
    who: UserContext,
    ApiPath(device): ApiPath<String>,
) -> ApiResult<Json<WebAuthnOptionsResponse>> {
    let (webauthn_token, options) = state.services.mfa().webauthn_disable(&who, &device).await?;
    Ok(Json(WebAuthnOptionsResponse { webauthn_token, options }))
}

/// The device's own assertion removes it (200). A bad answer is a 400 and changes nothing.
async fn disable_verify(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<UserWebAuthnDisableRequest>,
) -> ApiResult<StatusCode> {
    let identifier = format!("mfa-user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    let credential = answer(body.options);
    let result = state.services.mfa().webauthn_disable_verify(&who, &device, &body.webauthn_token, &credential).await;
    if matches!(result, Err(CoreError::BadRequest(_))) {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::OK)
}

/// Creation options for a new passkey of the signed-in user: `{options}`.
async fn passkey_options(State(state): State<AppState>, who: UserContext) -> ApiResult<Json<PasskeyOptionsResponse>> {
    Ok(Json(PasskeyOptionsResponse { options: state.services.passkeys().registration_options(&who).await? }))
}

/// The attestation adds the passkey (201).
async fn passkey_register(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<WebAuthnAnswer>,
) -> ApiResult<StatusCode> {
    let identifier = format!("passkey-user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    let device_type = match body.device_type {
        Some(yolk_api_types::mfa::WebAuthnDeviceType::Platform) => "Platform",
        _ => "CrossPlatform",
    };
    let credential = answer(body);
    let result = state.services.passkeys().register(&who, &credential, device_type).await;
    if matches!(result, Err(CoreError::BadRequest(_))) {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::CREATED)
}

/// The signed-in user's passkeys: `{devices: [{id, deviceType, createdAt}]}`.
async fn passkeys(State(state): State<AppState>, who: UserContext) -> ApiResult<Json<PasskeyDevicesResponse>> {
    let devices = state.services.passkeys().list(&who).await?;
    let devices = devices
        .into_iter()
        .map(|p| PasskeyDevice { id: p.id, device_type: p.device_type, created_at: p.created_at })
        .collect();
    Ok(Json(PasskeyDevicesResponse { devices }))
}

/// Removes one of the signed-in user's passkeys (200).
async fn passkey_remove(
    State(state): State<AppState>,
    who: UserContext,
    ApiPath(device): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.services.passkeys().remove(&who, &device).await?;
    Ok(StatusCode::OK)
}

/// Request options for a passkey sign-in: `{options}` (200), the same for every account.
async fn passkey_prelogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<PasskeyPreloginRequest>,
) -> ApiResult<Json<PasskeyOptionsResponse>> {
    let email = body.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let account = match (email, body.user_id.as_deref()) {
        (Some(email), _) => PasskeyAccount::Email(email),
        (None, Some(id)) => PasskeyAccount::User(
            UserId::parse(id.trim()).map_err(|_| ApiError::BadRequest("userId must be a user id".into()))?,
        ),
        (None, None) => return Err(ApiError::BadRequest("email or userId is required".into())),
    };
    let identifier = match account {
        PasskeyAccount::Email(e) => format!("passkey:{}", yolk_domain::values::normalize_email(e)),
        PasskeyAccount::User(id) => format!("passkey:{id}"),
    };
    state.throttle.admit(ip, &identifier)?;
    state.services.captcha.check(body.recaptcha_token.as_deref(), email, ip).await?;
    Ok(Json(PasskeyOptionsResponse { options: state.services.passkeys().prelogin(account).await? }))
}

/// The passkey's assertion signs the account in: the login body and cookie (200), or the MFA branch.
async fn passkey_postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<WebAuthnAnswer>,
) -> ApiResult<Response> {
    // Failures count against the credential named (never one shared name: that would let anyone lock everyone out).
    let identifier = format!("passkey-login:{}", &yolk_core::secrets::sha256_hex(body.id.trim())[..16]);
    state.throttle.admit(ip, &identifier)?;
    let remembered = remembered_device(&state, &headers);
    let credential = answer(body);
    let result = state.services.passkeys().postlogin(&credential, remembered.as_deref()).await;
    if matches!(result, Err(CoreError::Unauthorized(_))) {
        state.throttle.failed(&identifier);
    }
    Ok(login_response(&state, StatusCode::OK, &result?))
}
