//! Assigning and unassigning a user's roles in the tenant in scope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{
    BulkUpdateUserRolesRequest, BulkUpdateUserRolesResponse, UserRoleIdsRequest, UserRolesChangeResponse,
};
use yolk_domain::UserId;
use yolk_domain::fe_permissions::{DeleteUsersRoles, WriteUsersRoles};

use crate::convert::user_roles_change_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope, VendorAuth};
use crate::state::AppState;

/// `POST /resources/users/v1/{userId}/roles`: grants roles to a member of the tenant in scope; 201 with the roles
/// granted.
pub async fn add_roles_to_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UserRoleIdsRequest>,
) -> ApiResult<(StatusCode, Json<UserRolesChangeResponse>)> {
    let permit = scope.require::<WriteUsersRoles>()?;
    let roles = state.services.users.assign_roles(&permit, id, &body.role_ids).await?;
    Ok((StatusCode::CREATED, Json(user_roles_change_dto(permit.tenant()?, id, &roles, &state.client_id))))
}

/// `DELETE /resources/users/v1/{userId}/roles`: revokes roles from a member of the tenant in scope; 200 with the
/// roles revoked.
pub async fn delete_roles_from_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UserRoleIdsRequest>,
) -> ApiResult<Json<UserRolesChangeResponse>> {
    let permit = scope.require::<DeleteUsersRoles>()?;
    let roles = state.services.users.unassign_roles(&permit, id, &body.role_ids).await?;
    Ok(Json(user_roles_change_dto(permit.tenant()?, id, &roles, &state.client_id)))
}

/// `PATCH /resources/vendor-only/users/v1/{userId}/roles/bulk`: grants `addRoleIds` and revokes `removeRoleIds`
/// (environment roles) in each of the user's tenants (or `tenantIds`), in one transaction; answers the synchronous
/// body `{userId, affectedTenants, rolesAdded, rolesRemoved}`.
pub async fn bulk_update_user_roles(
    State(state): State<AppState>,
    env: VendorAuth,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<BulkUpdateUserRolesRequest>,
) -> ApiResult<Json<BulkUpdateUserRolesResponse>> {
    let done = state.services.users.bulk_update_roles(&env, id, body).await?;
    Ok(Json(BulkUpdateUserRolesResponse {
        user_id: id.to_string(),
        affected_tenants: done.tenants.len(),
        roles_added: done.added.iter().map(ToString::to_string).collect(),
        roles_removed: done.removed.iter().map(ToString::to_string).collect(),
    }))
}
