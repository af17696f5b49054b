//! Reading one user: by id (tenant-scoped or vendor-only), by email, and the vendor-only password check.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use yolk_api_types::users::{UserDto, VerifyPasswordRequest, VerifyPasswordResponse};
use yolk_domain::UserId;
use yolk_domain::fe_permissions::ReadUsers;

use crate::convert::user_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, TenantScope, VendorAuth};
use crate::state::AppState;

/// `GET /resources/users/v1/{userId}`: a user of the tenant in scope, with its roles there. The environment
/// without `frontegg-tenant-id` reads any user (in its active tenant's context). A user outside the tenant is a
/// 404.
pub async fn get_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<UserDto>> {
    let permit = scope.require::<ReadUsers>()?;
    let view = state.services.users.get(&permit, id).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `GET /resources/vendor-only/users/v1/{userId}`: any user, with every membership and its roles.
pub async fn get_user_vendor_only(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<UserDto>> {
    let view = state.services.users.get_any(&env, id).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// Query of `GET /resources/users/v1/email`.
#[derive(Debug, Deserialize)]
pub struct EmailQuery {
    #[serde(default)]
    email: String,
}

/// `GET /resources/users/v1/email?email=`: the user with this email (case-insensitive), scoped like
/// [`get_user`].
pub async fn get_user_by_email(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(q): ApiQuery<EmailQuery>,
) -> ApiResult<Json<UserDto>> {
    let permit = scope.require::<ReadUsers>()?;
    let view = state.services.users.get_by_email(&permit, &q.email).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `POST /resources/vendor-only/users/v1/passwords/verify`: `{"valid": bool}`; unknown and wrong look the same.
pub async fn verify_user_password(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiJson(body): ApiJson<VerifyPasswordRequest>,
) -> ApiResult<Json<VerifyPasswordResponse>> {
    let valid = state.services.users.verify_password(&env, &body.email, &body.password).await?;
    Ok(Json(VerifyPasswordResponse { valid }))
}
