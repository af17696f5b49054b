//! identity.json tag Account roles: the roles a tenant sees (the environment's plus its own) and the roles a
//! tenant creates for itself. Tenant-scoped: an environment token (optionally naming the tenant in
//! `frontegg-tenant-id`) or a tenant admin's user token holding `fe.secure.read.roles` / `fe.secure.write.roles`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::page::Page;
use yolk_api_types::roles::{AddRoleWithPermissionsRequest, RoleDto};
use yolk_core::roles::{RoleQuery, RoleSort};
use yolk_domain::TenantId;
use yolk_domain::fe_permissions::{ReadRoles, WriteRoles};

use crate::convert::role_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, TenantScope};
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// `/resources/roles/v2...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/roles/v2", get(list_roles_v2).post(create_role_v2))
        .route("/resources/roles/v2/distinct-levels", get(get_distinct_levels))
        .route("/resources/roles/v2/distinct-tenants", get(get_distinct_tenants))
}

/// `GET /resources/roles/v2`.
pub struct RolesList;

impl ListRoute for RolesList {
    /// The spec's maximum for this route.
    const MAX_LIMIT: u64 = 2000;
    type Sort = RoleSort;
    const SORTS: &'static [(&'static str, RoleSort)] = &[
        ("key", RoleSort::Key),
        ("name", RoleSort::Name),
        ("description", RoleSort::Description),
        ("isDefault", RoleSort::IsDefault),
        ("firstUserRole", RoleSort::FirstUserRole),
        ("level", RoleSort::Level),
        ("updatedAt", RoleSort::UpdatedAt),
        ("createdAt", RoleSort::CreatedAt),
        ("permissions", RoleSort::Permissions),
        ("userTenants", RoleSort::UserTenants),
        ("groups", RoleSort::Groups),
    ];
}

/// A page of the roles in scope. Filters: `_filter` (key, name or description), `_levels`, `_tenantIds` (only
/// roles owned by those tenants). An environment token without a tenant sees every role.
async fn list_roles_v2(
    scope: TenantScope,
    State(state): State<AppState>,
    list: ApiList<RolesList>,
) -> ApiResult<Json<Page<RoleDto>>> {
    let permit = scope.require::<ReadRoles>()?;
    let levels = list
        .values("_levels")?
        .map(|vs| vs.iter().map(|v| v.parse::<i64>()).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map_err(|_| crate::error::ApiError::BadRequest("_levels must be integers".into()))?;
    let query = RoleQuery {
        filter: list.text("_filter").map(str::to_owned),
        levels,
        tenant_ids: list.parsed::<TenantId>("_tenantIds")?,
        sort: list.sort,
        descending: list.descending,
        page: list.page_request(),
    };
    let (roles, total) = state.services.roles.page(&permit, &query).await?;
    let items = roles.iter().map(|r| role_dto(r, &state.client_id)).collect();
    Ok(Json(list.render(items, total)))
}

/// Creates a role owned by the tenant in scope, at the level of `baseRoleId`, with `permissionIds` plus every
/// permission classified `ALWAYS` (never one classified `NEVER`).
async fn create_role_v2(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AddRoleWithPermissionsRequest>,
) -> ApiResult<Json<RoleDto>> {
    let permit = scope.require::<WriteRoles>()?;
    let role = state.services.roles.create_for_tenant(&permit, body).await?;
    Ok(Json(role_dto(&role, &state.client_id)))
}

/// The distinct levels of the roles in scope, ascending.
async fn get_distinct_levels(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<i64>>> {
    let permit = scope.require::<ReadRoles>()?;
    Ok(Json(state.services.roles.distinct_levels(&permit).await?))
}

/// The distinct tenants owning roles in scope (a tenant sees at most itself), sorted.
async fn get_distinct_tenants(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantId>>> {
    let permit = scope.require::<ReadRoles>()?;
    Ok(Json(state.services.roles.distinct_tenants(&permit).await?))
}
