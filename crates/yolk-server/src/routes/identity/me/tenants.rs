//! The caller's tenants: as a list, with the active one, and as a hierarchy.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use yolk_api_types::me::{MeHierarchyDto, MeTenantNodeDto, MeTenantsDto};
use yolk_api_types::tenants::TenantDto;
use yolk_domain::{Membership, Tenant, User};
use yolk_store::StoreError;

use super::load;
use crate::convert::tenant_dto;
use crate::error::ApiResult;
use crate::extract::UserContext;
use crate::state::AppState;

/// How far up the parent chain the hierarchy looks for another of the caller's tenants (guards against cycles).
const MAX_DEPTH: usize = 32;

/// `GET /users/v1/me/tenants` and `/users/v3/me/tenants`: `{tenants, activeTenant}`.
pub(super) async fn tenants_with_active(
    State(state): State<AppState>,
    ctx: UserContext,
) -> ApiResult<Json<MeTenantsDto>> {
    let (user, memberships) = load(&state, &ctx).await?;
    let tenants = member_tenants(&state, &memberships).await?;
    let active_tenant = active(&ctx, &user, &memberships, &tenants).map(|t| item(t, &state.client_id));
    let tenants = tenants.iter().map(|t| item(t, &state.client_id)).collect();
    Ok(Json(MeTenantsDto { tenants, active_tenant }))
}

/// `GET /users/v2/me/tenants`: the caller's tenants as an array.
pub(super) async fn tenants_list(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<Vec<TenantDto>>> {
    let (_, memberships) = load(&state, &ctx).await?;
    let tenants = member_tenants(&state, &memberships).await?;
    Ok(Json(tenants.iter().map(|t| item(t, &state.client_id)).collect()))
}

/// `GET /users/v2/me/hierarchy`: the caller's tenants as a forest. A tenant below another of the caller's tenants
/// (at any depth) is nested under the nearest one instead of listed at the top.
pub(super) async fn hierarchy(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeHierarchyDto>> {
    let (user, memberships) = load(&state, &ctx).await?;
    let tenants = member_tenants(&state, &memberships).await?;
    let active_tenant = active(&ctx, &user, &memberships, &tenants).map(|t| item(t, &state.client_id));
    let mine: HashSet<&str> = tenants.iter().map(|t| t.tenant_id.as_str()).collect();
    let mut known: HashMap<String, Option<String>> =
        tenants.iter().map(|t| (t.tenant_id.clone(), t.parent_tenant_id.clone())).collect();
    let mut parent_of: HashMap<&str, String> = HashMap::new();
    for t in &tenants {
        if let Some(p) = nearest_member_ancestor(&state, t, &mine, &mut known).await? {
            parent_of.insert(t.tenant_id.as_str(), p);
        }
    }
    let roots = tenants
        .iter()
        .filter(|t| !parent_of.contains_key(t.tenant_id.as_str()))
        .map(|t| node(t, &tenants, &parent_of, &state.client_id, 0))
        .collect();
    Ok(Json(MeHierarchyDto { tenants: roots, active_tenant }))
}

/// The nearest ancestor of `t` that is one of the caller's tenants, walking parents (loading those that are not
/// the caller's as needed).
async fn nearest_member_ancestor(
    state: &AppState,
    t: &Tenant,
    mine: &HashSet<&str>,
    known: &mut HashMap<String, Option<String>>,
) -> ApiResult<Option<String>> {
    let mut seen = HashSet::from([t.tenant_id.clone()]);
    let mut next = t.parent_tenant_id.clone();
    while let Some(id) = next {
        if mine.contains(id.as_str()) {
            return Ok(Some(id));
        }
        if !seen.insert(id.clone()) || seen.len() > MAX_DEPTH {
            return Ok(None);
        }
        next = match known.get(&id) {
            Some(parent) => parent.clone(),
            None => {
                let parent = match state.store.get_tenant(&id).await {
                    Ok(p) => p.parent_tenant_id,
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                known.insert(id, parent.clone());
                parent
            }
        };
    }
    Ok(None)
}

fn node(
    t: &Tenant,
    all: &[Tenant],
    parent_of: &HashMap<&str, String>,
    vendor_id: &str,
    depth: usize,
) -> MeTenantNodeDto {
    let sub_tenants = if depth >= MAX_DEPTH {
        Vec::new()
    } else {
        all.iter()
            .filter(|c| parent_of.get(c.tenant_id.as_str()).is_some_and(|p| *p == t.tenant_id))
            .map(|c| node(c, all, parent_of, vendor_id, depth + 1))
            .collect()
    };
    MeTenantNodeDto { tenant: item(t, vendor_id), sub_tenants }
}

/// The tenants of the caller's enabled memberships, in membership order. A disabled membership cannot be
/// switched to, so it is not offered.
async fn member_tenants(state: &AppState, memberships: &[Membership]) -> ApiResult<Vec<Tenant>> {
    let mut tenants = Vec::new();
    for m in memberships.iter().filter(|m| !m.disabled) {
        match state.store.get_tenant(&m.tenant_id).await {
            Ok(t) => tenants.push(t),
            // Deleted since the memberships were read.
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(tenants)
}

/// The tenant the caller acts in, else the user's active tenant.
fn active<'a>(ctx: &UserContext, user: &User, memberships: &[Membership], tenants: &'a [Tenant]) -> Option<&'a Tenant> {
    let find = |id: &str| tenants.iter().find(|t| t.tenant_id == id);
    find(&ctx.tenant_id).or_else(|| yolk_core::auth::active_tenant(user, memberships).and_then(|id| find(&id)))
}

/// A tenant as the me endpoints list it: the tenant DTO with `metadata` always a string (iOS requires it).
fn item(t: &Tenant, vendor_id: &str) -> TenantDto {
    let mut dto = tenant_dto(t, vendor_id);
    if dto.metadata.is_none() {
        dto.metadata = Some("{}".into());
    }
    dto
}
