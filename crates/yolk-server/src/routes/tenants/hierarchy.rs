//! tenants.json tag Sub-accounts and hierarchy: reading an account's sub-accounts, parents and tree (environment
//! token with `frontegg-tenant-id`, or a user token with `fe.account-hierarchy.read.subAccount` for its own
//! tenant), and linking or unlinking existing tenants (environment token only).
//!
//! The hierarchy is a forest: linking a tenant under itself or under one of its own sub-accounts is a 400.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::tenants::{HierarchyLinkRequest, TenantDto, TenantTreeDto};
use yolk_domain::Tenant;

use super::input;
use crate::convert::tenant_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantScope, VendorAuth};
use crate::state::AppState;

/// Permission a user needs to read the hierarchy.
const READ: &str = "fe.account-hierarchy.read.subAccount";

/// Hierarchy routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/resources/hierarchy/v1",
            get(get_sub_tenants).post(create_sub_tenant_link).delete(delete_sub_tenant_link),
        )
        .route("/resources/hierarchy/v1/parents", get(get_parent_tenants))
        .route("/resources/hierarchy/v1/tree", get(get_sub_tenants_tree))
}

/// The account in scope, after the permission check; 404 when it does not exist.
async fn scoped_tenant(state: &AppState, scope: &TenantScope) -> ApiResult<Tenant> {
    scope.require(READ)?;
    Ok(state.store.get_tenant(scope.tenant()?).await?)
}

/// Every sub-account below the account (all levels), by creation time.
async fn get_sub_tenants(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let tenant = scoped_tenant(&state, &scope).await?;
    let below = state.store.descendant_tenants(&tenant.tenant_id).await?;
    Ok(Json(below.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// The accounts above the account, nearest first (parent, grandparent, ...).
async fn get_parent_tenants(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let tenant = scoped_tenant(&state, &scope).await?;
    let above = state.store.ancestor_tenants(&tenant.tenant_id).await?;
    Ok(Json(above.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// The account and its sub-accounts as `{tenantId, name, children:[...]}`; 400 if the stored hierarchy loops.
async fn get_sub_tenants_tree(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<TenantTreeDto>> {
    let root = scoped_tenant(&state, &scope).await?;
    let below = state.store.descendant_tenants(&root.tenant_id).await?;
    let mut children: HashMap<&str, Vec<&Tenant>> = HashMap::new();
    for t in std::iter::once(&root).chain(&below) {
        if let Some(p) = t.parent_tenant_id.as_deref() {
            children.entry(p).or_default().push(t);
        }
    }
    let mut seen = HashSet::new();
    Ok(Json(tree(&root, &children, &mut seen)?))
}

fn tree<'a>(
    t: &'a Tenant,
    children: &HashMap<&str, Vec<&'a Tenant>>,
    seen: &mut HashSet<&'a str>,
) -> ApiResult<TenantTreeDto> {
    if !seen.insert(&t.tenant_id) {
        return Err(ApiError::BadRequest("Circular dependency detected in the hierarchy".into()));
    }
    let kids = children.get(t.tenant_id.as_str()).map(Vec::as_slice).unwrap_or_default();
    Ok(TenantTreeDto {
        tenant_id: t.tenant_id.clone(),
        name: t.name.clone(),
        children: kids.iter().map(|c| tree(c, children, seen)).collect::<ApiResult<_>>()?,
    })
}

fn link(body: &HierarchyLinkRequest) -> ApiResult<(String, String)> {
    let parent = input::required_tenant_id(body.parent_tenant_id.as_deref(), "parentTenantId")?;
    let child = input::required_tenant_id(body.child_tenant_id.as_deref(), "childTenantId")?;
    Ok((parent, child))
}

/// Places an existing tenant (`childTenantId`) under another (`parentTenantId`). 400 when they are equal, when
/// the child already has another parent, or when the parent is below the child (a cycle); 404 when either is
/// unknown. Linking a child to the parent it already has is a no-op. Answers the child.
async fn create_sub_tenant_link(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HierarchyLinkRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let (parent, child) = link(&body)?;
    if parent == child {
        return Err(ApiError::BadRequest("parentTenantId and childTenantId must differ".into()));
    }
    let current = state.store.get_tenant(&child).await?;
    state.store.get_tenant(&parent).await?;
    match current.parent_tenant_id.as_deref() {
        Some(p) if p == parent => return Ok((StatusCode::CREATED, Json(tenant_dto(&current, &state.client_id)))),
        Some(_) => {
            return Err(ApiError::BadRequest("The child tenant is already a sub-account of another tenant".into()));
        }
        None => {}
    }
    let updated = state.store.set_tenant_parent(&child, Some(&parent)).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&updated, &state.client_id))))
}

/// Detaches `childTenantId` from `parentTenantId` (it becomes a root account). 404 when the two are not parent
/// and child. 200 with an empty body.
async fn delete_sub_tenant_link(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HierarchyLinkRequest>,
) -> ApiResult<Response> {
    let (parent, child) = link(&body)?;
    let not_related = || ApiError::NotFound("The tenants are not in a parent-child relation".into());
    let current = match state.store.get_tenant(&child).await {
        Ok(t) => t,
        Err(yolk_store::StoreError::NotFound(_)) => return Err(not_related()),
        Err(e) => return Err(e.into()),
    };
    if current.parent_tenant_id.as_deref() != Some(parent.as_str()) {
        return Err(not_related());
    }
    state.store.set_tenant_parent(&child, None).await?;
    Ok(StatusCode::OK.into_response())
}
