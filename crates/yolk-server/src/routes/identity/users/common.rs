//! Pieces every user handler shares: loading a user with its memberships, rendering, role validation.

use std::collections::HashSet;

use uuid::Uuid;
use yolk_api_types::users::UserDto;
use yolk_domain::values::metadata_to_string;
use yolk_domain::{Membership, Role, User};
use yolk_store::StoreError;

use crate::convert::user_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Actor, TenantScope, parse_uuid};
use crate::state::AppState;

/// The answer for a user that does not exist or is not visible in the tenant in scope (the same either way, so a
/// tenant admin cannot probe other tenants' users).
pub fn user_not_found() -> ApiError {
    ApiError::NotFound("User not found".into())
}

/// Maps a store `NotFound` for a user or a membership to [`user_not_found`].
pub fn member_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound("user" | "membership") => user_not_found(),
        other => other.into(),
    }
}

/// Parses the `userId` path parameter (400 when it is not a UUID).
pub fn user_id(raw: &str) -> ApiResult<Uuid> {
    parse_uuid(raw, "userId")
}

/// The user and its memberships. With `tenant`, a user who is not a member there is not found.
pub async fn load(state: &AppState, id: Uuid, tenant: Option<&str>) -> ApiResult<(User, Vec<Membership>)> {
    let user = state.store.get_user(id).await.map_err(member_error)?;
    let memberships = state.store.memberships(&[id]).await?.remove(&id).unwrap_or_default();
    if let Some(t) = tenant
        && !memberships.iter().any(|m| m.tenant_id == t)
    {
        return Err(user_not_found());
    }
    Ok((user, memberships))
}

/// Loads and renders a user in `tenant`'s context (or its active tenant's), with every membership.
pub async fn render(state: &AppState, id: Uuid, tenant: Option<&str>) -> ApiResult<UserDto> {
    let (user, memberships) = load(state, id, tenant).await?;
    Ok(user_dto(&user, &memberships, tenant, &state.client_id))
}

/// Whether a caller sees only the tenant in scope: a tenant user must not learn which other tenants a user
/// belongs to (nor its roles there); the environment sees everything.
pub fn tenant_only(scope: &TenantScope) -> bool {
    matches!(scope.actor, Actor::User { .. })
}

/// Drops the memberships a caller may not see (see [`tenant_only`]).
pub fn visible_memberships(memberships: &mut Vec<Membership>, tenant: Option<&str>, tenant_only: bool) {
    if tenant_only {
        memberships.retain(|m| Some(m.tenant_id.as_str()) == tenant);
    }
}

/// Loads and renders a user for a tenant-scoped caller: in the scope's tenant, which it must belong to, and
/// showing only what the caller may see.
pub async fn render_in_scope(state: &AppState, id: Uuid, scope: &TenantScope) -> ApiResult<UserDto> {
    let tenant = scope.tenant_id.as_deref();
    let (user, mut memberships) = load(state, id, tenant).await?;
    visible_memberships(&mut memberships, tenant, tenant_only(scope));
    Ok(user_dto(&user, &memberships, tenant, &state.client_id))
}

/// Resolves role ids for use in `tenant`: each must exist and be environment-wide or owned by that tenant.
/// Duplicates are dropped. A malformed id is a 400, an unknown or foreign one a 404.
pub async fn roles_for_tenant(state: &AppState, tenant: &str, ids: &[String]) -> ApiResult<Vec<Role>> {
    let mut seen = HashSet::new();
    let mut wanted = Vec::new();
    for raw in ids {
        let id = parse_uuid(raw.trim(), "roleIds")?;
        if seen.insert(id) {
            wanted.push(id);
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let roles = state.store.roles_by_ids(&wanted).await?;
    let usable = roles.iter().filter(|r| r.tenant_id.as_deref().is_none_or(|t| t == tenant)).count();
    if usable != wanted.len() {
        return Err(ApiError::NotFound("Role not found".into()));
    }
    Ok(roles)
}

/// The role ids a new member of `tenant` gets: the given ones (validated), or, when none are given, the roles
/// marked default that the tenant can use.
pub async fn member_roles(state: &AppState, tenant: &str, given: Option<&[String]>) -> ApiResult<Vec<Uuid>> {
    match given {
        Some(ids) if !ids.is_empty() => Ok(roles_for_tenant(state, tenant, ids).await?.iter().map(|r| r.id).collect()),
        _ => Ok(state
            .store
            .list_roles(Some(tenant))
            .await?
            .into_iter()
            .filter(|r| r.is_default && r.tenant_id.as_deref().is_none_or(|t| t == tenant))
            .map(|r| r.id)
            .collect()),
    }
}

/// Requires the tenant to exist (404 otherwise).
pub async fn require_tenant(state: &AppState, tenant: &str) -> ApiResult<()> {
    match state.store.get_tenant(tenant).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound(_)) => Err(ApiError::NotFound("Tenant not found".into())),
        Err(e) => Err(e.into()),
    }
}

/// Parses an optional metadata value (object or JSON string) into its stored form.
pub fn metadata(value: Option<&serde_json::Value>) -> ApiResult<Option<Option<String>>> {
    value.map(metadata_to_string).transpose().map_err(ApiError::BadRequest)
}

/// yolk does not store vendor metadata yet: refuse it rather than drop it silently.
pub fn reject_vendor_metadata(value: Option<&serde_json::Value>) -> ApiResult<()> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(()),
        Some(_) => Err(ApiError::BadRequest("vendorMetadata is not supported".into())),
    }
}
