//! A user's tenants: removal (or deletion), joining, the active tenant, moving a whole tenant's users, and
//! enabling or disabling a membership.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{MigrateUsersRequest, UserDto, UserTenantRequest};
use yolk_domain::UserId;
use yolk_domain::fe_permissions::{DeleteUsers, EnableDisableUsers};

use crate::convert::user_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope, VendorAuth};
use crate::state::AppState;

/// `DELETE /resources/users/v1/{userId}`: removes the user from the tenant in scope (deleting it when that was
/// its last tenant), or, for the environment without a tenant, deletes it. Empty 200.
pub async fn delete_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<DeleteUsers>()?;
    state.services.users.remove(&permit, id).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/v1/{userId}/tenant`: adds a user to an existing tenant with `roleIds` (a yolk
/// extension; default roles when absent). 201 with the user in that tenant's context.
pub async fn add_user_to_tenant(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UserTenantRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let view = state.services.users.add_to_tenant(&env, id, &body.tenant_id, body.role_ids.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(user_dto(&view, &state.client_id))))
}

/// `PUT /resources/users/v1/{userId}/tenant`: makes a tenant the user's active one (created unless
/// `validateTenantExist`).
pub async fn set_user_active_tenant(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UserTenantRequest>,
) -> ApiResult<Json<UserDto>> {
    let validate = body.validate_tenant_exist == Some(true);
    let view =
        state.services.users.set_active_tenant(&env, id, &body.tenant_id, validate, body.role_ids.as_deref()).await?;
    Ok(Json(user_dto(&view, &state.client_id)))
}

/// `PUT /resources/users/v1/tenants/migrate`: moves every user of `srcTenantId` into `targetTenantId`. Empty 200.
pub async fn migrate_users_tenant(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiJson(body): ApiJson<MigrateUsersRequest>,
) -> ApiResult<StatusCode> {
    state.services.users.migrate_tenant(&env, &body.src_tenant_id, &body.target_tenant_id).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/tenants/users/v1/{userId}/disable`: the member can no longer log in to the tenant in scope.
pub async fn disable_user_in_tenant(
    state: State<AppState>,
    scope: TenantScope,
    id: ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    set_enabled(state, scope, id, false).await
}

/// `POST /resources/tenants/users/v1/{userId}/enable`: lets a disabled member log in to the tenant again.
pub async fn enable_user_in_tenant(
    state: State<AppState>,
    scope: TenantScope,
    id: ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    set_enabled(state, scope, id, true).await
}

async fn set_enabled(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<UserId>,
    enabled: bool,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<EnableDisableUsers>()?;
    state.services.users.set_enabled(&permit, id, enabled).await?;
    Ok(StatusCode::OK)
}
