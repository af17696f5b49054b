//! identity.json tag Roles: environment-wide roles and, with `frontegg-tenant-id`, a tenant's own roles
//! (management API). Account roles (tenant self-service) are in [`super::roles_v2`].

use std::convert::Infallible;

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use uuid::Uuid;
use yolk_api_types::roles::{
    AddRoleRequest, RoleDto, SetRolePermissionsRequest, UpdateRoleRequest, UpdateRoleTenantRequest,
};
use yolk_domain::Role;
use yolk_store::StoreError;

use crate::convert::role_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, VendorAuth, parse_uuid};
use crate::state::AppState;

/// Longest accepted key or name.
pub(super) const MAX_NAME: usize = 255;
/// Longest accepted description.
pub(super) const MAX_DESCRIPTION: usize = 1024;
/// Most roles or permissions one request may create or address.
pub(super) const MAX_BATCH: usize = 500;
/// Role levels Frontegg allows (lower is stronger).
const LEVELS: std::ops::RangeInclusive<i64> = 0..=32767;

/// `/resources/roles/v1...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/roles/v1", get(list_roles).post(create_roles))
        .route("/resources/roles/v1/{roleId}", patch(update_role).delete(delete_role))
        .route("/resources/roles/v1/{roleId}/permissions", put(set_role_permissions))
        .route("/resources/roles/v1/{roleId}/tenant", put(update_role_tenant))
}

/// The optional `frontegg-tenant-id` header of a management call: the tenant whose roles it addresses.
pub struct TenantHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for TenantHeader {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get("frontegg-tenant-id").and_then(|v| v.to_str().ok()).map(str::trim);
        Ok(Self(value.filter(|v| !v.is_empty()).map(str::to_owned)))
    }
}

/// A required text field: not blank, at most `max` characters. Kept as sent.
pub(super) fn required_text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    if value.trim().is_empty() {
        return Err(ApiError::BadRequest(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(ApiError::BadRequest(format!("{field} must be at most {max} characters")));
    }
    Ok(value.to_owned())
}

/// An optional description: at most [`MAX_DESCRIPTION`] characters.
pub(super) fn description(value: Option<&str>) -> ApiResult<Option<String>> {
    match value {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => {
            Err(ApiError::BadRequest(format!("description must be at most {MAX_DESCRIPTION} characters")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// A list of UUIDs from a body field, at most [`MAX_BATCH`] long.
pub(super) fn parse_ids(field: &str, values: &[String]) -> ApiResult<Vec<Uuid>> {
    if values.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!("{field} may hold at most {MAX_BATCH} ids")));
    }
    values.iter().map(|v| parse_uuid(v, field)).collect()
}

fn level(value: i64) -> ApiResult<i64> {
    if LEVELS.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::BadRequest(format!("level must be between {} and {}", LEVELS.start(), LEVELS.end())))
    }
}

/// Renders the failure of a role write; a key clash says so in Frontegg's words, naming the keys.
pub(super) fn role_write_error(keys: &[String]) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => ApiError::Conflict(format!("Roles already exists: {}", keys.join(", "))),
        other => other.into(),
    }
}

/// Whether a management call scoped to `tenant` (if any) may address `role`: environment roles and the tenant's
/// own. Another tenant's role is reported missing rather than forbidden.
pub(super) fn in_scope(role: &Role, tenant: Option<&str>) -> bool {
    match (tenant, role.tenant_id.as_deref()) {
        (Some(t), Some(owner)) => t == owner,
        _ => true,
    }
}

/// The role, if it exists and is in scope.
async fn scoped_role(state: &AppState, id: Uuid, tenant: Option<&str>) -> ApiResult<Role> {
    let role = state.store.get_role(id).await?;
    if in_scope(&role, tenant) { Ok(role) } else { Err(ApiError::NotFound("Role not found".into())) }
}

/// All roles, or with `frontegg-tenant-id` the environment's plus that tenant's.
async fn list_roles(
    _: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<RoleDto>>> {
    let roles = state.store.list_roles(tenant.as_deref()).await?;
    Ok(Json(roles.iter().map(|r| role_dto(r, &state.client_id)).collect()))
}

/// Creates roles (all or none), environment-wide or, with `frontegg-tenant-id`, owned by that tenant. A role
/// with `isDefault` and `migrateRole` is also given to every existing member of its scope.
async fn create_roles(
    _: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Vec<AddRoleRequest>>,
) -> ApiResult<Response> {
    if body.is_empty() || body.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!("Expected an array of 1 to {MAX_BATCH} roles")));
    }
    let now = state.clock.now();
    let mut roles = Vec::with_capacity(body.len());
    let mut migrate = Vec::new();
    for r in &body {
        let role = Role {
            id: Uuid::new_v4(),
            key: required_text("key", &r.key, MAX_NAME)?,
            name: required_text("name", &r.name, MAX_NAME)?,
            description: description(r.description.as_deref())?,
            tenant_id: tenant.clone(),
            level: level(r.level)?,
            is_default: r.is_default.unwrap_or(false),
            first_user_role: r.first_user_role.unwrap_or(false),
            permission_ids: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        if role.is_default && r.migrate_role == Some(true) {
            migrate.push(role.id);
        }
        roles.push(role);
    }
    let keys: Vec<String> = roles.iter().map(|r| r.key.clone()).collect();
    let created = state.store.create_roles_migrated(&roles, &migrate).await.map_err(role_write_error(&keys))?;
    let body: Vec<RoleDto> = created.iter().map(|r| role_dto(r, &state.client_id)).collect();
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Deletes a role; users holding it lose it (their next token lacks it).
async fn delete_role(
    _: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiPath(role_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = parse_uuid(&role_id, "roleId")?;
    scoped_role(&state, id, tenant.as_deref()).await?;
    state.store.delete_role(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Updates a role's fields (not its permissions). `migrateRole` with a default role gives it to every member of
/// its scope.
async fn update_role(
    _: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiPath(role_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateRoleRequest>,
) -> ApiResult<Json<RoleDto>> {
    let id = parse_uuid(&role_id, "roleId")?;
    let current = scoped_role(&state, id, tenant.as_deref()).await?;
    let key = body.key.as_deref().map(|k| required_text("key", k, MAX_NAME)).transpose()?;
    let name = body.name.as_deref().map(|n| required_text("name", n, MAX_NAME)).transpose()?;
    let desc = body.description.as_deref().map(|d| description(Some(d))).transpose()?.flatten();
    let new_level = body.level.map(level).transpose()?;
    let migrate = body.migrate_role == Some(true);
    let keys = vec![key.clone().unwrap_or_else(|| current.key.clone())];
    let (is_default, first_user_role, now) = (body.is_default, body.first_user_role, state.clock.now());
    let change = Box::new(move |r: &mut Role| {
        if let Some(k) = key {
            r.key = k;
        }
        if let Some(n) = name {
            r.name = n;
        }
        if desc.is_some() {
            r.description = desc;
        }
        if let Some(l) = new_level {
            r.level = l;
        }
        if let Some(d) = is_default {
            r.is_default = d;
        }
        if let Some(f) = first_user_role {
            r.first_user_role = f;
        }
        r.updated_at = now;
        Ok(())
    });
    let role = state.store.update_role_migrated(id, change, migrate).await.map_err(role_write_error(&keys))?;
    Ok(Json(role_dto(&role, &state.client_id)))
}

/// Replaces the role's permissions. An unknown permission is a 404 and nothing changes.
async fn set_role_permissions(
    _: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    State(state): State<AppState>,
    ApiPath(role_id): ApiPath<String>,
    ApiJson(body): ApiJson<SetRolePermissionsRequest>,
) -> ApiResult<Json<RoleDto>> {
    let id = parse_uuid(&role_id, "roleId")?;
    let permission_ids = parse_ids("permissionIds", &body.permission_ids)?;
    scoped_role(&state, id, tenant.as_deref()).await?;
    let role = state.store.set_role_permissions(id, &permission_ids).await?;
    Ok(Json(role_dto(&role, &state.client_id)))
}

/// Moves a role to a tenant (`tenantId`), or back to the environment (`tenantId: null`). Moving it to a tenant
/// takes it from users of every other tenant.
async fn update_role_tenant(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(role_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateRoleTenantRequest>,
) -> ApiResult<Json<RoleDto>> {
    let id = parse_uuid(&role_id, "roleId")?;
    let tenant = body.tenant_id.ok_or_else(|| ApiError::BadRequest("tenantId is required (null for none)".into()))?;
    if tenant.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ApiError::BadRequest("tenantId must not be empty".into()));
    }
    let current = state.store.get_role(id).await?;
    let keys = vec![current.key];
    let role = state.store.set_role_tenant(id, tenant.as_deref()).await.map_err(role_write_error(&keys))?;
    Ok(Json(role_dto(&role, &state.client_id)))
}
