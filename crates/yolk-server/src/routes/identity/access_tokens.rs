//! Tenant and user access tokens as the Node SDK checks them on every `x-api-key` request. Access tokens
//! themselves arrive with a later issue; until then no token is active, and lookups of an id answer 404.

use axum::routing::get;
use axum::{Json, Router};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, VendorAuth};
use crate::state::AppState;

/// `/resources/vendor-only/{users,tenants}/access-tokens/v1/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/vendor-only/users/access-tokens/v1/active", get(list_active_access_tokens))
        .route("/resources/vendor-only/tenants/access-tokens/v1/active", get(list_active_access_tokens))
        .route("/resources/vendor-only/users/access-tokens/v1/{id}", get(get_access_token))
        .route("/resources/vendor-only/tenants/access-tokens/v1/{id}", get(get_access_token))
}

/// Ids of active user or tenant access tokens (none exist yet).
async fn list_active_access_tokens(_: VendorAuth) -> Json<Vec<String>> {
    Json(Vec::new())
}

/// One user or tenant access token: none exist yet.
async fn get_access_token(_: VendorAuth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<()>> {
    Err(ApiError::NotFound(format!("Access token {id} not found")))
}
