//! tenants.json tag Accounts, v1 routes: create, read, update and delete tenants and their metadata.
//!
//! Management routes (environment token only), except `DELETE /resources/tenants/v1`, which deletes the caller's
//! own tenant. Frontegg quirks kept on purpose: `GET .../v1/{tenantId}` answers an array (empty when unknown),
//! `metadata` is a JSON-encoded string, and deletes answer 200 with an empty body.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use yolk_api_types::tenants::{AddTenantMetadataRequest, CreateTenantRequest, TenantDto, UpdateTenantRequest};
use yolk_domain::TenantId;
use yolk_domain::fe_permissions::DeleteAccount;

use crate::convert::tenant_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope, VendorAuth};
use crate::state::AppState;

/// Accounts v1 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/tenants/v1", get(list_tenants).post(create_tenant).delete(delete_current_tenant))
        .route("/resources/tenants/v1/{tenantId}", get(get_tenant).put(update_tenant).delete(delete_tenant))
        .route("/resources/tenants/v1/{tenantId}/metadata", post(add_tenant_metadata))
        .route("/resources/tenants/v1/{tenantId}/metadata/{key}", delete(delete_tenant_metadata))
}

/// Every tenant, ordered by tenant id. Not in the public OpenAPI, but Frontegg serves it and clients list tenants
/// with it (expecting an array).
async fn list_tenants(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let tenants = state.services.tenants.list_all(&env).await?;
    Ok(Json(tenants.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// Creates a tenant: `tenantId` as chosen by the client or a generated UUID; `name` required; an optional
/// existing `parentTenantId`. 409 when the tenant id is taken.
async fn create_tenant(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateTenantRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let created = state.services.tenants.create(&env, body).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&created, &state.client_id))))
}

/// The tenant as a one-element array, or an empty array when unknown (clients pop the array).
async fn get_tenant(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
) -> ApiResult<Json<Vec<TenantDto>>> {
    let found = state.services.tenants.find(&env, &id).await?;
    Ok(Json(found.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// Partial update: present fields change, `null` clears, absent ones keep. 400 when no known field is sent,
/// 409 when the alias is taken, 404 for an unknown tenant.
async fn update_tenant(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<UpdateTenantRequest>,
) -> ApiResult<Json<TenantDto>> {
    let updated = state.services.tenants.update(&env, &id, body).await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}

/// Deletes a tenant and the users that belonged only to it; its sub-accounts move up to its parent. 200 with an
/// empty body; 404 for an unknown tenant.
async fn delete_tenant(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
) -> ApiResult<StatusCode> {
    state.services.tenants.delete(&env, &id).await?;
    Ok(StatusCode::OK)
}

/// Deletes the caller's own tenant (the user token's, or `frontegg-tenant-id` with an environment token), as
/// [`delete_tenant`] does. A member needs `fe.account-settings.delete.account`.
async fn delete_current_tenant(scope: TenantScope, State(state): State<AppState>) -> ApiResult<StatusCode> {
    let permit = scope.require::<DeleteAccount>()?;
    state.services.tenants.delete_own(&permit).await?;
    Ok(StatusCode::OK)
}

/// Merges `metadata` keys into the tenant's metadata (existing keys are overwritten) and returns the tenant.
async fn add_tenant_metadata(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<AddTenantMetadataRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let updated = state.services.tenants.add_metadata(&env, &id, body.metadata.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&updated, &state.client_id))))
}

/// Removes one metadata key (absent keys are fine) and returns the tenant.
async fn delete_tenant_metadata(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath((id, key)): ApiPath<(TenantId, String)>,
) -> ApiResult<Json<TenantDto>> {
    let updated = state.services.tenants.remove_metadata(&env, &id, key).await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}
