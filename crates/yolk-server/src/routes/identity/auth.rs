//! identity.json tag General: password login, refresh, logout, sign-up.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use yolk_api_types::auth::{AuthenticationResponse, PasswordLoginRequest};
use yolk_core::auth::IssuedTokens;
use yolk_core::settings::{password_policy, vendor_config};
use yolk_domain::values::{Email, metadata_to_string};
use yolk_domain::{Tenant, TenantProfile, User};
use yolk_store::users::{LoginIdentifier, NewUser};

use crate::convert::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, bearer_token};
use crate::state::AppState;

/// General routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/auth/v1/user", post(login_with_password))
        .route("/resources/auth/v1/user/token/refresh", post(refresh_token))
        .route("/resources/auth/v1/logout", post(logout))
        .route("/resources/users/v1/signUp", post(sign_up_user))
        .route("/resources/users/v1/signUp/username", post(sign_up_user_username))
}

/// Password login by email or username: `AuthenticationResponseDto` plus the refresh cookie.
async fn login_with_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordLoginRequest>,
) -> ApiResult<Response> {
    let ident = match (&body.email, &body.username) {
        (Some(e), _) if !e.trim().is_empty() => LoginIdentifier::Email(e.trim().to_lowercase()),
        (_, Some(u)) if !u.trim().is_empty() => LoginIdentifier::Username(u.trim().to_owned()),
        _ => return Err(ApiError::BadRequest("email or username is required".into())),
    };
    let issued = state.auth.login_password(&ident, &body.password).await?;
    Ok(token_response(&state, StatusCode::OK, &issued))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    refresh_token: Option<String>,
}

/// Rotates the refresh token from the cookie (browser SDKs) or the body (mobile SDKs).
async fn refresh_token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let from_body = lenient_body::<RefreshBody>(&body).refresh_token;
    let raw = refresh_cookie(&state, &headers)
        .or(from_body)
        .ok_or_else(|| ApiError::Unauthorized("Session expired".into()))?;
    let issued = state.auth.refresh(&raw).await?;
    Ok(token_response(&state, StatusCode::CREATED, &issued))
}

/// Ends the session named by the refresh cookie, a body `refreshToken`, or the user token's `sid`, and clears the
/// cookie. Body-less (rest-api sends none with `Content-Type: application/json`).
async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let from_body = lenient_body::<RefreshBody>(&body).refresh_token;
    let raw = refresh_cookie(&state, &headers).or(from_body);
    let sid = access_token_session(&state, &headers);
    state.auth.logout(raw.as_deref(), sid).await?;
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(&state)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignUpRequest {
    email: Option<String>,
    username: Option<String>,
    name: Option<String>,
    password: Option<String>,
    company_name: Option<String>,
    metadata: Option<Value>,
    profile_picture_url: Option<String>,
    phone_number: Option<String>,
    provider: Option<String>,
}

/// Self sign-up with an email: creates a tenant (named after `companyName`) and its first user, in one
/// transaction.
async fn sign_up_user(State(state): State<AppState>, ApiJson(body): ApiJson<SignUpRequest>) -> ApiResult<Response> {
    let email = Email::parse(body.email.as_deref().unwrap_or_default()).map_err(ApiError::BadRequest)?;
    sign_up(state, body, email.as_str().to_owned(), None).await
}

/// Self sign-up with a username (`^[a-zA-Z0-9._-]+$`, at most 255 characters); the email is optional.
async fn sign_up_user_username(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignUpRequest>,
) -> ApiResult<Response> {
    let username = body.username.clone().unwrap_or_default();
    let valid = !username.is_empty()
        && username.len() <= 255
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Err(ApiError::BadRequest("username must match ^[a-zA-Z0-9._-]+$".into()));
    }
    let email = match body.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => Email::parse(e).map_err(ApiError::BadRequest)?.as_str().to_owned(),
        None => String::new(),
    };
    sign_up(state, body, email, Some(username)).await
}

async fn sign_up(state: AppState, body: SignUpRequest, email: String, username: Option<String>) -> ApiResult<Response> {
    let config = vendor_config(state.store.as_ref()).await?;
    if !config.allow_signups {
        return Err(ApiError::Forbidden("Sign up is disabled".into()));
    }
    let company = body.company_name.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let company = company.ok_or_else(|| ApiError::BadRequest("companyName is required".into()))?;
    let password_hash = match &body.password {
        Some(p) => {
            password_policy(state.store.as_ref()).await?.check(p).map_err(ApiError::BadRequest)?;
            Some(state.auth.passwords().hash(p).await?)
        }
        None => None,
    };
    let metadata = body.metadata.as_ref().map(metadata_to_string).transpose().map_err(ApiError::BadRequest)?.flatten();
    // A self sign-up never picks its own roles: it gets the environment's default and first-user roles.
    let role_ids = state
        .store
        .list_roles(None)
        .await?
        .into_iter()
        .filter(|r| r.tenant_id.is_none() && (r.is_default || r.first_user_role))
        .map(|r| r.id)
        .collect();
    let now = state.clock.now();
    let tenant = Tenant {
        profile: TenantProfile {
            creator_email: Some(email.clone()).filter(|e| !e.is_empty()),
            creator_name: body.name.clone(),
            ..Default::default()
        },
        ..Tenant::new(Uuid::new_v4().to_string(), company, now)
    };
    let user = User {
        name: body.name.clone(),
        username,
        phone_number: body.phone_number.clone(),
        profile_picture_url: body.profile_picture_url.clone(),
        metadata,
        provider: body.provider.clone().unwrap_or_else(|| "local".into()),
        active_tenant_id: Some(tenant.tenant_id.clone()),
        ..User::new(email, now)
    };
    let tenant_id = tenant.tenant_id.clone();
    let user = state
        .store
        .create_user(&NewUser {
            user,
            password_hash,
            tenant_id: Some(tenant_id.clone()),
            role_ids,
            new_tenant: Some(tenant),
        })
        .await?;
    if !config.allow_not_verified_users_login {
        let body = json!({ "shouldActivate": true, "userId": user.id.to_string(), "tenantId": tenant_id });
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    let issued = state.auth.start_session(user).await?;
    let body = json!({
        "shouldActivate": false,
        "userId": issued.user.id.to_string(),
        "tenantId": tenant_id,
        "authResponse": auth_body(&issued),
    });
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    set_refresh_cookie(&state, &mut response, &issued);
    Ok(response)
}

/// The `AuthenticationResponseDto` of issued tokens.
pub fn auth_body(issued: &IssuedTokens) -> AuthenticationResponse {
    AuthenticationResponse {
        token_type: "bearer".into(),
        mfa_required: false,
        access_token: issued.access_token.clone(),
        refresh_token: issued.refresh_token.clone(),
        expires_in: issued.expires_in,
        expires: time(issued.expires),
        user_id: issued.user.id.to_string(),
        user_email: issued.user.email.clone(),
        email_verified: issued.user.verified,
    }
}

/// A token response: the body plus `Set-Cookie: fe_refresh_...`.
pub fn token_response(state: &AppState, status: StatusCode, issued: &IssuedTokens) -> Response {
    let mut response = (status, Json(auth_body(issued))).into_response();
    set_refresh_cookie(state, &mut response, issued);
    response
}

/// `SameSite` and `Secure` for the refresh cookie: the environment's `cookieSameSite`; `None` needs `Secure`
/// (browsers drop it otherwise), and `secure_cookies` adds `Secure` to any setting.
fn cookie_attributes(state: &AppState, same_site: &str) -> String {
    let same_site = match same_site.to_ascii_uppercase().as_str() {
        "STRICT" => "Strict",
        "NONE" => "None",
        _ => "Lax",
    };
    let secure = state.config.secure_cookies || same_site == "None";
    format!("SameSite={same_site}{}", if secure { "; Secure" } else { "" })
}

fn set_refresh_cookie(state: &AppState, response: &mut Response, issued: &IssuedTokens) {
    let attrs = cookie_attributes(state, &issued.cookie_same_site);
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
    let attrs = if state.config.secure_cookies { "SameSite=None; Secure" } else { "SameSite=Lax" };
    format!(
        "{}=; Path=/; HttpOnly; {attrs}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        state.refresh_cookie_name()
    )
}

/// The refresh token from the cookie: any cookie whose name without dashes is `fe_refresh_<clientId without
/// dashes>` (some SDKs strip only the first dash; CLIENTS.md §3.4).
pub fn refresh_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let wanted = state.refresh_cookie_name();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| name.replace('-', "") == wanted && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The session id of a valid user token in the request, if any.
fn access_token_session(state: &AppState, headers: &HeaderMap) -> Option<Uuid> {
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.headers = headers.clone();
    let token = bearer_token(&parts)?;
    let claims = state.tokens.verify_user_token(token).ok()?;
    Uuid::parse_str(&claims.sid).ok()
}

/// Parses an optional JSON body: empty or malformed bodies give the default (body-less POSTs are normal here).
fn lenient_body<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> T {
    serde_json::from_slice(body).unwrap_or_default()
}
