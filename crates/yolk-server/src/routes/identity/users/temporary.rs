//! Temporary users: the environment's configuration and a user's time limit (environment only: a user's expiry
//! holds in every tenant it belongs to, so no tenant admin sets it).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_api_types::users::TemporaryUserRequest;
use yolk_domain::UserId;
use yolk_domain::settings::TemporaryUsersConfiguration;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, VendorAuth};
use crate::state::AppState;

/// `GET /resources/users/temporary/v1/configuration`: `{enabled}` (false until set).
pub async fn get_temporary_users_configuration(
    State(state): State<AppState>,
    env: VendorAuth,
) -> ApiResult<Json<TemporaryUsersConfiguration>> {
    Ok(Json(state.services.users.temporary_users_configuration(&env).await?))
}

/// `PUT /resources/users/temporary/v1/configuration`: sets `{enabled}`; answers it.
pub async fn set_temporary_users_configuration(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<TemporaryUsersConfiguration>> {
    Ok(Json(state.services.users.set_temporary_users_configuration(&env, body).await?))
}

/// `PUT /resources/users/temporary/v1/{userId}`: the user expires `expirationInSeconds` from now (400 while the
/// configuration is off); 201 with the time limit.
pub async fn set_user_temporary(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<TemporaryUserRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let secs = body.expiration_in_seconds;
    state.services.users.set_temporary(&env, id, secs).await?;
    // Echoed as given: a whole number of seconds stays an integer (in range: checked by the service).
    #[allow(clippy::cast_possible_truncation)]
    let echoed = if secs.fract() == 0.0 { json!(secs as i64) } else { json!(secs) };
    Ok((StatusCode::CREATED, Json(json!({ "expirationInSeconds": echoed }))))
}

/// `DELETE /resources/users/temporary/v1/{userId}`: the user becomes permanent. Empty 200.
pub async fn set_user_permanent(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state.services.users.set_permanent(&env, id).await?;
    Ok(StatusCode::OK)
}
