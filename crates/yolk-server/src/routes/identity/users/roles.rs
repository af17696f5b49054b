//! Assigning and unassigning a user's roles in the tenant in scope.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{UserRoleIdsRequest, UserRolesChangeResponse};

use super::common::{member_error, roles_for_tenant, user_id};
use super::{DELETE_USERS_ROLES, WRITE_USERS_ROLES};
use crate::convert::role_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, TenantScope, parse_uuid};
use crate::state::AppState;

/// `POST /resources/users/v1/{userId}/roles`: grants roles (environment-wide or the tenant's own) to a member of
/// the tenant in scope; roles already held are kept. 201 with the roles granted. Unknown role: 404, nothing
/// granted; user outside the tenant: 404.
pub async fn add_roles_to_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UserRoleIdsRequest>,
) -> ApiResult<(StatusCode, Json<UserRolesChangeResponse>)> {
    scope.require(WRITE_USERS_ROLES)?;
    let tenant = scope.tenant()?;
    let id = user_id(&id)?;
    if body.role_ids.is_empty() {
        return Err(ApiError::BadRequest("roleIds must not be empty".into()));
    }
    let roles = roles_for_tenant(&state, tenant, &body.role_ids).await?;
    let ids: Vec<_> = roles.iter().map(|r| r.id).collect();
    state.store.assign_roles(id, tenant, &ids).await.map_err(member_error)?;
    let response = UserRolesChangeResponse {
        tenant_id: tenant.to_owned(),
        user_id: id.to_string(),
        roles: roles.iter().map(|r| role_dto(r, &state.client_id)).collect(),
    };
    Ok((StatusCode::CREATED, Json(response)))
}

/// `DELETE /resources/users/v1/{userId}/roles`: revokes roles from a member of the tenant in scope; roles not
/// held are ignored. 200 with the roles revoked. User outside the tenant: 404.
pub async fn delete_roles_from_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UserRoleIdsRequest>,
) -> ApiResult<Json<UserRolesChangeResponse>> {
    scope.require(DELETE_USERS_ROLES)?;
    let tenant = scope.tenant()?;
    let id = user_id(&id)?;
    let ids = body.role_ids.iter().map(|r| parse_uuid(r.trim(), "roleIds")).collect::<ApiResult<Vec<_>>>()?;
    if ids.is_empty() {
        return Err(ApiError::BadRequest("roleIds must not be empty".into()));
    }
    let held: Vec<_> = state
        .store
        .memberships(&[id])
        .await?
        .remove(&id)
        .and_then(|ms| ms.into_iter().find(|m| m.tenant_id == tenant))
        .map(|m| m.roles.into_iter().filter(|r| ids.contains(&r.id)).collect())
        .unwrap_or_default();
    state.store.unassign_roles(id, tenant, &ids).await.map_err(member_error)?;
    let response = UserRolesChangeResponse {
        tenant_id: tenant.to_owned(),
        user_id: id.to_string(),
        roles: held.iter().map(|r| role_dto(r, &state.client_id)).collect(),
    };
    Ok(Json(response))
}
