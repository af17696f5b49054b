//! tenants.json tag Accounts, v2 routes: the paginated listing, lookups by id and alias, and updates (the alias
//! is set here). Management routes: environment token only.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::tenants::{PageMetadataDto, TenantDto, TenantsPageDto, UpdateTenantRequest};
use yolk_store::StoreError;
use yolk_store::tenants::{TenantQuery, TenantSort};

use super::accounts::apply_update;
use crate::convert::tenant_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, VendorAuth};
use crate::state::AppState;

/// Page size when `_limit` is absent.
const DEFAULT_LIMIT: u64 = 50;
/// Largest accepted `_limit`.
const MAX_LIMIT: u64 = 200;

/// Accounts v2 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/tenants/v2", get(list_tenants_v2))
        .route("/resources/tenants/v2/alias/{alias}", get(get_tenant_by_alias_v2))
        .route("/resources/tenants/v2/{tenantId}", get(get_tenant_v2).put(update_tenant_v2))
}

/// `_limit` (1 to 200, default 50), `_offset` (a PAGE INDEX, as Frontegg's own listing treats it), `_filter`
/// (name or tenant id substring, case-insensitive), `_sortBy` (`createdAt`, `name`, `tenantId`), `_order`
/// (`ASC`/`DESC`) and `_tenantIds` (repeated or comma-separated). Answers `{items, _metadata:{totalItems,
/// totalPages}}`.
async fn list_tenants_v2(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<Json<TenantsPageDto>> {
    let (query, limit) = parse_list_query(&params)?;
    let (tenants, total) = state.store.list_tenants(&query).await?;
    Ok(Json(TenantsPageDto {
        items: tenants.iter().map(|t| tenant_dto(t, &state.client_id)).collect(),
        metadata: PageMetadataDto { total_items: total, total_pages: total.div_ceil(limit) },
    }))
}

fn parse_list_query(params: &[(String, String)]) -> ApiResult<(TenantQuery, u64)> {
    let number = |name: &str, v: &str| {
        v.trim().parse::<u64>().map_err(|_| ApiError::BadRequest(format!("{name} must be a non-negative integer")))
    };
    let mut query = TenantQuery::default();
    let mut limit = DEFAULT_LIMIT;
    let mut page = 0;
    let mut ids: Option<Vec<String>> = None;
    for (k, v) in params {
        match k.as_str() {
            "_limit" => limit = number(k, v)?,
            "_offset" => page = number(k, v)?,
            "_filter" => query.filter = Some(v.clone()).filter(|f| !f.is_empty()),
            "_sortBy" => {
                query.sort = match v.as_str() {
                    "createdAt" => TenantSort::CreatedAt,
                    "name" => TenantSort::Name,
                    "tenantId" => TenantSort::TenantId,
                    _ => return Err(ApiError::BadRequest("_sortBy must be one of createdAt, name, tenantId".into())),
                }
            }
            "_order" => {
                query.descending = match v.to_ascii_uppercase().as_str() {
                    "ASC" => false,
                    "DESC" => true,
                    _ => return Err(ApiError::BadRequest("_order must be ASC or DESC".into())),
                }
            }
            "_tenantIds" | "_tenantIds[]" => ids
                .get_or_insert_with(Vec::new)
                .extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)),
            _ => {}
        }
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!("_limit must be between 1 and {MAX_LIMIT}")));
    }
    query.limit = Some(limit);
    query.offset = page.checked_mul(limit).ok_or_else(|| ApiError::BadRequest("_offset is out of range".into()))?;
    query.tenant_ids = ids;
    Ok((query, limit))
}

/// The tenant as an object; an unknown tenant answers 200 with an empty array, as Frontegg documents ("If the
/// account (tenant) cannot be found, an empty array is returned").
async fn get_tenant_v2(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
) -> ApiResult<Response> {
    match state.store.get_tenant(&tenant_id).await {
        Ok(t) => Ok(Json(tenant_dto(&t, &state.client_id)).into_response()),
        Err(StoreError::NotFound(_)) => Ok(Json(Vec::<TenantDto>::new()).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// The tenant whose login alias is `alias`; 404 when none.
async fn get_tenant_by_alias_v2(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(alias): ApiPath<String>,
) -> ApiResult<Json<TenantDto>> {
    let tenant = state.store.get_tenant_by_alias(&alias).await?;
    Ok(Json(tenant_dto(&tenant, &state.client_id)))
}

/// Partial update, as v1, including `alias` (unique: 409 when another tenant holds it; `null` clears it).
async fn update_tenant_v2(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateTenantRequest>,
) -> ApiResult<Json<TenantDto>> {
    let updated = apply_update(&state, &tenant_id, body).await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}
