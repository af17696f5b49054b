//! identity.json tag Password settings: the password policy, the history policy and rotation, all settings
//! documents (the environment's, or a tenant's with `frontegg-tenant-id` where the spec allows), enforced by every
//! path that sets a password and by password login (`yolk_core::password_rules`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use yolk_core::CoreError;
use yolk_domain::password_policy::PasswordPolicy;
use yolk_domain::settings::{PasswordHistoryPolicy, PasswordRotation, Stamped};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantHeader, VendorAuth};
use crate::state::AppState;

/// Password settings routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/configurations/v1/password", get(get_policy).post(set_policy))
        .route(
            "/resources/configurations/v1/password-history-policy",
            get(get_history).post(create_history).patch(update_history),
        )
        .route("/resources/configurations/v1/password-rotation", get(get_rotation).post(set_rotation))
        .route("/resources/configurations/v1/password-rotation/vendor", get(get_rotation))
        .route("/resources/configurations/v1/user-emails-policy", get(get_emails_policy).post(set_emails_policy))
        .route("/resources/users/v2/passwords/reset/email", axum::routing::post(reset_v2_email))
        .route("/resources/users/v2/passwords/reset/sms", axum::routing::post(reset_v2_sms))
        .route("/resources/users/v2/passwords/reset/sms/verify", axum::routing::post(reset_v2_sms_verify))
}

/// The password policy of the environment (or of the tenant in `frontegg-tenant-id`): the stored one, else the
/// one in force (a tenant without its own follows the environment's).
async fn get_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
) -> ApiResult<Json<PasswordPolicy>> {
    let settings = &state.services.settings;
    if let Some(p) = settings.document::<PasswordPolicy>(&env, tenant.as_ref()).await? {
        return Ok(Json(p.doc));
    }
    Ok(Json(settings.password_policy().await?))
}

/// Merges the given fields into the password policy (201); an incoherent policy is a 400 and changes nothing.
async fn set_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<PasswordPolicy>)> {
    let stored = state.services.settings.merge_document_in::<PasswordPolicy>(&env, tenant.as_ref(), body).await?;
    Ok((StatusCode::CREATED, Json(stored.doc)))
}

/// The history policy; 404 until created.
async fn get_history(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
) -> ApiResult<Json<Stamped<PasswordHistoryPolicy>>> {
    let policy = state.services.settings.document::<PasswordHistoryPolicy>(&env, tenant.as_ref()).await?;
    policy.map(Json).ok_or_else(|| ApiError::NotFound("Password history policy not found".into()))
}

/// Creates the history policy (201); 409 if there is one.
async fn create_history(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Stamped<PasswordHistoryPolicy>>)> {
    match state.services.settings.create_document::<PasswordHistoryPolicy>(&env, tenant.as_ref(), body).await {
        Ok(p) => Ok((StatusCode::CREATED, Json(p))),
        Err(CoreError::Conflict(_)) => Err(ApiError::Conflict("Password history policy already exists".into())),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the history policy's fields; 404 until created.
async fn update_history(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Stamped<PasswordHistoryPolicy>>> {
    match state.services.settings.replace_document::<PasswordHistoryPolicy>(&env, tenant.as_ref(), body).await {
        Ok(p) => Ok(Json(p)),
        Err(CoreError::NotFound(yolk_store::Entity::Setting)) => {
            Err(ApiError::NotFound("Password history policy not found".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The rotation configuration (`PasswordRotationConfigurationResponse`); 404 until set.
async fn get_rotation(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let stored = state.services.settings.document::<PasswordRotation>(&env, None).await?;
    let stored = stored.ok_or_else(|| ApiError::NotFound("Password rotation configuration not found".into()))?;
    Ok(Json(rotation_body(&stored)))
}

/// Merges the given fields into the rotation configuration (200).
async fn set_rotation(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let stored = state.services.settings.merge_document::<PasswordRotation>(&env, body).await?;
    Ok(Json(rotation_body(&stored)))
}

fn rotation_body(s: &Stamped<PasswordRotation>) -> Value {
    serde_json::json!({
        "isActive": s.doc.is_active,
        "rotationPeriod": s.doc.rotation_period,
        "notificationPeriod": s.doc.notification_period,
        "tenantId": "",
        "createdAt": s.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "updatedAt": s.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// The user emails policy (`{allowEmailChange}`; allowed until set).
async fn get_emails_policy(
    _env: VendorAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<yolk_domain::settings::UserEmailsPolicy>> {
    Ok(Json(state.services.settings.user_emails_policy().await?))
}

/// Sets the user emails policy (200); enforced on users' own email changes.
async fn set_emails_policy(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<StatusCode> {
    state.services.settings.merge_document::<yolk_domain::settings::UserEmailsPolicy>(&env, body).await?;
    Ok(StatusCode::OK)
}

/// `ResetPasswordDto`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetV2Request {
    identifier: String,
    identifier_type: String,
    recaptcha_token: Option<String>,
}

/// `VerifyPasswordViaSmsRequestDto`: the texted code (`otcToken`) and the request's `sessionId`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetSmsVerifyRequest {
    otc_token: String,
    session_id: String,
}

async fn reset_v2(state: &AppState, ip: Option<std::net::IpAddr>, body: &ResetV2Request) -> ApiResult<()> {
    state.throttle.admit(ip, &format!("reset:{}", body.identifier.trim().to_lowercase()))?;
    let email = (body.identifier_type == "email").then_some(body.identifier.as_str());
    state.services.captcha.check(body.recaptcha_token.as_deref(), email, ip).await?;
    Ok(())
}

/// Forgot password by the account's email or username: the reset link by email; `{sessionId}` (200), the same for
/// every account.
async fn reset_v2_email(
    State(state): State<AppState>,
    crate::extract::ClientAddr(ip): crate::extract::ClientAddr,
    ApiJson(body): ApiJson<ResetV2Request>,
) -> ApiResult<Json<Value>> {
    reset_v2(&state, ip, &body).await?;
    let session = state.services.recovery().request_reset_v2_email(&body.identifier, &body.identifier_type).await?;
    Ok(Json(serde_json::json!({ "sessionId": session })))
}

/// Forgot password by SMS: a code to the account's phone; `{sessionId}` (200), the same for every account.
async fn reset_v2_sms(
    State(state): State<AppState>,
    crate::extract::ClientAddr(ip): crate::extract::ClientAddr,
    ApiJson(body): ApiJson<ResetV2Request>,
) -> ApiResult<Json<Value>> {
    reset_v2(&state, ip, &body).await?;
    let session = state.services.recovery().request_reset_sms(&body.identifier, &body.identifier_type).await?;
    Ok(Json(serde_json::json!({ "sessionId": session })))
}

/// The texted code for a reset token: `{userId, token}` (200); a wrong code is a 400 and counts against it.
async fn reset_v2_sms_verify(
    State(state): State<AppState>,
    crate::extract::ClientAddr(ip): crate::extract::ClientAddr,
    ApiJson(body): ApiJson<ResetSmsVerifyRequest>,
) -> ApiResult<Json<Value>> {
    let identifier = format!("reset-sms:{}", &yolk_core::secrets::sha256_hex(body.session_id.trim())[..16]);
    state.throttle.admit(ip, &identifier)?;
    let result = state.services.recovery().verify_reset_sms(&body.session_id, &body.otc_token).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    let (user, token) = result?;
    Ok(Json(serde_json::json!({ "userId": user.to_string(), "token": token })))
}
