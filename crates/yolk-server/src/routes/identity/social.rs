//! Social login: custom OAuth providers (identity.json, tag "Custom social OAuth provider"), the environment's
//! built-in providers (yolk's vendor-only `POST sso/v1`; the login box's `GET sso/v1`, `sso/v2`,
//! `sso/v2/authenticated`) and the social postlogin. The rules are `yolk_core::social`'s.
//!
//! `GET sso/custom/v1` is also a page-load call of the login box, unauthenticated: without an `Authorization`
//! header it answers the active providers (what the buttons need, never a secret); with one, the header must be
//! an environment token and every provider is listed.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use yolk_api_types::social::{
    CustomSsoProvider, CustomSsoProviders, CustomSsoRequest, SocialPostloginQuery, SocialProviderRequest,
    SocialProviderV1, SocialProviderV2,
};
use yolk_core::social::ListedProvider;
use yolk_store::social::SocialProvider;

use super::mfa::login_response;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, VendorAuth};
use crate::state::AppState;

/// The identity-service routes (paths relative to `/identity`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/sso/custom/v1", post(create_custom).get(list_custom))
        .route("/resources/sso/custom/v1/{id}", patch(update_custom).delete(delete_custom))
        .route("/resources/sso/v1", post(configure).get(list_v1))
        .route("/resources/sso/v2", get(list_v2))
        .route("/resources/sso/v2/authenticated", get(list_v2))
        .route("/resources/auth/v1/user/sso/{provider}/postlogin", post(postlogin))
}

fn custom_view(p: SocialProvider) -> CustomSsoProvider {
    CustomSsoProvider {
        redirect_url_pattern: p.redirect_url.clone(),
        id: p.id,
        kind: p.kind,
        client_id: p.client_id,
        redirect_url: p.redirect_url,
        authorization_url: p.authorization_url.unwrap_or_default(),
        user_info_url: p.user_info_url.unwrap_or_default(),
        scopes: p.scopes,
        sso_logo_url: p.logo_url.unwrap_or_default(),
        display_name: p.display_name.unwrap_or_default(),
        active: p.active,
    }
}

async fn create_custom(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiJson(body): ApiJson<CustomSsoRequest>,
) -> ApiResult<Json<CustomSsoProvider>> {
    Ok(Json(custom_view(state.services.social().create_custom(&env, body).await?)))
}

async fn list_custom(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Result<VendorAuth, ApiError>,
) -> ApiResult<Json<CustomSsoProviders>> {
    let public = !headers.contains_key(header::AUTHORIZATION);
    if !public {
        auth?;
    }
    let providers = state.services.social().custom_providers(public).await?;
    Ok(Json(CustomSsoProviders { providers: providers.into_iter().map(custom_view).collect() }))
}

async fn update_custom(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CustomSsoRequest>,
) -> ApiResult<Json<CustomSsoProvider>> {
    Ok(Json(custom_view(state.services.social().update_custom(&env, &id, body).await?)))
}

async fn delete_custom(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.services.social().delete_custom(&env, &id).await?;
    Ok(StatusCode::OK)
}

/// yolk's vendor-only `POST /identity/resources/sso/v1`: configures one built-in provider (see
/// docs/api-conventions.md).
async fn configure(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiJson(body): ApiJson<SocialProviderRequest>,
) -> ApiResult<Json<SocialProviderV1>> {
    let p = state.services.social().configure(&env, body).await?;
    Ok(Json(SocialProviderV1 {
        kind: p.kind,
        client_id: p.client_id,
        redirect_url: p.redirect_url,
        active: p.active,
        authorization_url: String::new(),
    }))
}

async fn listed(state: &AppState) -> ApiResult<Vec<ListedProvider>> {
    // Each listing mints a state per active provider (expired ones are purged as new ones start). Not throttled:
    // it is a page-load call, which must not fail the login box.
    Ok(state.services.social().built_in_providers().await?)
}

/// `GET sso/v2` (and `sso/v2/authenticated`): the built-in providers, each with the URL that starts its sign-in.
async fn list_v2(State(state): State<AppState>) -> ApiResult<Json<Vec<SocialProviderV2>>> {
    let out = listed(&state)
        .await?
        .into_iter()
        .map(|l| SocialProviderV2 {
            kind: l.provider.kind,
            client_id: l.provider.client_id,
            redirect_url: l.provider.redirect_url,
            active: l.provider.active,
            authorization_url: l.authorization_url,
            options: json!({}),
            customised: true,
            additional_scopes: l.additional_scopes,
        })
        .collect();
    Ok(Json(out))
}

/// `GET sso/v1`: the shorter form.
async fn list_v1(State(state): State<AppState>) -> ApiResult<Json<Vec<SocialProviderV1>>> {
    let out = listed(&state)
        .await?
        .into_iter()
        .map(|l| SocialProviderV1 {
            kind: l.provider.kind,
            client_id: l.provider.client_id,
            redirect_url: l.provider.redirect_url,
            active: l.provider.active,
            authorization_url: l.authorization_url,
        })
        .collect();
    Ok(Json(out))
}

/// `POST auth/v1/user/sso/{provider}/postlogin?code=&state=&redirectUri=`: the login body (and the refresh cookie)
/// plus `{email, isNewUser, userId, tenantId, name}`, or the MFA branch.
async fn postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(query): ApiQuery<SocialPostloginQuery>,
) -> ApiResult<Response> {
    // The body (`{metadata?, invitationToken?}`) is not used yet.
    state.throttle.admit(ip, "social-postlogin")?;
    let code = query.code.unwrap_or_default();
    let login_state = query.state.unwrap_or_default();
    let sign_on = state.services.social().postlogin(&provider, &code, &login_state).await?;
    let response = login_response(&state, StatusCode::OK, &sign_on.outcome);
    let extra = json!({
        "email": sign_on.email,
        "isNewUser": sign_on.is_new_user,
        "userId": sign_on.user_id.to_string(),
        "tenantId": sign_on.tenant_id.map(|t| t.to_string()),
        "name": sign_on.name.unwrap_or_default(),
    });
    merge_body(response, extra).await
}

/// Adds `extra`'s fields the login body does not already have.
async fn merge_body(response: Response, extra: Value) -> ApiResult<Response> {
    let (mut parts, body) = response.into_parts();
    let bytes =
        axum::body::to_bytes(body, 1 << 20).await.map_err(|e| ApiError::Internal(format!("login body: {e}")))?;
    let mut value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
    if let (Some(obj), Value::Object(extra)) = (value.as_object_mut(), extra) {
        for (k, v) in extra {
            obj.entry(k).or_insert(v);
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok((parts, Json(value)).into_response())
}
