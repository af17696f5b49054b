//! env-auth.json: `POST /auth/vendor`, the environment token.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use yolk_api_types::auth::{VendorAuthRequest, VendorAuthResponse};
use yolk_core::secrets::{constant_time_eq, sha256_hex};

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

/// `/auth/vendor`.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/vendor", post(create_vendor_token))
}

/// Exchanges the environment's `{clientId, secret}` for an environment token. Both are compared in constant time
/// against the stored client id and secret hash; any mismatch is one 401.
async fn create_vendor_token(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VendorAuthRequest>,
) -> ApiResult<Json<VendorAuthResponse>> {
    let creds = state.store.credentials().await?.ok_or_else(|| ApiError::Internal("no credentials".into()))?;
    let id_ok = constant_time_eq(&body.client_id, &creds.client_id);
    let secret_ok = constant_time_eq(&sha256_hex(&body.secret), &creds.secret_sha256);
    if !(id_ok && secret_ok) {
        return Err(ApiError::Unauthorized("Invalid client id or secret".into()));
    }
    let (token, expires_in) = state.tokens.issue_vendor_token(&creds.client_id, state.clock.now())?;
    Ok(Json(VendorAuthResponse { token, expires_in }))
}
