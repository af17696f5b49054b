//! identity.json tag Passwordless, one-time codes: `passwordless/{code|smscode}/{prelogin|postlogin}`. The code is
//! bound to the sign-in that asked for it by an HttpOnly flow cookie (see `yolk_core::passwordless_code`).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use yolk_core::passwordless_code::CodeChannel;
use yolk_domain::values::normalize_email;

use super::mfa::{login_response, remembered_device};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;

/// One-time code routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/auth/v1/passwordless/code/prelogin", post(email_prelogin))
        .route("/resources/auth/v1/passwordless/code/postlogin", post(email_postlogin))
        .route("/resources/auth/v1/passwordless/smscode/prelogin", post(sms_prelogin))
        .route("/resources/auth/v1/passwordless/smscode/postlogin", post(sms_postlogin))
}

/// `PasswordlessAuthenticationPreloginDto` (the account named by its email).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreloginRequest {
    email: Option<String>,
    recaptcha_token: Option<String>,
}

/// `AuthenticateUserPasswordlessDto`, and the account's email for clients without cookies.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostloginRequest {
    token: String,
    email: Option<String>,
}

fn flow_cookie_name(state: &AppState) -> String {
    format!("fe_otc_{}", state.client_id.replace('-', ""))
}

fn flow_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let wanted = flow_cookie_name(state);
    crate::extract::cookie(headers, |name| name == wanted)
}

async fn prelogin(
    state: AppState,
    ip: Option<std::net::IpAddr>,
    channel: CodeChannel,
    body: PreloginRequest,
) -> ApiResult<Response> {
    let email = body.email.unwrap_or_default();
    state.throttle.admit(ip, &format!("otc:{}", normalize_email(&email)))?;
    state.services.captcha.check(body.recaptcha_token.as_deref(), Some(&email), ip).await?;
    let flow = state.services.passwordless().code_prelogin(channel, &email).await?;
    // The SMS answer is `{}`: naming the (masked) phone, or refusing a user without one as Frontegg does, would tell
    // known accounts from unknown ones.
    let mut response = match channel {
        CodeChannel::Sms => (StatusCode::CREATED, axum::Json(serde_json::json!({}))).into_response(),
        CodeChannel::Email => StatusCode::CREATED.into_response(),
    };
    let secure = if state.config.secure_cookies || state.config.serves_https() { "; Secure" } else { "" };
    let cookie = format!("{}={flow}; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age=3600", flow_cookie_name(&state));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

async fn postlogin(
    state: AppState,
    ip: Option<std::net::IpAddr>,
    headers: HeaderMap,
    channel: CodeChannel,
    body: PostloginRequest,
) -> ApiResult<Response> {
    let flow = flow_cookie(&state, &headers);
    let identifier = match (&flow, &body.email) {
        (Some(f), _) => format!("otc-flow:{}", &yolk_core::secrets::sha256_hex(f)[..16]),
        (None, Some(e)) => format!("otc:{}", normalize_email(e)),
        (None, None) => String::new(),
    };
    state.throttle.admit(ip, &identifier)?;
    let remembered = remembered_device(&state, &headers);
    let passwordless = state.services.passwordless();
    let result = passwordless
        .code_postlogin(channel, &body.token, flow.as_deref(), body.email.as_deref(), remembered.as_deref())
        .await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    Ok(login_response(&state, StatusCode::CREATED, &result?))
}

/// Emails a sign-in code: `201` with no body and the flow cookie, the same for every address.
async fn email_prelogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<PreloginRequest>,
) -> ApiResult<Response> {
    prelogin(state, ip, CodeChannel::Email, body).await
}

/// Exchanges an emailed code for the login body and the refresh cookie (`201`), or the MFA branch.
async fn email_postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostloginRequest>,
) -> ApiResult<Response> {
    postlogin(state, ip, headers, CodeChannel::Email, body).await
}

/// Texts a sign-in code to the account's phone: `201` with no body and the flow cookie, the same for every address.
async fn sms_prelogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<PreloginRequest>,
) -> ApiResult<Response> {
    prelogin(state, ip, CodeChannel::Sms, body).await
}

/// Exchanges a texted code for the login body and the refresh cookie (`201`), or the MFA branch.
async fn sms_postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostloginRequest>,
) -> ApiResult<Response> {
    postlogin(state, ip, headers, CodeChannel::Sms, body).await
}
