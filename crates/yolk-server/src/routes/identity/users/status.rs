//! A user's environment-wide state: locked, verified, super-user, invisible. Environment only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use yolk_api_types::users::{SetInvisibleRequest, SetSuperUserRequest, UserDto};
use yolk_domain::User;

use super::common::{member_error, render, user_id};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, VendorAuth};
use crate::state::AppState;

/// `POST /resources/users/v1/{userId}/lock`: the user can no longer log in or refresh, anywhere; every session
/// it has is revoked at once. Empty 200.
pub async fn lock_user(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = user_id(&id)?;
    state.store.set_user_locked(id, true, state.clock.now()).await.map_err(member_error)?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /resources/users/v1/{userId}/unlock`: lets a locked user log in again. Empty 200.
pub async fn unlock_user(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = user_id(&id)?;
    state.store.set_user_locked(id, false, state.clock.now()).await.map_err(member_error)?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /resources/users/v1/{userId}/verify`: marks the user verified (`email_verified` in its next token).
/// Empty 200.
pub async fn verify_user(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = user_id(&id)?;
    set_flag(&state, id, |u| u.verified = true).await?;
    Ok(StatusCode::OK.into_response())
}

/// `PUT /resources/users/v1/{userId}/superuser` `{superUser}`: the `superUser` claim of the user's next token.
pub async fn set_user_super_user(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SetSuperUserRequest>,
) -> ApiResult<Json<UserDto>> {
    let id = user_id(&id)?;
    set_flag(&state, id, move |u| u.super_user = body.super_user).await?;
    Ok(Json(render(&state, id, None).await?))
}

/// `PUT /resources/users/v1/{userId}/invisible` `{invisible}`: an invisible user stays in its tenants but is left
/// out of the lists tenant users see; the `invisible` claim of its next token.
pub async fn set_user_invisible(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SetInvisibleRequest>,
) -> ApiResult<Json<UserDto>> {
    let id = user_id(&id)?;
    set_flag(&state, id, move |u| u.invisible = body.invisible).await?;
    Ok(Json(render(&state, id, None).await?))
}

async fn set_flag(state: &AppState, id: Uuid, set: impl FnOnce(&mut User) + Send + 'static) -> ApiResult<User> {
    let now = state.clock.now();
    state
        .store
        .update_user(
            id,
            Box::new(move |u| {
                set(u);
                u.updated_at = now;
                Ok(())
            }),
        )
        .await
        .map_err(member_error)
}
