//! identity.json tag Account roles: the roles a tenant sees (the environment's plus its own) and the roles a
//! tenant creates for itself. Tenant-scoped: an environment token (optionally naming the tenant in
//! `frontegg-tenant-id`) or a tenant admin's user token holding `fe.secure.read.roles` / `fe.secure.write.roles`.
//! A tenant only ever creates roles it owns; environment roles and other tenants' roles are out of its reach.

use std::collections::{BTreeSet, HashMap};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use uuid::Uuid;
use yolk_api_types::roles::{AddRoleWithPermissionsRequest, PaginationLinks, PaginationMetadata, RoleDto, RolesPage};
use yolk_domain::Role;

use super::roles::{MAX_NAME, description, in_scope, parse_ids, required_text, role_write_error};
use crate::convert::role_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, TenantScope, parse_uuid};
use crate::state::AppState;

/// Permission a user token needs to list roles.
pub const READ_ROLES: &str = "fe.secure.read.roles";
/// Permission a user token needs to create roles.
pub const WRITE_ROLES: &str = "fe.secure.write.roles";
const PATH: &str = "/identity/resources/roles/v2";
const MAX_LIMIT: u64 = 2000;

/// `/resources/roles/v2...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/roles/v2", get(list_roles_v2).post(create_role_v2))
        .route("/resources/roles/v2/distinct-levels", get(get_distinct_levels))
        .route("/resources/roles/v2/distinct-tenants", get(get_distinct_tenants))
}

/// `_sortBy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Key,
    Name,
    Description,
    IsDefault,
    FirstUserRole,
    Level,
    UpdatedAt,
    CreatedAt,
    Permissions,
    UserTenants,
    /// yolk has no groups yet: every role counts zero.
    Groups,
}

impl SortBy {
    fn parse(s: &str) -> ApiResult<Self> {
        Ok(match s {
            "key" => Self::Key,
            "name" => Self::Name,
            "description" => Self::Description,
            "isDefault" => Self::IsDefault,
            "firstUserRole" => Self::FirstUserRole,
            "level" => Self::Level,
            "updatedAt" => Self::UpdatedAt,
            "createdAt" => Self::CreatedAt,
            "permissions" => Self::Permissions,
            "userTenants" => Self::UserTenants,
            "groups" => Self::Groups,
            _ => {
                return Err(ApiError::BadRequest(
                    "_sortBy must be one of key, name, description, isDefault, firstUserRole, level, updatedAt, \
                     createdAt, permissions, userTenants, groups"
                        .into(),
                ));
            }
        })
    }
}

/// The query of `GET /resources/roles/v2`. Lists may repeat the parameter or separate values with commas.
struct ListQuery {
    limit: u64,
    /// A page index.
    offset: u64,
    sort_by: SortBy,
    sort_raw: Option<String>,
    descending: bool,
    filter: Option<String>,
    levels: Option<Vec<i64>>,
    tenant_ids: Option<Vec<String>>,
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> ApiResult<T> {
    value.trim().parse().map_err(|_| ApiError::BadRequest(format!("{name} must be a non-negative integer")))
}

impl ListQuery {
    fn parse(pairs: &[(String, String)]) -> ApiResult<Self> {
        let mut q = Self {
            limit: 50,
            offset: 0,
            sort_by: SortBy::Key,
            sort_raw: None,
            descending: false,
            filter: None,
            levels: None,
            tenant_ids: None,
        };
        for (name, value) in pairs {
            let values = || value.split(',').map(str::trim).filter(|v| !v.is_empty());
            match name.trim_end_matches("[]") {
                "_limit" => q.limit = number("_limit", value)?,
                "_offset" => q.offset = number("_offset", value)?,
                "_sortBy" => {
                    q.sort_by = SortBy::parse(value)?;
                    q.sort_raw = Some(value.clone());
                }
                "_order" => match value.as_str() {
                    "ASC" | "asc" => q.descending = false,
                    "DESC" | "desc" => q.descending = true,
                    _ => return Err(ApiError::BadRequest("_order must be ASC or DESC".into())),
                },
                "_filter" => q.filter = Some(value.to_lowercase()).filter(|f| !f.is_empty()),
                "_levels" => {
                    let parsed = values().map(|v| number::<i64>("_levels", v)).collect::<ApiResult<Vec<_>>>()?;
                    q.levels.get_or_insert_with(Vec::new).extend(parsed);
                }
                "_tenantIds" => q.tenant_ids.get_or_insert_with(Vec::new).extend(values().map(str::to_owned)),
                _ => {}
            }
        }
        if !(1..=MAX_LIMIT).contains(&q.limit) {
            return Err(ApiError::BadRequest(format!("_limit must be between 1 and {MAX_LIMIT}")));
        }
        Ok(q)
    }

    fn keep(&self, r: &Role) -> bool {
        let text = self.filter.as_ref().is_none_or(|f| {
            r.key.to_lowercase().contains(f)
                || r.name.to_lowercase().contains(f)
                || r.description.as_deref().is_some_and(|d| d.to_lowercase().contains(f))
        });
        let level = self.levels.as_ref().is_none_or(|l| l.contains(&r.level));
        let tenant = self.tenant_ids.as_ref().is_none_or(|ids| r.tenant_id.as_ref().is_some_and(|t| ids.contains(t)));
        text && level && tenant
    }

    fn link(&self, page: u64) -> String {
        let mut link = format!("{PATH}?_limit={}&_offset={page}", self.limit);
        if let Some(s) = &self.sort_raw {
            link.push_str(&format!("&_sortBy={s}"));
        }
        if self.descending {
            link.push_str("&_order=DESC");
        }
        link
    }
}

fn sort(roles: &mut [Role], by: SortBy, descending: bool, assignments: &HashMap<Uuid, u64>) {
    roles.sort_by(|a, b| {
        let primary = match by {
            SortBy::Key => a.key.cmp(&b.key),
            SortBy::Name => a.name.cmp(&b.name),
            SortBy::Description => a.description.cmp(&b.description),
            SortBy::IsDefault => a.is_default.cmp(&b.is_default),
            SortBy::FirstUserRole => a.first_user_role.cmp(&b.first_user_role),
            SortBy::Level => a.level.cmp(&b.level),
            SortBy::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            SortBy::CreatedAt => a.created_at.cmp(&b.created_at),
            SortBy::Permissions => a.permission_ids.len().cmp(&b.permission_ids.len()),
            SortBy::UserTenants => assignments.get(&a.id).cmp(&assignments.get(&b.id)),
            SortBy::Groups => std::cmp::Ordering::Equal,
        };
        let primary = if descending { primary.reverse() } else { primary };
        primary.then_with(|| a.key.cmp(&b.key)).then_with(|| a.id.cmp(&b.id))
    });
}

/// A page of the roles in scope (`{items, _links, _metadata}`; `_offset` is a page index). An environment token
/// without a tenant sees every role; `_tenantIds` keeps only roles owned by those tenants.
async fn list_roles_v2(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<Json<RolesPage>> {
    scope.require(READ_ROLES)?;
    let query = ListQuery::parse(&pairs)?;
    let mut roles: Vec<Role> =
        state.store.list_roles(scope.tenant_id.as_deref()).await?.into_iter().filter(|r| query.keep(r)).collect();
    let assignments = match query.sort_by {
        SortBy::UserTenants => state.store.role_assignment_counts().await?,
        _ => HashMap::new(),
    };
    sort(&mut roles, query.sort_by, query.descending, &assignments);
    let total = roles.len() as u64;
    let pages = total.div_ceil(query.limit);
    let start = usize::try_from(query.offset.saturating_mul(query.limit)).unwrap_or(usize::MAX);
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let items: Vec<RoleDto> = roles.iter().skip(start).take(limit).map(|r| role_dto(r, &state.client_id)).collect();
    let links = PaginationLinks {
        next: if query.offset.saturating_add(1) < pages { query.link(query.offset + 1) } else { String::new() },
        prev: if query.offset > 0 && pages > 0 { query.link((query.offset - 1).min(pages - 1)) } else { String::new() },
        first: query.link(0),
        last: query.link(pages.saturating_sub(1)),
    };
    Ok(Json(RolesPage { items, links, metadata: PaginationMetadata { total_items: total, total_pages: pages } }))
}

/// Creates a role owned by the tenant in scope, at the level of `baseRoleId` (an environment role or one of the
/// tenant's), with `permissionIds` plus every permission classified `ALWAYS`. Permissions classified `NEVER`
/// cannot be given to a tenant's role.
async fn create_role_v2(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AddRoleWithPermissionsRequest>,
) -> ApiResult<Json<RoleDto>> {
    scope.require(WRITE_ROLES)?;
    let tenant = scope.tenant()?.to_owned();
    let key = required_text("key", &body.key, MAX_NAME)?;
    let name = required_text("name", &body.name, MAX_NAME)?;
    let description = description(body.description.as_deref())?;
    let base_id = parse_uuid(&body.base_role_id, "baseRoleId")?;
    let requested = parse_ids("permissionIds", &body.permission_ids)?;
    let base = state.store.get_role(base_id).await?;
    if !in_scope(&base, Some(&tenant)) {
        return Err(ApiError::NotFound("Role not found".into()));
    }
    let found = state.store.permissions_by_ids(&requested).await?;
    if found.len() != requested.iter().collect::<BTreeSet<_>>().len() {
        return Err(ApiError::NotFound("Permission not found".into()));
    }
    if let Some(p) = found.iter().find(|p| p.assignment_type.as_deref() == Some("NEVER")) {
        return Err(ApiError::BadRequest(format!("Permission {} cannot be assigned to an account role", p.key)));
    }
    let always = state.store.list_permissions().await?;
    let mut permission_ids: Vec<Uuid> = requested;
    permission_ids.extend(always.iter().filter(|p| p.assignment_type.as_deref() == Some("ALWAYS")).map(|p| p.id));
    let now = state.clock.now();
    let role = Role {
        id: Uuid::new_v4(),
        key,
        name,
        description,
        tenant_id: Some(tenant),
        level: base.level,
        is_default: body.is_default.unwrap_or(false),
        first_user_role: false,
        permission_ids,
        created_at: now,
        updated_at: now,
    };
    let keys = vec![role.key.clone()];
    let created = state.store.create_roles(&[role]).await.map_err(role_write_error(&keys))?;
    let role = created.first().ok_or_else(|| ApiError::Internal("created role missing".into()))?;
    Ok(Json(role_dto(role, &state.client_id)))
}

/// The distinct levels of the roles in scope, ascending.
async fn get_distinct_levels(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<i64>>> {
    scope.require(READ_ROLES)?;
    let roles = state.store.list_roles(scope.tenant_id.as_deref()).await?;
    Ok(Json(roles.iter().map(|r| r.level).collect::<BTreeSet<_>>().into_iter().collect()))
}

/// The distinct tenants owning roles in scope (a tenant sees at most itself), sorted.
async fn get_distinct_tenants(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<String>>> {
    scope.require(READ_ROLES)?;
    let roles = state.store.list_roles(scope.tenant_id.as_deref()).await?;
    Ok(Json(roles.into_iter().filter_map(|r| r.tenant_id).collect::<BTreeSet<_>>().into_iter().collect()))
}
