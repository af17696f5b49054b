//! identity.json tags Core settings and Lockout policy: the environment configuration (with the public key the
//! SDKs verify tokens with), the captcha policy and the lockout policy. All are settings documents: `POST` merges
//! the given fields into the stored configuration (the login paths read it on every call); the captcha policy can
//! only be disabled (see `yolk_domain::settings::CaptchaPolicy`); the lockout policy (the environment's, or a
//! tenant's with `frontegg-tenant-id`) is enforced by every password check (`yolk_core::lockout`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use yolk_api_types::configurations::{
    CaptchaPolicyResponse, LockoutPolicyResponse, VendorConfigBasicResponse, VendorConfigResponse,
};
use yolk_core::CoreError;
use yolk_domain::settings::{CaptchaPolicy, LockoutPolicy, VendorConfig};

use crate::convert::{vendor_config_basic_dto, vendor_config_dto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantHeader, VendorAuth};
use crate::state::AppState;

/// `/resources/configurations/v1...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/configurations/v1", get(get_vendor_config).post(add_or_update_vendor_config))
        .route("/resources/configurations/v1/basic", get(get_vendor_config_basic))
        .route(
            "/resources/configurations/v1/captcha-policy",
            get(get_captcha_policy).post(create_captcha_policy).put(update_captcha_policy),
        )
        .route(
            "/resources/configurations/v1/lockout-policy",
            get(get_lockout_policy).post(create_lockout_policy).patch(update_lockout_policy),
        )
}

fn render(state: &AppState, config: VendorConfig) -> VendorConfigResponse {
    vendor_config_dto(config, &state.client_id, state.services.tokens.keys().public_pem())
}

/// `VendorConfigResponse`: the configuration in force.
async fn get_vendor_config(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<VendorConfigResponse>> {
    let config = state.services.settings.vendor_config(&env).await?;
    Ok(Json(render(&state, config)))
}

/// Merges the given fields into the configuration (nothing changes if one is invalid) and answers it, 201.
async fn add_or_update_vendor_config(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<VendorConfigResponse>)> {
    let config = state.services.settings.update_vendor_config(&env, body).await?;
    Ok((StatusCode::CREATED, Json(render(&state, config))))
}

/// `VendorConfigBasicResponse`.
async fn get_vendor_config_basic(
    env: VendorAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<VendorConfigBasicResponse>> {
    let c = state.services.settings.vendor_config(&env).await?;
    Ok(Json(vendor_config_basic_dto(&c)))
}

/// The captcha policy; 404 when none was created.
async fn get_captcha_policy(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<CaptchaPolicyResponse>> {
    let policy = state.services.settings.document::<CaptchaPolicy>(&env, None).await?;
    policy.map(Json).ok_or_else(|| ApiError::NotFound("Captcha policy not found".into()))
}

/// Creates the captcha policy (201); 409 if there is one. Only a disabled policy is accepted.
async fn create_captcha_policy(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<CaptchaPolicyResponse>)> {
    let policy = state.services.settings.create_document::<CaptchaPolicy>(&env, None, body).await?;
    Ok((StatusCode::CREATED, Json(policy)))
}

/// Replaces the captcha policy's fields; 404 if none was created. Only a disabled policy is accepted.
async fn update_captcha_policy(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<CaptchaPolicyResponse>> {
    Ok(Json(state.services.settings.replace_document::<CaptchaPolicy>(&env, None, body).await?))
}

/// The lockout policy of the environment (or of the tenant in `frontegg-tenant-id`); 404 when none was created.
async fn get_lockout_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
) -> ApiResult<Json<LockoutPolicyResponse>> {
    let policy = state.services.settings.document::<LockoutPolicy>(&env, tenant.as_ref()).await?;
    policy.map(Json).ok_or_else(|| ApiError::NotFound("Lockout policy is not defined".into()))
}

/// Creates the lockout policy (201); 409 if there is one.
async fn create_lockout_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<LockoutPolicyResponse>)> {
    let policy = state.services.settings.create_document::<LockoutPolicy>(&env, tenant.as_ref(), body).await;
    match policy {
        Ok(p) => Ok((StatusCode::CREATED, Json(p))),
        Err(CoreError::Conflict(_)) => Err(ApiError::Conflict("Lockout Policy already exists".into())),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the lockout policy's fields (both are required); 404 if none was created.
async fn update_lockout_policy(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<LockoutPolicyResponse>> {
    match state.services.settings.replace_document::<LockoutPolicy>(&env, tenant.as_ref(), body).await {
        Ok(p) => Ok(Json(p)),
        Err(CoreError::NotFound(yolk_store::Entity::Setting)) => {
            Err(ApiError::NotFound("Lockout Policy not found. Try to use the Create Lockout Policy API".into()))
        }
        Err(e) => Err(e.into()),
    }
}
