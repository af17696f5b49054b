//! scim.json, SCIM configurations: a tenant's provisioning connections (environment only: Frontegg documents these
//! as vendor endpoints). The rules are `yolk_core::scim`'s.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use yolk_api_types::scim::{
    CreateScimConnectionRequest, DeleteScimConnectionRequest, PatchScimConnectionRequest, ScimConnectionCreatedDto,
    ScimConnectionDto, ScimUsersCountDto,
};
use yolk_domain::TenantId;
use yolk_store::scim::ScimConnectionQuery;

use crate::convert::scim::connection_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, PathParam, TenantHeader, VendorAuth};
use crate::state::AppState;

/// SCIM configuration routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/v1/configurations/scim2", get(get_scim_configurations).post(create_scim_configuration))
        .route(
            "/resources/v1/configurations/scim2/{id}",
            get(get_scim_configuration).patch(update_scim_configuration).delete(delete_scim_configuration),
        )
        .route("/resources/scim/temp/{id}/Users/count", get(get_scim_users_count))
}

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionFilters {
    tenant_id: Option<String>,
    source: Option<String>,
    connection_name: Option<String>,
    id: Option<String>,
}

/// `deleteAll` as a query parameter.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteQuery {
    delete_all: Option<bool>,
}

/// `GET /resources/v1/configurations/scim2`: the environment's connections (filtered; the header's tenant narrows).
pub async fn get_scim_configurations(
    State(state): State<AppState>,
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    ApiQuery(f): ApiQuery<ConnectionFilters>,
) -> ApiResult<Json<Vec<ScimConnectionDto>>> {
    let query = ScimConnectionQuery {
        tenant_id: f.tenant_id.as_deref().map(|t| <TenantId as PathParam>::parse("tenantId", t)).transpose()?,
        source: f.source,
        connection_name: f.connection_name,
        id: f.id,
    };
    let list = state.services.scim().list_connections(&env, tenant.as_ref(), query).await?;
    Ok(Json(list.iter().map(connection_dto).collect()))
}

/// `POST /resources/v1/configurations/scim2`: 201 with the bearer token, shown this once.
pub async fn create_scim_configuration(
    State(state): State<AppState>,
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    ApiJson(body): ApiJson<CreateScimConnectionRequest>,
) -> ApiResult<(StatusCode, Json<ScimConnectionCreatedDto>)> {
    let (c, token) = state.services.scim().create_connection(&env, tenant.as_ref(), body).await?;
    Ok((StatusCode::CREATED, Json(ScimConnectionCreatedDto { id: c.id, connection_name: c.connection_name, token })))
}

/// `GET /resources/v1/configurations/scim2/{id}` (never the token).
pub async fn get_scim_configuration(
    State(state): State<AppState>,
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ScimConnectionDto>> {
    let c = state.services.scim().connection(&env, tenant.as_ref(), &id).await?;
    Ok(Json(connection_dto(&c)))
}

/// `PATCH /resources/v1/configurations/scim2/{id}`: `{syncToUserManagement}` → 204.
pub async fn update_scim_configuration(
    State(state): State<AppState>,
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PatchScimConnectionRequest>,
) -> ApiResult<StatusCode> {
    state.services.scim().set_sync(&env, tenant.as_ref(), &id, body.sync_to_user_management).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /resources/v1/configurations/scim2/{id}` → 204; `deleteAll` (query or body) also removes the members it
/// provisioned.
pub async fn delete_scim_configuration(
    State(state): State<AppState>,
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        DeleteScimConnectionRequest::default()
    } else {
        serde_json::from_slice::<DeleteScimConnectionRequest>(&body)
            .map_err(|e| ApiError::BadRequest(format!("Invalid body: {e}")))?
    };
    let delete_all = q.delete_all.or(from_body.delete_all).unwrap_or(false);
    state.services.scim().delete_connection(&env, tenant.as_ref(), &id, delete_all).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /resources/scim/temp/{id}/Users/count` (SDK): `{count}`.
pub async fn get_scim_users_count(
    State(state): State<AppState>,
    env: VendorAuth,
    TenantHeader(tenant): TenantHeader,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ScimUsersCountDto>> {
    let count = state.services.scim().users_count(&env, tenant.as_ref(), &id).await?;
    Ok(Json(ScimUsersCountDto { count }))
}
