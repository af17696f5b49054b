//! identity.json tag Permissions (management API). Permission keys are unique; tokens carry them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use yolk_api_types::permissions::{
    AddPermissionRequest, AddRolesToPermissionRequest, ClassifyPermissionsRequest, PermissionDto,
    UpdatePermissionRequest,
};
use yolk_domain::PermissionId;

use crate::convert::permission_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, VendorAuth};
use crate::state::AppState;

/// `/resources/permissions/v1...` (categories are in [`super::permission_categories`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/permissions/v1", get(list_permissions).post(create_permissions))
        .route("/resources/permissions/v1/classification", put(classify_permissions))
        .route("/resources/permissions/v1/{permissionId}", patch(update_permission).delete(delete_permission))
        .route("/resources/permissions/v1/{permissionId}/roles", put(add_permission_roles))
}

/// Every permission, with the ids of the roles granting it.
async fn list_permissions(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<PermissionDto>>> {
    Ok(Json(state.services.roles.permissions(&env).await?.iter().map(permission_dto).collect()))
}

/// Creates permissions (all or none). Roles are granted separately.
async fn create_permissions(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Vec<AddPermissionRequest>>,
) -> ApiResult<(StatusCode, Json<Vec<PermissionDto>>)> {
    let created = state.services.roles.create_permissions(&env, body).await?;
    Ok((StatusCode::CREATED, Json(created.iter().map(permission_dto).collect())))
}

/// Deletes a permission; roles stop granting it.
async fn delete_permission(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<PermissionId>,
) -> ApiResult<StatusCode> {
    state.services.roles.delete_permission(&env, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Updates a permission's fields (not its roles). `categoryId: null` removes it from its category.
async fn update_permission(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<PermissionId>,
    ApiJson(body): ApiJson<UpdatePermissionRequest>,
) -> ApiResult<Json<PermissionDto>> {
    let updated = state.services.roles.update_permission(&env, id, body).await?;
    Ok(Json(permission_dto(&updated)))
}

/// Grants the permission to more roles; roles already granting it keep it.
async fn add_permission_roles(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<PermissionId>,
    ApiJson(body): ApiJson<AddRolesToPermissionRequest>,
) -> ApiResult<Json<PermissionDto>> {
    let permission = state.services.roles.add_permission_roles(&env, id, &body.role_ids).await?;
    Ok(Json(permission_dto(&permission)))
}

/// Classifies permissions for tenants' own roles (`NEVER`, `ALWAYS`, `ASSIGNABLE`), all or none.
async fn classify_permissions(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ClassifyPermissionsRequest>,
) -> ApiResult<Json<Vec<PermissionDto>>> {
    let updated = state.services.roles.classify_permissions(&env, &body.permission_ids, body.assignment_type).await?;
    Ok(Json(updated.iter().map(permission_dto).collect()))
}
