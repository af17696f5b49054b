//! What Frontegg's browser SDK (`@frontegg/js`) loads on every page before anyone signs in (`shared/BROWSER-SDK.md`,
//! "Page load"): public, unauthenticated, and never a 5xx for a missing feature (a 5xx on several of them puts the
//! login box into a blocking error state). Most are not in the OpenAPI files; their shapes are the SDK's.
//! The social login lists (`identity/resources/sso/v2`, `sso/custom/v1`) are `routes::identity::social`'s.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The page-load routes, with their service prefixes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/flags", get(flags))
        .route("/metadata", get(metadata))
        .route("/vendors/public", get(vendor_public))
        .route("/identity/resources/configurations/v1/public", get(public_configuration))
        .route("/identity/resources/configurations/v1/auth/strategies/public", get(auth_strategies))
        .route("/identity/resources/configurations/v1/sign-up/strategies", get(sign_up_strategies))
        .route("/team/resources/sso/v2/configurations/public", get(sso_public))
}

/// `GET /flags`: feature flags, `{name: "on"|"off"}`; none.
async fn flags() -> Json<Value> {
    Json(json!({}))
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataQuery {
    entity_name: Option<String>,
}

/// `GET /metadata?entityName=...`: `{rows: [{configuration}]}`. The admin box's is an empty configuration (the
/// SDK's defaults); `saml`'s holds the SAML SP settings in force (`acsUrl`, `spEntityId`); other entities have no
/// rows.
async fn metadata(State(state): State<AppState>, ApiQuery(q): ApiQuery<MetadataQuery>) -> ApiResult<Json<Value>> {
    Ok(match q.entity_name.as_deref() {
        Some("adminBox") => Json(json!({"rows": [{"configuration": {}}]})),
        Some("saml") => {
            let (acs_url, sp_entity_id) = state.services.sso().saml_sp_settings().await?;
            Json(json!({"rows": [{"configuration": {"acsUrl": acs_url, "spEntityId": sp_entity_id}}]}))
        }
        _ => Json(json!({"rows": []})),
    })
}

/// `GET /vendors/public`: the vendor's public branding.
async fn vendor_public() -> Json<Value> {
    Json(json!({"name": "yolk", "logo": "", "icon": "", "whiteLabelMode": false}))
}

/// `GET /identity/resources/configurations/v1/public`: what the sign-in screens need of the vendor configuration.
async fn public_configuration(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let p = state.services.settings.public_settings().await?;
    Ok(Json(json!({
        "allowSignups": p.allow_signups,
        "allowNotVerifiedUsersLogin": p.allow_not_verified_users_login,
        "apiTokensEnabled": p.api_tokens_enabled,
        "forcePermissions": p.force_permissions,
        "authStrategy": p.auth_strategy,
        "machineToMachineAuthStrategy": p.machine_to_machine_auth_strategy,
    })))
}

/// `GET /identity/resources/configurations/v1/auth/strategies/public`: the environment's sign-in strategy.
async fn auth_strategies(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let p = state.services.settings.public_settings().await?;
    Ok(Json(json!({"mainAuthStrategies": [{"strategy": p.auth_strategy}], "secondaryAuthStrategies": []})))
}

/// `GET /identity/resources/configurations/v1/sign-up/strategies`: sign-up identifies users by email.
async fn sign_up_strategies() -> Json<Value> {
    Json(json!([{"strategy": "email", "isActive": true, "isRequired": true}]))
}

/// `GET /team/resources/sso/v2/configurations/public`: whether SSO is on for the login box (some SSO
/// configuration of the environment is enabled).
async fn sso_public(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"isActive": state.services.sso().is_active().await?})))
}
