//! Assigning and unassigning a user's roles in the tenant in scope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{UserRoleIdsRequest, UserRolesChangeResponse};
use yolk_domain::UserId;
use yolk_domain::fe_permissions::{DeleteUsersRoles, WriteUsersRoles};

use crate::convert::user_roles_change_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope};
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
