//! Core settings: the environment configuration, with the public key the SDKs verify tokens with.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use yolk_core::settings::vendor_config;

use crate::error::ApiResult;
use crate::extract::VendorAuth;
use crate::state::AppState;

/// `/resources/configurations/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/resources/configurations/v1", get(get_vendor_config))
}

/// `VendorConfigResponse`: the stored configuration with `id`, the PEM `publicKey` and the token lifetimes in
/// force.
async fn get_vendor_config(_: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(vendor_config_response(&state).await?))
}

/// The configuration as the API renders it.
pub async fn vendor_config_response(state: &AppState) -> ApiResult<Value> {
    let cfg = vendor_config(state.store.as_ref()).await?;
    let settings = state.tokens.settings();
    let mut body = serde_json::to_value(&cfg).map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    if let Value::Object(map) = &mut body {
        map.insert("id".into(), Value::String(state.client_id.to_string()));
        map.insert("publicKey".into(), Value::String(state.tokens.keys().public_pem().to_owned()));
        map.insert(
            "defaultTokenExpiration".into(),
            cfg.default_token_expiration.unwrap_or(settings.access_ttl_secs).into(),
        );
        map.insert(
            "defaultRefreshTokenExpiration".into(),
            cfg.default_refresh_token_expiration.unwrap_or(settings.refresh_ttl_secs).into(),
        );
    }
    Ok(body)
}
