//! Assigning and unassigning a user's roles in the tenant in scope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{UserRoleIdsRequest, UserRolesChangeResponse};
use yolk_domain::fe_permissions::{DeleteUsersRoles, WriteUsersRoles};
use yolk_domain::{Role, TenantId, UserId};

use crate::convert::role_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope};
use crate::state::AppState;

fn response(state: &AppState, tenant: Option<&TenantId>, id: UserId, roles: &[Role]) -> UserRolesChangeResponse {
    UserRolesChangeResponse {
        tenant_id: tenant.map(ToString::to_string).unwrap_or_default(),
        user_id: id.to_string(),
        roles: roles.iter().map(|r| role_dto(r, &state.client_id)).collect(),
    }
}

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
    Ok((StatusCode::CREATED, Json(response(&state, permit.tenant_opt(), id, &roles))))
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
    Ok(Json(response(&state, permit.tenant_opt(), id, &roles)))
}
