//! identity.json tags MFA, MFA configuration and MFA settings: the second factor of a login (`auth/v1/user/mfa/*`,
//! no authentication but the login's `mfaToken`), the signed-in user's own factors (`users/v1/mfa/*`), the
//! environment's unenrol, and the MFA policy, configuration and strategies. The rules are `yolk_core::mfa`'s.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use yolk_api_types::mfa::{
    AllowRememberResponse, AuthenticatorDevice, EmailDevice, MfaRequiredResponse, MfaStrategyRequest, MfaTokenRequest,
    OtcTokenResponse, PasswordExpiredResponse, PhoneDevice, QrCodeResponse, RecoverMfaRequest, RecoveryCodeResponse,
    SmsCodeRequest, SmsEnrollRequest, SmsSentResponse, UserCodeRequest, UserMfaDevices, VerifyEmailCodeRequest,
    VerifyEnrollAtLoginRequest, VerifyMfaRequest, WebAuthnDevice,
};
use yolk_core::CoreError;
use yolk_core::mfa::{LoginOutcome, MfaDevices, MfaLogin, MfaRequired};
use yolk_domain::UserId;
use yolk_domain::settings::{MfaConfig, MfaPolicy, MfaStrategies, Stamped};

use super::auth::{cookie_attributes, token_response};
use crate::convert::auth_body;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, TenantHeader, UserContext, VendorAuth};
use crate::state::AppState;

/// MFA routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/auth/v1/user/mfa/verify", post(verify))
        .route("/resources/auth/v1/user/mfa/authenticator/enroll", post(enroll_at_login))
        .route("/resources/auth/v1/user/mfa/authenticator/enroll/verify", post(verify_enroll_at_login))
        .route("/resources/auth/v1/user/mfa/authenticator/{deviceId}/verify", post(verify_device))
        .route("/resources/auth/v1/user/mfa/emailcode", post(send_email_code))
        .route("/resources/auth/v1/user/mfa/emailcode/verify", post(verify_email_code))
        .route("/resources/auth/v1/user/mfa/recover", post(recover))
        .route("/resources/auth/v1/user/mfa/sms/enroll", post(sms_enroll_at_login))
        .route("/resources/auth/v1/user/mfa/sms/enroll/verify", post(sms_enroll_verify_at_login))
        .route("/resources/auth/v1/user/mfa/sms/{deviceId}", post(sms_send_at_login))
        .route("/resources/auth/v1/user/mfa/sms/{deviceId}/verify", post(sms_verify_at_login))
        .route("/resources/users/v1/mfa/sms/enroll", post(sms_enroll))
        .route("/resources/users/v1/mfa/sms/enroll/verify", post(sms_enroll_verify))
        .route("/resources/users/v1/mfa/sms/{deviceId}/disable", post(sms_disable))
        .route("/resources/users/v1/mfa/sms/{deviceId}/disable/verify", post(sms_disable_verify))
        .route("/resources/configurations/v1/mfa-policy/allow-remember-device", get(allow_remember_device))
        .route("/resources/users/v1/mfa/enroll", post(enroll))
        .route("/resources/users/v1/mfa/authenticator/enroll", post(enroll))
        .route("/resources/users/v1/mfa/enroll/verify", post(verify_enroll))
        .route("/resources/users/v1/mfa/authenticator/enroll/verify", post(verify_enroll))
        .route("/resources/users/v1/mfa/disable", post(disable))
        .route("/resources/users/v1/mfa/authenticator/{deviceId}/disable/verify", post(disable_device))
        .route("/resources/users/v1/mfa/devices", get(devices))
        .route("/resources/vendor-only/users/v1/{userId}/mfa/unenroll", post(unenroll))
        .route("/resources/configurations/v1/mfa", get(get_mfa_config).post(update_mfa_config))
        .route(
            "/resources/configurations/v1/mfa-policy",
            get(get_mfa_policy).post(create_mfa_policy).patch(patch_mfa_policy).put(put_mfa_policy),
        )
        .route("/resources/configurations/v1/mfa/strategies", get(get_mfa_strategies).post(set_mfa_strategy))
}

/// The remember-device cookie's name: `fe_device_<clientId without dashes>`.
fn device_cookie_name(state: &AppState) -> String {
    format!("fe_device_{}", state.client_id.replace('-', ""))
}

/// The remember-device token the browser presents, if any.
pub(crate) fn remembered_device(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let wanted = device_cookie_name(state);
    crate::extract::cookie(headers, |name| name == wanted)
}

/// How a first factor answers: the login body and the refresh cookie (`status`), or the MFA branch (200, no
/// cookie, no token).
pub(crate) fn login_response(state: &AppState, status: StatusCode, outcome: &LoginOutcome) -> Response {
    match outcome {
        LoginOutcome::Session(issued) => token_response(state, status, issued),
        LoginOutcome::Mfa(mfa) => (StatusCode::OK, Json(mfa_body(mfa))).into_response(),
        LoginOutcome::PasswordExpired(e) => (StatusCode::OK, Json(expired_body(e))).into_response(),
    }
}

/// A login whose password expired: no token, the reset token the login box sets a new password with.
fn expired_body(e: &yolk_core::password_rules::PasswordExpired) -> PasswordExpiredResponse {
    PasswordExpiredResponse {
        mfa_required: false,
        reset_password_token: e.reset_token.clone(),
        user_id: e.user_id.to_string(),
        user_email: e.user_email.clone(),
    }
}

fn mfa_body(m: &MfaRequired) -> MfaRequiredResponse {
    MfaRequiredResponse {
        mfa_required: true,
        mfa_token: m.mfa_token.clone(),
        mfa_enrolled: m.enrolled,
        mfa_devices: devices_body(&m.devices),
        mfa_strategies: m.strategies.iter().map(|s| strategy_name(*s)).collect(),
        user_id: m.user_id.to_string(),
        user_email: m.user_email.clone(),
        email_verified: true,
        qr_code: m.qr_code.clone(),
        recovery_code: m.recovery_code.clone(),
    }
}

fn strategy_name(s: yolk_domain::settings::MfaStrategy) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn devices_body(d: &MfaDevices) -> UserMfaDevices {
    UserMfaDevices {
        webauthn: d
            .webauthn
            .iter()
            .map(|w| WebAuthnDevice {
                id: w.id.clone(),
                device_type: format!("{:?}", w.device_type),
                name: w.name.clone(),
            })
            .collect(),
        phones: d.phones.iter().map(|(id, n)| PhoneDevice { id: id.clone(), phone_number: n.clone() }).collect(),
        authenticators: d.authenticators.iter().map(|id| AuthenticatorDevice { id: id.clone() }).collect(),
        emails: d.emails.iter().map(|e| EmailDevice { email: e.clone() }).collect(),
    }
}

/// A completed second factor: the login body (with the recovery code when this step enrolled the first factor),
/// the refresh cookie and, when the device is remembered, its cookie.
pub(crate) fn mfa_login_response(state: &AppState, login: &MfaLogin) -> Response {
    let issued = match &login.outcome {
        LoginOutcome::Session(issued) => issued,
        other => return login_response(state, StatusCode::CREATED, other),
    };
    let mut body = auth_body(issued);
    body.recovery_code = login.recovery_code.clone();
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    super::auth::set_refresh_cookie(state, &mut response, issued);
    if let Some((token, until)) = &login.remembered {
        let attrs = cookie_attributes(state, issued.cookie_same_site);
        let max_age = (*until - state.clock.now()).num_seconds().max(0);
        let cookie = format!("{}={token}; Path=/; HttpOnly; {attrs}; Max-Age={max_age}", device_cookie_name(state));
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The rate-limit identifier of a login's second factor: its `mfaToken` (a prefix of its hash).
fn mfa_identifier(mfa_token: &str) -> String {
    format!("mfa:{}", &yolk_core::secrets::sha256_hex(mfa_token.trim())[..16])
}

/// Runs one second-factor attempt under the rate limits: the client address, and failures per `mfaToken`.
pub(crate) async fn limited<T>(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    mfa_token: &str,
    attempt: impl Future<Output = Result<T, CoreError>>,
) -> ApiResult<T> {
    let identifier = mfa_identifier(mfa_token);
    state.throttle.admit(ip, &identifier)?;
    let result = attempt.await;
    if matches!(result, Err(CoreError::Unauthorized(_) | CoreError::BadRequest(_))) {
        state.throttle.failed(&identifier);
    }
    Ok(result?)
}

/// Completes a login with an authenticator code (or, for a user enrolling at login, its first code): the login
/// body and cookie (201). A wrong code is a 401 and counts against the `mfaToken`.
async fn verify(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VerifyMfaRequest>,
) -> ApiResult<Response> {
    let mfa = state.services.mfa();
    let attempt = mfa.verify_authenticator(&body.mfa_token, &body.value, None, body.remember_device);
    let login = limited(&state, ip, &body.mfa_token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// Completes a login with a code of one authenticator.
async fn verify_device(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<VerifyMfaRequest>,
) -> ApiResult<Response> {
    let mfa = state.services.mfa();
    let attempt = mfa.verify_authenticator(&body.mfa_token, &body.value, Some(&device), body.remember_device);
    let login = limited(&state, ip, &body.mfa_token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// A new authenticator for the user of a login waiting for its second factor: `{qrCode}` (201).
async fn enroll_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<MfaTokenRequest>,
) -> ApiResult<(StatusCode, Json<QrCodeResponse>)> {
    let mfa = state.services.mfa();
    let qr_code = limited(&state, ip, &body.mfa_token, mfa.enroll_authenticator_at_login(&body.mfa_token)).await?;
    Ok((StatusCode::CREATED, Json(QrCodeResponse { qr_code })))
}

/// The first code of the authenticator enrolled at login: the login body (with the recovery code) and cookie.
async fn verify_enroll_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VerifyEnrollAtLoginRequest>,
) -> ApiResult<Response> {
    let mfa = state.services.mfa();
    let attempt = mfa.verify_authenticator(&body.mfa_token, &body.token, None, body.remember_device);
    let login = limited(&state, ip, &body.mfa_token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// Emails a code to the user of a login waiting for its second factor: `{otcToken}` (201).
async fn send_email_code(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<MfaTokenRequest>,
) -> ApiResult<(StatusCode, Json<OtcTokenResponse>)> {
    let mfa = state.services.mfa();
    let otc_token = limited(&state, ip, &body.mfa_token, mfa.send_email_code(&body.mfa_token)).await?;
    Ok((StatusCode::CREATED, Json(OtcTokenResponse { otc_token })))
}

/// Completes a login with the emailed code.
async fn verify_email_code(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VerifyEmailCodeRequest>,
) -> ApiResult<Response> {
    let mfa = state.services.mfa();
    let attempt = mfa.verify_email_code(&body.mfa_token, &body.otc_token, &body.code, body.remember_device);
    let login = limited(&state, ip, &body.mfa_token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// The recovery code turns the user's MFA off: 200 with no body. A wrong code or an unknown address is the same
/// 400, counted against the address and the client.
async fn recover(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<RecoverMfaRequest>,
) -> ApiResult<StatusCode> {
    let identifier = format!("mfa-recover:{}", yolk_domain::values::normalize_email(&body.email));
    state.throttle.admit(ip, &identifier)?;
    let result = state.services.mfa().recover(&body.email, &body.recovery_code).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MfaTokenQuery {
    mfa_token: Option<String>,
}

/// Whether the user of a login waiting for its second factor may remember its device.
async fn allow_remember_device(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiQuery(q): ApiQuery<MfaTokenQuery>,
) -> ApiResult<Json<AllowRememberResponse>> {
    let token = q.mfa_token.ok_or_else(|| ApiError::BadRequest("mfaToken is required".into()))?;
    let mfa = state.services.mfa();
    let (allowed, expiration) = limited(&state, ip, &token, mfa.allow_remember_device(&token)).await?;
    Ok(Json(AllowRememberResponse { is_allowed_to_remember: allowed, mfa_device_expiration: expiration }))
}

/// A new authenticator for the signed-in user: `{qrCode}` (body-less POST).
async fn enroll(State(state): State<AppState>, who: UserContext) -> ApiResult<Json<QrCodeResponse>> {
    Ok(Json(QrCodeResponse { qr_code: state.services.mfa().enroll_authenticator(&who).await? }))
}

/// The first code of the signed-in user's new authenticator: `{recoveryCode}`. A wrong code is a 400.
async fn verify_enroll(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<UserCodeRequest>,
) -> ApiResult<Json<RecoveryCodeResponse>> {
    let identifier = format!("mfa-user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    match state.services.mfa().verify_enrollment(&who, &body.token).await {
        Ok(recovery_code) => Ok(Json(RecoveryCodeResponse { recovery_code })),
        Err(CoreError::Unauthorized(m)) => {
            state.throttle.failed(&identifier);
            Err(ApiError::BadRequest(m))
        }
        Err(e) => Err(e.into()),
    }
}

async fn disable_with_code(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    who: &UserContext,
    device: Option<&str>,
    code: &str,
) -> ApiResult<StatusCode> {
    let identifier = format!("mfa-user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    let result = state.services.mfa().disable_authenticator(who, device, code).await;
    if matches!(result, Err(CoreError::BadRequest(_))) {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::OK)
}

/// Removes the signed-in user's authenticator given a current code of it.
async fn disable(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<UserCodeRequest>,
) -> ApiResult<StatusCode> {
    disable_with_code(&state, ip, &who, None, &body.token).await
}

/// Removes one authenticator of the signed-in user given a current code of it.
async fn disable_device(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<UserCodeRequest>,
) -> ApiResult<StatusCode> {
    disable_with_code(&state, ip, &who, Some(&device), &body.token).await
}

/// The signed-in user's factors (`UserMFADevicesResponse`).
async fn devices(State(state): State<AppState>, who: UserContext) -> ApiResult<Json<UserMfaDevices>> {
    Ok(Json(devices_body(&state.services.mfa().devices(&who).await?)))
}

/// The environment removes every factor of a user (200).
async fn unenroll(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(user): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let user = UserId::parse(&user).map_err(|_| ApiError::NotFound("User not found".into()))?;
    state.services.mfa().unenroll(&env, user).await?;
    Ok(StatusCode::OK)
}

/// The MFA configuration (`MfaConfigResponse`): every factor on until set.
async fn get_mfa_config(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<MfaConfig>> {
    let _ = env;
    Ok(Json(state.services.settings.mfa_config().await?))
}

/// Merges the given parts into the MFA configuration (201).
async fn update_mfa_config(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<MfaConfig>)> {
    let stored = state.services.settings.merge_document::<MfaConfig>(&env, body).await?;
    Ok((StatusCode::CREATED, Json(stored.doc)))
}

/// The MFA policy of the environment (or of the tenant in `frontegg-tenant-id`); 404 when none was created.
async fn get_mfa_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
) -> ApiResult<Json<Stamped<MfaPolicy>>> {
    let policy = state.services.settings.document::<MfaPolicy>(&env, tenant.as_ref()).await?;
    policy.map(Json).ok_or_else(|| ApiError::NotFound("MFA policy not found".into()))
}

/// Creates the MFA policy (201); 409 if there is one.
async fn create_mfa_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Stamped<MfaPolicy>>)> {
    match state.services.settings.create_document::<MfaPolicy>(&env, tenant.as_ref(), body).await {
        Ok(p) => Ok((StatusCode::CREATED, Json(p))),
        Err(CoreError::Conflict(_)) => Err(ApiError::Conflict("MFA policy already exists".into())),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the MFA policy's fields; 404 if none was created.
async fn patch_mfa_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Stamped<MfaPolicy>>> {
    match state.services.settings.replace_document::<MfaPolicy>(&env, tenant.as_ref(), body).await {
        Ok(p) => Ok(Json(p)),
        Err(CoreError::NotFound(yolk_store::Entity::Setting)) => {
            Err(ApiError::NotFound("MFA policy not found. Try to use the Create MFA Policy API".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates or replaces the MFA policy.
async fn put_mfa_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Stamped<MfaPolicy>>> {
    Ok(Json(state.services.settings.put_document::<MfaPolicy>(&env, tenant.as_ref(), body).await?))
}

/// The MFA strategies (`MFAStrategiesResponse`).
async fn get_mfa_strategies(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<MfaStrategies>> {
    let _ = env;
    Ok(Json(state.services.settings.mfa_strategies().await?))
}

/// Turns one strategy on or off (201). WebAuthn cannot be turned on yet (400).
async fn set_mfa_strategy(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MfaStrategyRequest>,
) -> ApiResult<StatusCode> {
    state.services.settings.set_mfa_strategy(&env, body.strategy, body.is_active).await?;
    Ok(StatusCode::CREATED)
}

/// The login's `mfaToken` of an SMS step (required there).
fn required_mfa_token(token: Option<String>) -> ApiResult<String> {
    token.filter(|t| !t.trim().is_empty()).ok_or_else(|| ApiError::BadRequest("mfaToken is required".into()))
}

/// Texts a code to a new phone of the user of a login waiting for its second factor (201).
async fn sms_enroll_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<SmsEnrollRequest>,
) -> ApiResult<(StatusCode, Json<SmsSentResponse>)> {
    let token = required_mfa_token(body.mfa_token)?;
    let mfa = state.services.mfa();
    let (otc_token, phone_number) =
        limited(&state, ip, &token, mfa.sms_enroll_at_login(&token, &body.phone_number)).await?;
    Ok((StatusCode::CREATED, Json(SmsSentResponse { otc_token, phone_number })))
}

/// The texted code enrolls the phone and completes the login.
async fn sms_enroll_verify_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<SmsCodeRequest>,
) -> ApiResult<Response> {
    let token = required_mfa_token(body.mfa_token)?;
    let mfa = state.services.mfa();
    let attempt = mfa.sms_enroll_verify_at_login(&token, &body.otc_token, &body.code, body.remember_device);
    let login = limited(&state, ip, &token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// Texts a code to the user's phone for a login waiting for its second factor (201).
async fn sms_send_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<MfaTokenRequest>,
) -> ApiResult<(StatusCode, Json<SmsSentResponse>)> {
    let mfa = state.services.mfa();
    let sent = limited(&state, ip, &body.mfa_token, mfa.sms_send_at_login(&body.mfa_token, &device)).await?;
    Ok((StatusCode::CREATED, Json(SmsSentResponse { otc_token: sent.0, phone_number: sent.1 })))
}

/// Completes a login with the texted code.
async fn sms_verify_at_login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<SmsCodeRequest>,
) -> ApiResult<Response> {
    let token = required_mfa_token(body.mfa_token)?;
    let mfa = state.services.mfa();
    let attempt = mfa.sms_verify_at_login(&token, &device, &body.otc_token, &body.code, body.remember_device);
    let login = limited(&state, ip, &token, attempt).await?;
    Ok(mfa_login_response(&state, &login))
}

/// Runs one of the signed-in user's code steps under its rate limit (failures per user).
async fn user_limited<T>(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    who: &UserContext,
    attempt: impl Future<Output = Result<T, CoreError>>,
) -> ApiResult<T> {
    let identifier = format!("mfa-user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    let result = attempt.await;
    if matches!(result, Err(CoreError::BadRequest(_))) {
        state.throttle.failed(&identifier);
    }
    Ok(result?)
}

/// Texts a code to a new phone of the signed-in user: `{otcToken, phoneNumber}`.
async fn sms_enroll(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<SmsEnrollRequest>,
) -> ApiResult<Json<SmsSentResponse>> {
    let mfa = state.services.mfa();
    let otc_token = user_limited(&state, ip, &who, mfa.sms_enroll(&who, &body.phone_number)).await?;
    Ok(Json(SmsSentResponse { otc_token, phone_number: body.phone_number.trim().to_owned() }))
}

/// The texted code enrolls the signed-in user's phone (200).
async fn sms_enroll_verify(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<SmsCodeRequest>,
) -> ApiResult<StatusCode> {
    let mfa = state.services.mfa();
    user_limited(&state, ip, &who, mfa.sms_enroll_verify(&who, &body.otc_token, &body.code)).await?;
    Ok(StatusCode::OK)
}

/// Texts a code to the phone the signed-in user removes: `{otcToken}`.
async fn sms_disable(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiPath(device): ApiPath<String>,
) -> ApiResult<Json<OtcTokenResponse>> {
    let mfa = state.services.mfa();
    let otc_token = user_limited(&state, ip, &who, mfa.sms_disable(&who, &device)).await?;
    Ok(Json(OtcTokenResponse { otc_token }))
}

/// The texted code removes the signed-in user's phone (200).
async fn sms_disable_verify(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiPath(device): ApiPath<String>,
    ApiJson(body): ApiJson<SmsCodeRequest>,
) -> ApiResult<StatusCode> {
    let mfa = state.services.mfa();
    user_limited(&state, ip, &who, mfa.sms_disable_verify(&who, &device, &body.otc_token, &body.code)).await?;
    Ok(StatusCode::OK)
}
