//! tenants.json tag Accounts, v2 routes: the paginated listing, lookups by id and alias, and updates (the alias
//! is set here). Management routes: environment token only.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::page::Page;
use yolk_api_types::tenants::{TenantDto, UpdateTenantRequest};
use yolk_domain::TenantId;
use yolk_store::tenants::{TenantQuery, TenantSort};

use crate::convert::tenant_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, VendorAuth};
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// Accounts v2 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/tenants/v2", get(list_tenants_v2))
        .route("/resources/tenants/v2/alias/{alias}", get(get_tenant_by_alias_v2))
        .route("/resources/tenants/v2/{tenantId}", get(get_tenant_v2).put(update_tenant_v2))
}

/// `GET /resources/tenants/v2`.
pub struct TenantsList;

impl ListRoute for TenantsList {
    type Sort = TenantSort;
    const SORTS: &'static [(&'static str, TenantSort)] =
        &[("createdAt", TenantSort::CreatedAt), ("name", TenantSort::Name), ("tenantId", TenantSort::TenantId)];
}

/// A page of tenants (see `crate::list` for paging). Filters: `_filter` (name or tenant id substring,
/// case-insensitive) and `_tenantIds`.
async fn list_tenants_v2(
    env: VendorAuth,
    State(state): State<AppState>,
    list: ApiList<TenantsList>,
) -> ApiResult<Json<Page<TenantDto>>> {
    let query = TenantQuery {
        filter: list.text("_filter").map(str::to_owned),
        tenant_ids: list.parsed::<TenantId>("_tenantIds")?,
        sort: list.sort,
        descending: list.descending,
        page: Some(list.page_request()),
    };
    let (tenants, total) = state.services.tenants.list(&env, &query).await?;
    let items = tenants.iter().map(|t| tenant_dto(t, &state.client_id)).collect();
    Ok(Json(list.render(items, total)))
}

/// The tenant as an object; an unknown tenant answers 200 with an empty array, as Frontegg documents ("If the
/// account (tenant) cannot be found, an empty array is returned").
async fn get_tenant_v2(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
) -> ApiResult<Response> {
    Ok(match state.services.tenants.find(&env, &id).await? {
        Some(t) => Json(tenant_dto(&t, &state.client_id)).into_response(),
        None => Json(Vec::<TenantDto>::new()).into_response(),
    })
}

/// The tenant whose login alias is `alias`; 404 when none.
async fn get_tenant_by_alias_v2(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(alias): ApiPath<String>,
) -> ApiResult<Json<TenantDto>> {
    let tenant = state.services.tenants.by_alias(&env, &alias).await?;
    Ok(Json(tenant_dto(&tenant, &state.client_id)))
}

/// Partial update, as v1, including `alias` (unique: 409 when another tenant holds it; `null` clears it).
async fn update_tenant_v2(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<UpdateTenantRequest>,
) -> ApiResult<Json<TenantDto>> {
    let updated = state.services.tenants.update(&env, &id, body).await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}
