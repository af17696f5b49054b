//! Liveness/readiness and the public keys.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use yolk_api_types::HealthResponse;

use crate::state::AppState;

/// `/health`, `/.well-known/jwks.json`.
pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(get_health)).route("/.well-known/jwks.json", get(get_jwks))
}

/// 200 when the store answers, 503 otherwise.
async fn get_health(State(state): State<AppState>) -> (StatusCode, Json<HealthResponse>) {
    match state.services.health().await {
        Ok(backend) => (StatusCode::OK, Json(HealthResponse { status: "ok", store: Some(backend), errors: vec![] })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: store unreachable");
            let body = HealthResponse { status: "unavailable", store: None, errors: vec!["store unreachable"] };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body))
        }
    }
}

/// The signing keys as a JWKS (`alg`, `kid`, `use` set; the signing key first, as nextjs reads `keys[0]`).
async fn get_jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.services.tokens.keys().jwks_json())
}
