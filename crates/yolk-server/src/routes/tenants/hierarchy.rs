//! tenants.json tag Sub-accounts and hierarchy: reading an account's sub-accounts, parents and tree (environment
//! token with `frontegg-tenant-id`, or a user token with `fe.account-hierarchy.read.subAccount` for its own
//! tenant), and linking or unlinking existing tenants (environment token only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::tenants::{HierarchyLinkRequest, TenantDto, TenantTreeDto};
use yolk_domain::TenantId;
use yolk_domain::fe_permissions::ReadSubAccounts;

use crate::convert::{tenant_dto, tree_dto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantScope, VendorAuth};
use crate::state::AppState;

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

/// Every sub-account below the account (all levels), by creation time.
async fn get_sub_tenants(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let permit = scope.require::<ReadSubAccounts>()?;
    let below = state.services.tenants.sub_tenants(&permit).await?;
    Ok(Json(below.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// The accounts above the account, nearest first (parent, grandparent, ...).
async fn get_parent_tenants(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let permit = scope.require::<ReadSubAccounts>()?;
    let above = state.services.tenants.parent_tenants(&permit).await?;
    Ok(Json(above.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// The account and its sub-accounts as `{tenantId, name, children:[...]}`; 400 if the stored hierarchy loops.
async fn get_sub_tenants_tree(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<TenantTreeDto>> {
    let permit = scope.require::<ReadSubAccounts>()?;
    Ok(Json(tree_dto(&state.services.tenants.tree(&permit).await?)))
}

fn link(body: HierarchyLinkRequest) -> ApiResult<(TenantId, TenantId)> {
    let parent = body.parent_tenant_id.ok_or_else(|| ApiError::BadRequest("parentTenantId is required".into()))?;
    let child = body.child_tenant_id.ok_or_else(|| ApiError::BadRequest("childTenantId is required".into()))?;
    Ok((parent, child))
}

/// Places an existing tenant (`childTenantId`) under another (`parentTenantId`). Answers the child, 201.
async fn create_sub_tenant_link(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HierarchyLinkRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let (parent, child) = link(body)?;
    let updated = state.services.tenants.link(&env, &parent, &child).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&updated, &state.client_id))))
}

/// Detaches `childTenantId` from `parentTenantId` (it becomes a root account). 200 with an empty body.
async fn delete_sub_tenant_link(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HierarchyLinkRequest>,
) -> ApiResult<StatusCode> {
    let (parent, child) = link(body)?;
    state.services.tenants.unlink(&env, &parent, &child).await?;
    Ok(StatusCode::OK)
}
