//! env-auth.json: `POST /auth/vendor`, the environment token.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use yolk_api_types::auth::{VendorAuthRequest, VendorAuthResponse};

use crate::error::ApiResult;
use yolk_core::CoreError;

use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;

/// `/auth/vendor`.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/vendor", post(create_vendor_token))
}

/// Exchanges the environment's `{clientId, secret}` for an environment token; any mismatch is one 401.
/// Rate-limited per client address and per client id (see `throttle`).
async fn create_vendor_token(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VendorAuthRequest>,
) -> ApiResult<Json<VendorAuthResponse>> {
    let identifier = format!("client:{}", body.client_id);
    state.throttle.admit(ip, &identifier)?;
    let result = state.services.auth.environment_token(&body.client_id, &body.secret).await;
    if matches!(result, Err(CoreError::Unauthorized(_))) {
        state.throttle.failed(&identifier);
    }
    let (token, expires_in) = result?;
    Ok(Json(VendorAuthResponse { token, expires_in }))
}
