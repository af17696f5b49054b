//! identity.json tag Core settings: the environment configuration, with the public key the SDKs verify tokens
//! with. `POST` merges the given fields into the stored configuration; the login paths read it on every call.
//! The captcha policy is a stored document that can only be disabled (see [`yolk_core::settings::CaptchaPolicy`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::configurations::{
    CaptchaPolicyRequest, CaptchaPolicyResponse, VendorConfigBasicResponse, VendorConfigRequest, VendorConfigResponse,
};
use yolk_core::CoreError;
use yolk_core::settings::{
    CaptchaPolicy, CaptchaPolicyInput, VendorConfig, VendorConfigPatch, captcha_policy, create_captcha_policy,
    update_captcha_policy, update_vendor_config, vendor_config,
};

use crate::convert::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, VendorAuth};
use crate::state::AppState;

/// `/resources/configurations/v1` and `/resources/configurations/v1/basic`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/configurations/v1", get(get_vendor_config).post(add_or_update_vendor_config))
        .route("/resources/configurations/v1/basic", get(get_vendor_config_basic))
        .route(
            "/resources/configurations/v1/captcha-policy",
            get(get_captcha_policy).post(create_captcha_policy_route).put(update_captcha_policy_route),
        )
}

/// `VendorConfigResponse`: the stored configuration with `id`, the PEM `publicKey` and the token lifetimes in
/// force.
async fn get_vendor_config(_: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<VendorConfigResponse>> {
    Ok(Json(vendor_config_response(&state).await?))
}

/// Merges the given fields into the configuration (nothing changes if one is invalid) and answers it, 201.
async fn add_or_update_vendor_config(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VendorConfigRequest>,
) -> ApiResult<Response> {
    let config = update_vendor_config(state.store.as_ref(), &patch(body)).await?;
    Ok((StatusCode::CREATED, Json(render(&state, &config))).into_response())
}

/// `VendorConfigBasicResponse`.
async fn get_vendor_config_basic(
    _: VendorAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<VendorConfigBasicResponse>> {
    let c = vendor_config(state.store.as_ref()).await?;
    Ok(Json(VendorConfigBasicResponse {
        force_permissions: c.force_permissions,
        machine_to_machine_auth_strategy: c.machine_to_machine_auth_strategy,
    }))
}

/// The captcha policy; 404 when none was created.
async fn get_captcha_policy(_: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<CaptchaPolicyResponse>> {
    let policy = captcha_policy(state.store.as_ref()).await?;
    let policy = policy.ok_or_else(|| ApiError::NotFound("Captcha policy not found".into()))?;
    Ok(Json(captcha_dto(&policy)))
}

/// Creates the captcha policy (201); 409 if there is one. Only a disabled policy is accepted.
async fn create_captcha_policy_route(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CaptchaPolicyRequest>,
) -> ApiResult<Response> {
    let policy = create_captcha_policy(state.store.as_ref(), captcha_input(body), state.clock.now()).await.map_err(
        |e| match e {
            CoreError::Conflict(_) => ApiError::Conflict("Captcha policy already exists".into()),
            other => other.into(),
        },
    )?;
    Ok((StatusCode::CREATED, Json(captcha_dto(&policy))).into_response())
}

/// Replaces the captcha policy's fields; 404 if none was created. Only a disabled policy is accepted.
async fn update_captcha_policy_route(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CaptchaPolicyRequest>,
) -> ApiResult<Json<CaptchaPolicyResponse>> {
    let policy = update_captcha_policy(state.store.as_ref(), captcha_input(body), state.clock.now()).await?;
    Ok(Json(captcha_dto(&policy)))
}

fn captcha_input(b: CaptchaPolicyRequest) -> CaptchaPolicyInput {
    CaptchaPolicyInput {
        enabled: b.enabled,
        site_key: b.site_key,
        secret_key: b.secret_key,
        min_score: b.min_score,
        ignored_emails: b.ignored_emails,
    }
}

fn captcha_dto(p: &CaptchaPolicy) -> CaptchaPolicyResponse {
    CaptchaPolicyResponse {
        id: p.id.to_string(),
        site_key: p.site_key.clone(),
        secret_key: p.secret_key.clone(),
        enabled: p.enabled,
        min_score: p.min_score,
        ignored_emails: p.ignored_emails.clone(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
    }
}

/// The configuration as the API renders it.
pub async fn vendor_config_response(state: &AppState) -> ApiResult<VendorConfigResponse> {
    Ok(render(state, &vendor_config(state.store.as_ref()).await?))
}

fn render(state: &AppState, c: &VendorConfig) -> VendorConfigResponse {
    let settings = state.tokens.settings();
    VendorConfigResponse {
        id: state.client_id.to_string(),
        default_token_expiration: c.default_token_expiration.unwrap_or(settings.access_ttl_secs),
        default_refresh_token_expiration: c.default_refresh_token_expiration.unwrap_or(settings.refresh_ttl_secs),
        public_key: state.tokens.keys().public_pem().to_owned(),
        cookie_same_site: c.cookie_same_site.clone(),
        allow_signups: c.allow_signups,
        api_tokens_enabled: c.api_tokens_enabled,
        allow_override_password_complexity: c.allow_override_password_complexity,
        allow_override_password_expiration: c.allow_override_password_expiration,
        allow_override_enforce_password_history: c.allow_override_enforce_password_history,
        jwt_algorithm: c.jwt_algorithm.clone(),
        jwt_secret: String::new(),
        allow_not_verified_users_login: c.allow_not_verified_users_login,
        force_permissions: c.force_permissions,
        auth_strategy: c.auth_strategy.clone(),
        default_passwordless_token_expiration: c.default_passwordless_token_expiration,
        force_same_device_on_auth: c.force_same_device_on_auth,
        allow_tenant_invitations: c.allow_tenant_invitations,
        rotate_refresh_tokens: c.rotate_refresh_tokens,
        machine_to_machine_auth_strategy: c.machine_to_machine_auth_strategy.clone(),
        add_roles_to_jwt: c.add_roles_to_jwt,
        add_permissions_to_jwt: c.add_permissions_to_jwt,
        refresh_tokens_rotation_limit: c.refresh_tokens_rotation_limit,
        add_saml_attributes_to_jwt: c.add_saml_attributes_to_jwt,
        allow_custom_login_tenant_switch: c.allow_custom_login_tenant_switch,
    }
}

fn patch(b: VendorConfigRequest) -> VendorConfigPatch {
    VendorConfigPatch {
        default_token_expiration: b.default_token_expiration,
        default_refresh_token_expiration: b.default_refresh_token_expiration,
        cookie_same_site: b.cookie_same_site,
        machine_to_machine_auth_strategy: b.machine_to_machine_auth_strategy,
        allow_signups: b.allow_signups,
        api_tokens_enabled: b.api_tokens_enabled,
        allow_override_password_complexity: b.allow_override_password_complexity,
        allow_override_password_expiration: b.allow_override_password_expiration,
        allow_override_enforce_password_history: b.allow_override_enforce_password_history,
        jwt_algorithm: b.jwt_algorithm,
        allow_not_verified_users_login: b.allow_not_verified_users_login,
        force_permissions: b.force_permissions,
        add_saml_attributes_to_jwt: b.add_saml_attributes_to_jwt,
        auth_strategy: b.auth_strategy,
        default_passwordless_token_expiration: b.default_passwordless_token_expiration,
        force_same_device_on_auth: b.force_same_device_on_auth,
        allow_tenant_invitations: b.allow_tenant_invitations,
        rotate_refresh_tokens: b.rotate_refresh_tokens,
        add_roles_to_jwt: b.add_roles_to_jwt,
        add_permissions_to_jwt: b.add_permissions_to_jwt,
        allow_custom_login_tenant_switch: b.allow_custom_login_tenant_switch,
    }
}
