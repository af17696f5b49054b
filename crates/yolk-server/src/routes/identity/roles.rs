//! identity.json tag Roles: environment-wide roles and, with `frontegg-tenant-id`, a tenant's own roles
//! (management API). Account roles (tenant self-service) are in [`super::roles_v2`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use yolk_api_types::roles::{
    AddRoleRequest, RoleDto, SetRolePermissionsRequest, UpdateRoleRequest, UpdateRoleTenantRequest,
};
use yolk_domain::{Patch, Role, RoleId};

use crate::convert::role_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, TenantHeader, VendorAuth};
use crate::state::AppState;

/// `/resources/roles/v1...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/roles/v1", get(list_roles).post(create_roles))
        .route("/resources/roles/v1/{roleId}", patch(update_role).delete(delete_role))
        .route("/resources/roles/v1/{roleId}/permissions", put(set_role_permissions))
        .route("/resources/roles/v1/{roleId}/tenant", put(update_role_tenant))
}

fn dtos(state: &AppState, roles: &[Role]) -> Vec<RoleDto> {
    roles.iter().map(|r| role_dto(r, &state.client_id)).collect()
}

/// All roles, or with `frontegg-tenant-id` the environment's plus that tenant's.
async fn list_roles(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<RoleDto>>> {
    let roles = state.services.roles.list(&env, tenant.as_ref()).await?;
    Ok(Json(dtos(&state, &roles)))
}

/// Creates roles (all or none), environment-wide or, with `frontegg-tenant-id`, owned by that tenant. A role
/// with `isDefault` and `migrateRole` is also given to every existing member of its scope.
async fn create_roles(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Vec<AddRoleRequest>>,
) -> ApiResult<(StatusCode, Json<Vec<RoleDto>>)> {
    let created = state.services.roles.create(&env, tenant.as_ref(), body).await?;
    Ok((StatusCode::CREATED, Json(dtos(&state, &created))))
}

/// Deletes a role; users holding it lose it (their next token lacks it).
async fn delete_role(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
) -> ApiResult<StatusCode> {
    state.services.roles.delete(&env, tenant.as_ref(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Updates a role's fields (not its permissions). `migrateRole` with a default role gives it to every member of
/// its scope.
async fn update_role(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
    ApiJson(body): ApiJson<UpdateRoleRequest>,
) -> ApiResult<Json<RoleDto>> {
    let role = state.services.roles.update(&env, tenant.as_ref(), id, body).await?;
    Ok(Json(role_dto(&role, &state.client_id)))
}

/// Replaces the role's permissions. An unknown permission is a 404 and nothing changes.
async fn set_role_permissions(
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
    ApiJson(body): ApiJson<SetRolePermissionsRequest>,
) -> ApiResult<Json<RoleDto>> {
    let role = state.services.roles.set_permissions(&env, tenant.as_ref(), id, &body.permission_ids).await?;
    Ok(Json(role_dto(&role, &state.client_id)))
}

/// Moves a role to a tenant (`tenantId`), or back to the environment (`tenantId: null`). Moving it to a tenant
/// takes it from users of every other tenant.
async fn update_role_tenant(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<RoleId>,
    ApiJson(body): ApiJson<UpdateRoleTenantRequest>,
) -> ApiResult<Json<RoleDto>> {
    let tenant = match body.tenant_id {
        Patch::Absent => return Err(ApiError::BadRequest("tenantId is required (null for none)".into())),
        Patch::Null => None,
        Patch::Value(t) => Some(t),
    };
    let role = state.services.roles.set_tenant(&env, id, tenant.as_ref()).await?;
    Ok(Json(role_dto(&role, &state.client_id)))
}
