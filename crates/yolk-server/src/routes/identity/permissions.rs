//! identity.json tag Permissions (management API). Permission keys are unique; tokens carry them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use uuid::Uuid;
use yolk_api_types::permissions::{
    AddPermissionRequest, AddRolesToPermissionRequest, AssignmentType, ClassifyPermissionsRequest, PermissionDto,
    UpdatePermissionRequest,
};
use yolk_domain::Permission;
use yolk_store::StoreError;

use super::roles::{MAX_BATCH, MAX_NAME, description, parse_ids, required_text};
use crate::convert::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, VendorAuth, parse_uuid};
use crate::state::AppState;

/// `/resources/permissions/v1...` (categories are in [`super::permission_categories`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/permissions/v1", get(list_permissions).post(create_permissions))
        .route("/resources/permissions/v1/classification", put(classify_permissions))
        .route("/resources/permissions/v1/{permissionId}", patch(update_permission).delete(delete_permission))
        .route("/resources/permissions/v1/{permissionId}/roles", put(add_permission_roles))
}

/// A permission on the wire. Unclassified permissions are `ASSIGNABLE`, Frontegg's default.
pub fn permission_dto(p: &Permission) -> PermissionDto {
    PermissionDto {
        id: p.id.to_string(),
        key: p.key.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
        role_ids: p.role_ids.iter().map(ToString::to_string).collect(),
        category_id: p.category_id.map(|c| c.to_string()),
        fe_permission: false,
        assignment_type: p.assignment_type.clone().unwrap_or_else(|| AssignmentType::Assignable.as_str().to_owned()),
    }
}

/// Renders the failure of a permission write; a key clash names the keys.
fn permission_write_error(keys: &[String]) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => ApiError::Conflict(format!("Permissions already exist: {}", keys.join(", "))),
        other => other.into(),
    }
}

fn category(value: Option<&str>) -> ApiResult<Option<Uuid>> {
    value.filter(|c| !c.is_empty()).map(|c| parse_uuid(c, "categoryId")).transpose()
}

/// Every permission, with the ids of the roles granting it.
async fn list_permissions(_: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<PermissionDto>>> {
    Ok(Json(state.store.list_permissions().await?.iter().map(permission_dto).collect()))
}

/// Creates permissions (all or none). Roles are granted separately.
async fn create_permissions(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Vec<AddPermissionRequest>>,
) -> ApiResult<Response> {
    if body.is_empty() || body.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!("Expected an array of 1 to {MAX_BATCH} permissions")));
    }
    let now = state.clock.now();
    let permissions = body
        .iter()
        .map(|p| {
            Ok(Permission {
                id: Uuid::new_v4(),
                key: required_text("key", &p.key, MAX_NAME)?,
                name: required_text("name", &p.name, MAX_NAME)?,
                description: description(p.description.as_deref())?,
                category_id: category(p.category_id.as_deref())?,
                assignment_type: Some(p.assignment_type.unwrap_or(AssignmentType::Assignable).as_str().to_owned()),
                role_ids: Vec::new(),
                created_at: now,
                updated_at: now,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let keys: Vec<String> = permissions.iter().map(|p| p.key.clone()).collect();
    let created = state.store.create_permissions(&permissions).await.map_err(permission_write_error(&keys))?;
    Ok((StatusCode::CREATED, Json(created.iter().map(permission_dto).collect::<Vec<_>>())).into_response())
}

/// Deletes a permission; roles stop granting it (tokens issued after lack it).
async fn delete_permission(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(permission_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_permission(parse_uuid(&permission_id, "permissionId")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Updates a permission's fields (not its roles). `categoryId: null` removes it from its category.
async fn update_permission(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(permission_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdatePermissionRequest>,
) -> ApiResult<Json<PermissionDto>> {
    let id = parse_uuid(&permission_id, "permissionId")?;
    let key = body.key.as_deref().map(|k| required_text("key", k, MAX_NAME)).transpose()?;
    let name = body.name.as_deref().map(|n| required_text("name", n, MAX_NAME)).transpose()?;
    let desc = description(body.description.as_deref())?;
    let category_id = body.category_id.as_ref().map(|c| category(c.as_deref())).transpose()?;
    let assignment_type = body.assignment_type.map(|a| a.as_str().to_owned());
    let keys = vec![key.clone().unwrap_or_default()];
    let now = state.clock.now();
    let change = Box::new(move |p: &mut Permission| {
        if let Some(k) = key {
            p.key = k;
        }
        if let Some(n) = name {
            p.name = n;
        }
        if desc.is_some() {
            p.description = desc;
        }
        if let Some(c) = category_id {
            p.category_id = c;
        }
        if assignment_type.is_some() {
            p.assignment_type = assignment_type;
        }
        p.updated_at = now;
        Ok(())
    });
    let updated = state.store.update_permission(id, change).await.map_err(permission_write_error(&keys))?;
    Ok(Json(permission_dto(&updated)))
}

/// Grants the permission to more roles; roles already granting it keep it. An unknown role is a 404 and nothing
/// changes.
async fn add_permission_roles(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(permission_id): ApiPath<String>,
    ApiJson(body): ApiJson<AddRolesToPermissionRequest>,
) -> ApiResult<Json<PermissionDto>> {
    let id = parse_uuid(&permission_id, "permissionId")?;
    let role_ids = parse_ids("roleIds", &body.role_ids)?;
    let permission = state.store.add_permission_roles(id, &role_ids).await?;
    Ok(Json(permission_dto(&permission)))
}

/// Classifies permissions for tenants' own roles (`NEVER`, `ALWAYS`, `ASSIGNABLE`), all or none. Answers the
/// updated permissions.
async fn classify_permissions(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ClassifyPermissionsRequest>,
) -> ApiResult<Json<Vec<PermissionDto>>> {
    let ids = parse_ids("permissionIds", &body.permission_ids)?;
    if ids.is_empty() {
        return Err(ApiError::BadRequest("permissionIds must not be empty".into()));
    }
    let updated = state.store.classify_permissions(&ids, body.assignment_type.as_str()).await?;
    Ok(Json(updated.iter().map(permission_dto).collect()))
}
