//! Updating a user's profile: by the environment, as the user in context, and the email.

use axum::Json;
use axum::extract::State;
use yolk_api_types::users::{UpdateUserEmailRequest, UpdateUserRequest, UserDto};
use yolk_domain::UserId;

use crate::convert::user_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, UserContext, VendorAuth};
use crate::state::AppState;

/// `PUT /resources/users/v1/{userId}`: a partial update of any user, `externalId` included.
pub async fn update_user_for_vendor(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserDto>> {
    let view = state.services.users.update_any(&env, id, body).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `PUT /resources/users/v1`: the user in context (a user token's own user, or the environment naming it with
/// `frontegg-user-id`) changes its profile; rendered in the tenant in context.
pub async fn update_user(
    State(state): State<AppState>,
    ctx: UserContext,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserDto>> {
    let view = state.services.users.update_own(&ctx, body).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `PUT /resources/users/v1/{userId}/email`: changes a user's email everywhere; 409 if another user has it.
pub async fn update_user_email(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UpdateUserEmailRequest>,
) -> ApiResult<Json<UserDto>> {
    let view = state.services.users.change_email(&env, id, &body.email).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}
