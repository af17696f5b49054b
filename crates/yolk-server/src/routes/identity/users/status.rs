//! A user's environment-wide state: locked, verified, super-user, invisible. Environment only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{SetInvisibleRequest, SetSuperUserRequest, UnlockUserRequest, UserDto};
use yolk_domain::UserId;

use crate::convert::user_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, VendorAuth};
use crate::state::AppState;

/// `POST /resources/users/v1/{userId}/lock`: the user can no longer log in or refresh, anywhere; every session it
/// has is revoked at once. Empty 200.
pub async fn lock_user(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state.services.users.set_locked(&env, id, true).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/v1/{userId}/unlock`: lets a locked user log in again. Empty 200.
pub async fn unlock_user(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state.services.users.set_locked(&env, id, false).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/v1/{userId}/verify`: marks the user verified. Empty 200.
pub async fn verify_user(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    state.services.users.verify(&env, id).await?;
    Ok(StatusCode::OK)
}

/// `PUT /resources/users/v1/{userId}/superuser` `{superUser}`: the `superUser` claim of the user's next token.
pub async fn set_user_super_user(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<SetSuperUserRequest>,
) -> ApiResult<Json<UserDto>> {
    let view = state.services.users.set_super_user(&env, id, body.super_user).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `PUT /resources/users/v1/{userId}/invisible` `{invisible}`: left out of the lists tenant members see.
pub async fn set_user_invisible(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<SetInvisibleRequest>,
) -> ApiResult<Json<UserDto>> {
    let view = state.services.users.set_invisible(&env, id, body.invisible).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `POST /resources/users/v3/me/unlock` (public: the caller is locked out): unlocks the account whose unlock link
/// (emailed when the lockout policy locked it) carries `token`; the link works once. Empty 200; one 400 for an
/// unknown, spent or expired token.
pub async fn unlock_me(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<UnlockUserRequest>,
) -> ApiResult<StatusCode> {
    state.services.lockout().unlock(&body.token).await?;
    Ok(StatusCode::OK)
}
