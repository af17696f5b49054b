//! tenants.json tag Accounts, v1 routes: create, read, update and delete tenants and their metadata.
//!
//! Management routes (environment token only), except `DELETE /resources/tenants/v1`, which deletes the caller's
//! own tenant. Frontegg quirks kept on purpose: `GET .../v1/{tenantId}` answers an array (empty when unknown),
//! `metadata` is a JSON-encoded string, and deletes answer 200 with an empty body.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::Value;
use yolk_api_types::tenants::{AddTenantMetadataRequest, CreateTenantRequest, TenantDto, UpdateTenantRequest};
use yolk_store::StoreError;
use yolk_store::tenants::{TenantQuery, TenantSort};

use super::input::{self, TenantChanges};
use crate::convert::tenant_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope, VendorAuth};
use crate::state::AppState;

/// Permission a user needs to delete its own tenant.
const DELETE_ACCOUNT: &str = "fe.account-settings.delete.account";

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
async fn list_tenants(_: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<TenantDto>>> {
    let query = TenantQuery { sort: TenantSort::TenantId, ..TenantQuery::default() };
    let (tenants, _) = state.store.list_tenants(&query).await?;
    Ok(Json(tenants.iter().map(|t| tenant_dto(t, &state.client_id)).collect()))
}

/// Creates a tenant: `tenantId` as chosen by the client (any non-empty string) or a generated UUID; `name`
/// required; an optional existing `parentTenantId`. 409 when the tenant id is taken.
async fn create_tenant(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateTenantRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let parent = body.parent_tenant_id.as_deref().map(|p| input::tenant_id(p, "parentTenantId")).transpose()?;
    let tenant = input::new_tenant(&body, parent, state.clock.now())?;
    let created = state.store.create_tenant(&tenant).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&created, &state.client_id))))
}

/// The tenant as a one-element array, or an empty array when unknown (clients pop the array).
async fn get_tenant(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
) -> ApiResult<Json<Vec<TenantDto>>> {
    match state.store.get_tenant(&tenant_id).await {
        Ok(t) => Ok(Json(vec![tenant_dto(&t, &state.client_id)])),
        Err(StoreError::NotFound(_)) => Ok(Json(Vec::new())),
        Err(e) => Err(e.into()),
    }
}

/// Partial update: present fields change, `null` clears, absent ones keep. 400 when no known field is sent,
/// 409 when the alias is taken, 404 for an unknown tenant.
async fn update_tenant(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateTenantRequest>,
) -> ApiResult<Json<TenantDto>> {
    let updated = apply_update(&state, &tenant_id, body).await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}

/// Validates and applies a tenant update (shared by v1 and v2).
pub(super) async fn apply_update(
    state: &AppState,
    tenant_id: &str,
    body: UpdateTenantRequest,
) -> ApiResult<yolk_domain::Tenant> {
    let changes = TenantChanges::parse(body)?;
    let now = state.clock.now();
    let updated = state
        .store
        .update_tenant(
            tenant_id,
            Box::new(move |t| {
                changes.apply(t).map_err(|e| e.to_string())?;
                t.updated_at = now;
                Ok(())
            }),
        )
        .await?;
    Ok(updated)
}

/// Deletes a tenant and the users that belonged only to it; its sub-accounts move up to its parent (Frontegg's
/// documented behaviour for account deletion). 200 with an empty body; 404 for an unknown tenant.
async fn delete_tenant(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
) -> ApiResult<Response> {
    state.store.delete_tenant(&tenant_id).await?;
    Ok(StatusCode::OK.into_response())
}

/// Deletes the caller's own tenant (the user token's, or `frontegg-tenant-id` with an environment token), as
/// [`delete_tenant`] does. A user needs `fe.account-settings.delete.account`.
async fn delete_current_tenant(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Response> {
    scope.require(DELETE_ACCOUNT)?;
    state.store.delete_tenant(scope.tenant()?).await?;
    Ok(StatusCode::OK.into_response())
}

/// Merges `metadata` keys into the tenant's metadata (existing keys are overwritten) and returns the tenant.
async fn add_tenant_metadata(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
    ApiJson(body): ApiJson<AddTenantMetadataRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let additions = input::metadata_object(body.metadata.as_ref())?;
    let now = state.clock.now();
    let updated = state
        .store
        .update_tenant(
            &tenant_id,
            Box::new(move |t| {
                let mut merged = input::stored_metadata_object(t);
                merged.extend(additions);
                t.metadata = Some(Value::Object(merged).to_string());
                t.updated_at = now;
                Ok(())
            }),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&updated, &state.client_id))))
}

/// Removes one metadata key (absent keys are fine) and returns the tenant.
async fn delete_tenant_metadata(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath((tenant_id, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<TenantDto>> {
    let now = state.clock.now();
    let updated = state
        .store
        .update_tenant(
            &tenant_id,
            Box::new(move |t| {
                let mut metadata = input::stored_metadata_object(t);
                if metadata.remove(&key).is_some() {
                    t.metadata = Some(Value::Object(metadata).to_string());
                    t.updated_at = now;
                }
                Ok(())
            }),
        )
        .await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}
