//! identity.json tag General: password login, refresh, logout, sign-up.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use yolk_api_types::auth::{
    ChangePasswordRequest, PasswordLoginRequest, PasswordlessPostloginRequest, PasswordlessPreloginRequest,
    RefreshTokenRequest, ResetPasswordRequest, SignUpRequest, VerifyResetPasswordRequest,
};
use yolk_core::CoreError;
use yolk_core::auth::IssuedTokens;
use yolk_domain::settings::CookieSameSite;
use yolk_domain::values::normalize_email;

use super::mfa::{login_response, remembered_device};
use crate::convert::{auth_body, sign_up_body};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr, UserContext, bearer_token};
use crate::state::AppState;

/// General routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/auth/v1/user", post(login_with_password))
        .route("/resources/auth/v1/user/token/refresh", post(refresh_token))
        .route("/resources/auth/v1/logout", post(logout))
        .route("/resources/users/v1/signUp", post(sign_up_user))
        .route("/resources/users/v1/signUp/username", post(sign_up_user_username))
        .route("/resources/users/v1/passwords/reset", post(request_password_reset))
        .route("/resources/users/v1/passwords/reset/verify", post(reset_password))
        .route("/resources/users/v1/passwords/change", post(change_password))
        .route("/resources/users/v1/passwords/config", get(password_config))
        .route("/resources/auth/v1/passwordless/magiclink/prelogin", post(magic_link_prelogin))
        .route("/resources/auth/v1/passwordless/magiclink/postlogin", post(magic_link_postlogin))
}

/// Magic link, step one: `200` with no body, the same for a known and an unknown address (see
/// `yolk_core::passwordless`); 400 unless the environment's `authStrategy` is `MagicLink`.
async fn magic_link_prelogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<PasswordlessPreloginRequest>,
) -> ApiResult<StatusCode> {
    let email = body.email.unwrap_or_default();
    state.throttle.admit(ip, &format!("magic-link:{}", normalize_email(&email)))?;
    state.services.captcha.check(body.recaptcha_token.as_deref(), Some(&email), ip).await?;
    state.services.passwordless().magic_link_prelogin(&email).await?;
    Ok(StatusCode::OK)
}

/// Magic link, step two: the link's token for the login body and the refresh cookie (`201`). A wrong, spent or
/// expired token is a 401. Attempts count against the client address only: the token names no user, and 256
/// random bits leave nothing to guess.
async fn magic_link_postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordlessPostloginRequest>,
) -> ApiResult<Response> {
    state.throttle.admit(ip, "")?;
    let remembered = remembered_device(&state, &headers);
    let outcome = state.services.passwordless().magic_link_postlogin(&body.token, remembered.as_deref()).await?;
    Ok(login_response(&state, StatusCode::CREATED, &outcome))
}

/// The signed-in user (a user token, or an environment token naming the user in `frontegg-user-id`) changes its
/// password: `201` with no body. A wrong current password is a 400 and counts like a failed login (rate limit,
/// lockout policy); every other session of the user ends.
async fn change_password(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    who: UserContext,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let identifier = format!("user:{}", who.user_id());
    state.throttle.admit(ip, &identifier)?;
    let result = state.services.recovery().change_password(&who, &body.password, &body.new_password).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::CREATED)
}

/// `GET /users/v1/passwords/config[?userId=]` (public: the reset and sign-up screens show the rules): the password
/// policy in force. One policy serves the whole environment, so it is every user's strictest.
async fn password_config(
    State(state): State<AppState>,
) -> ApiResult<Json<yolk_domain::password_policy::PasswordPolicy>> {
    Ok(Json(state.services.settings.password_policy().await?))
}

/// "Forgot password": `201` with no body, the same for a known and an unknown address (the reset link, if any,
/// goes out after the answer; see `yolk_core::recovery`). Counted against the client address's rate limit.
async fn request_password_reset(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    let email = match (body.email, body.identifier, body.identifier_type.as_deref()) {
        (Some(email), _, _) => email,
        (None, Some(identifier), None | Some("email")) => identifier,
        (None, Some(_), Some(other)) => {
            return Err(ApiError::BadRequest(format!(
                "identifierType {other:?} is not supported: reset by email (identifierType \"email\")"
            )));
        }
        (None, None, _) => return Err(ApiError::BadRequest("email is required".into())),
    };
    state.throttle.admit(ip, &format!("reset:{}", normalize_email(&email)))?;
    state.services.captcha.check(body.recaptcha_token.as_deref(), Some(&email), ip).await?;
    state.services.recovery().request_password_reset(&email)?;
    Ok(StatusCode::CREATED)
}

/// Sets a new password with the token of a reset link: `201` with no body; every session of the user ends. A
/// wrong, spent or expired token is a 400 (and counts against the link and the client's rate limit).
async fn reset_password(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VerifyResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    let identifier = format!("reset-user:{}", body.user_id.trim());
    state.throttle.admit(ip, &identifier)?;
    let invalid = || ApiError::BadRequest("The password reset link is invalid or has expired".into());
    let user = yolk_domain::UserId::parse(&body.user_id).map_err(|_| invalid())?;
    let result = state.services.recovery().reset_password(user, &body.token, &body.password).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::CREATED)
}

/// Password login by email or username: `AuthenticationResponseDto` plus the refresh cookie, or the MFA branch
/// (`mfaRequired: true` with an `mfaToken`, no token, no cookie) for a user who must give a second factor. Rate-limited per
/// client address and per identifier (see `throttle`) before any hashing.
async fn login_with_password(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordLoginRequest>,
) -> ApiResult<Response> {
    let identifier = match (body.email.as_deref(), body.username.as_deref()) {
        (Some(e), _) if !e.trim().is_empty() => format!("email:{}", normalize_email(e)),
        (_, Some(u)) => format!("username:{}", u.trim().to_lowercase()),
        _ => String::new(),
    };
    state.throttle.admit(ip, &identifier)?;
    state.services.captcha.check(body.recaptcha_token.as_deref(), body.email.as_deref(), ip).await?;
    let remembered = remembered_device(&state, &headers);
    let auth = &state.services.auth;
    let result =
        auth.login(body.email.as_deref(), body.username.as_deref(), &body.password, remembered.as_deref()).await;
    if matches!(result, Err(CoreError::Unauthorized(_))) {
        state.throttle.failed(&identifier);
    }
    Ok(login_response(&state, StatusCode::OK, &result?))
}

/// Rotates the refresh token from the cookie (browser SDKs) or the body (mobile SDKs).
async fn refresh_token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let raw = refresh_cookie(&state, &headers)
        .or(lenient_body(&body).refresh_token)
        .ok_or_else(|| ApiError::Unauthorized("Session expired".into()))?;
    let issued = state.services.auth.refresh(&raw).await?;
    Ok(token_response(&state, StatusCode::CREATED, &issued))
}

/// Ends the session named by the refresh cookie, a body `refreshToken`, or the user token's `sid`, and clears the
/// cookie. Body-less (rest-api sends none with `Content-Type: application/json`).
async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let raw = refresh_cookie(&state, &headers).or(lenient_body(&body).refresh_token);
    state.services.auth.logout(raw.as_deref(), bearer_token(&headers)).await?;
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(&state)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// Self sign-up with an email: creates a tenant (named after `companyName`) and its first user, in one
/// transaction; starts a session unless the environment requires activation first.
async fn sign_up_user(state: State<AppState>, ip: ClientAddr, body: ApiJson<SignUpRequest>) -> ApiResult<Response> {
    sign_up(state, ip, body, false).await
}

/// Self sign-up with a username (`^[a-zA-Z0-9._-]+$`, at most 255 characters); the email is optional.
async fn sign_up_user_username(
    state: State<AppState>,
    ip: ClientAddr,
    body: ApiJson<SignUpRequest>,
) -> ApiResult<Response> {
    sign_up(state, ip, body, true).await
}

async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<SignUpRequest>,
    with_username: bool,
) -> ApiResult<Response> {
    let email = body.user.email.clone();
    state.services.captcha.check(body.recaptcha_token.as_deref(), email.as_deref(), ip).await?;
    let signed_up = state.services.users.sign_up(body, with_username).await?;
    state.services.activation().after_sign_up(&signed_up.user, signed_up.should_activate).await;
    if signed_up.should_activate {
        return Ok((StatusCode::CREATED, Json(sign_up_body(&signed_up, None))).into_response());
    }
    let issued = state.services.auth.start_session(signed_up.user.clone()).await?;
    let mut response = (StatusCode::CREATED, Json(sign_up_body(&signed_up, Some(&issued)))).into_response();
    set_refresh_cookie(&state, &mut response, &issued);
    Ok(response)
}

/// A token response: the body plus `Set-Cookie: fe_refresh_...`.
pub(crate) fn token_response(state: &AppState, status: StatusCode, issued: &IssuedTokens) -> Response {
    let mut response = (status, Json(auth_body(issued))).into_response();
    set_refresh_cookie(state, &mut response, issued);
    response
}

/// `SameSite` and `Secure` for the refresh cookie: the environment's `cookieSameSite`; `None` needs `Secure`
/// (browsers drop it otherwise), and `secure_cookies` or an https issuer (yolk served over TLS) adds `Secure` to any
/// setting, so the session never travels over plain http.
pub(super) fn cookie_attributes(state: &AppState, same_site: CookieSameSite) -> String {
    let same_site = match same_site {
        CookieSameSite::Strict => "Strict",
        CookieSameSite::None => "None",
        CookieSameSite::Lax => "Lax",
    };
    let secure = state.config.secure_cookies || same_site == "None" || state.config.serves_https();
    format!("SameSite={same_site}{}", if secure { "; Secure" } else { "" })
}

pub(super) fn set_refresh_cookie(state: &AppState, response: &mut Response, issued: &IssuedTokens) {
    let attrs = cookie_attributes(state, issued.cookie_same_site);
    // Whole seconds, rounded up: the stored expiry has millisecond precision.
    let max_age = ((issued.session_expires_at - state.clock.now()).num_milliseconds().max(0) + 999) / 1000;
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; {attrs}; Max-Age={max_age}",
        state.refresh_cookie_name(),
        issued.refresh_token
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn clear_cookie(state: &AppState) -> String {
    let attrs = if state.config.secure_cookies {
        "SameSite=None; Secure"
    } else if state.config.serves_https() {
        "SameSite=Lax; Secure"
    } else {
        "SameSite=Lax"
    };
    format!(
        "{}=; Path=/; HttpOnly; {attrs}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        state.refresh_cookie_name()
    )
}

/// The refresh token from the cookie: any cookie whose name without dashes is `fe_refresh_<clientId without
/// dashes>` (some SDKs strip only the first dash; CLIENTS.md §3.4).
fn refresh_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let wanted = state.refresh_cookie_name();
    crate::extract::cookie(headers, |name| name.replace('-', "") == wanted)
}

/// The optional body of refresh and logout: empty or malformed bodies count as none (body-less POSTs are normal
/// here).
fn lenient_body(body: &Bytes) -> RefreshTokenRequest {
    serde_json::from_slice(body).unwrap_or_default()
}
