//! Creating users: in a tenant (`POST /resources/users/v1`, `v2`, invite semantics) and vendor-only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{CreateUserRequest, UserDto};
use yolk_domain::fe_permissions::WriteUsers;

use crate::convert::user_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantScope, VendorAuth};
use crate::state::AppState;

/// `POST /resources/users/v1`: creates (or, for a known email, adds) a user in the tenant in scope; see
/// `UserService::invite`; the new user gets an activation email, an existing one an invitation email (unless
/// `skipInviteEmail`; see `yolk_core::activation`). `tenantId` in the body is ignored: the tenant comes from the scope.
pub async fn create_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let permit = scope.require::<WriteUsers>()?;
    let skip_email = body.skip_invite_email.unwrap_or(false);
    let view = state.services.activation().invite(&permit, body.user, skip_email).await?;
    Ok((StatusCode::CREATED, Json(user_dto(&view, &state.client_id))))
}

/// `POST /resources/users/v2` (invite user): as [`create_user`].
pub async fn create_user_v2(
    state: State<AppState>,
    scope: TenantScope,
    body: ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    create_user(state, scope, body).await
}

/// `POST /resources/vendor-only/users/v1`: creates a verified user in `tenantId` (required). 409 when the email
/// or username is taken, 404 for an unknown tenant or role.
pub async fn create_user_vendor_only(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiJson(mut body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let tenant = body.tenant_id.take().ok_or_else(|| ApiError::BadRequest("tenantId is required".into()))?;
    let view = state.services.users.create_vendor_only(&env, &tenant, body.user).await?;
    Ok((StatusCode::CREATED, Json(user_dto(&view, &state.client_id))))
}
