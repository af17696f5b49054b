//! env-auth.json: `POST /auth/vendor`, the environment token.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use yolk_api_types::auth::{VendorAuthRequest, VendorAuthResponse};

use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::state::AppState;

/// `/auth/vendor`.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/vendor", post(create_vendor_token))
}

/// Exchanges the environment's `{clientId, secret}` for an environment token; any mismatch is one 401.
async fn create_vendor_token(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VendorAuthRequest>,
) -> ApiResult<Json<VendorAuthResponse>> {
    let (token, expires_in) = state.services.auth.environment_token(&body.client_id, &body.secret).await?;
    Ok(Json(VendorAuthResponse { token, expires_in }))
}
