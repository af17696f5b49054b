//! tenants.json tag Sub-accounts: creating, configuring and deleting sub-accounts. The environment may act on any
//! tenant; a member acts only below its own tenant (see `yolk_core::tenants`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, post, put};
use axum::{Json, Router};
use serde_json::Value;
use yolk_api_types::tenants::{CreateTenantRequest, HierarchySettingsDto, SubTenantManagementRequest, TenantDto};
use yolk_domain::TenantId;
use yolk_domain::fe_permissions::{DeleteSubAccounts, WriteSubAccounts};

use crate::convert::{hierarchy_settings_dto, tenant_dto};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope};
use crate::state::AppState;

/// Sub-accounts routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/sub-tenants/v1", post(create_sub_tenant))
        .route("/resources/sub-tenants/v1/{tenantId}", delete(delete_sub_tenant))
        .route("/resources/sub-tenants/v1/{tenantId}/management", put(update_sub_tenant_management))
        .route("/resources/sub-tenants/v1/{tenantId}/hierarchy-settings", put(update_sub_tenant_hierarchy_settings))
}

/// Creates a tenant under `parentTenantId` (`tenantId`, `name` and `parentTenantId` required).
async fn create_sub_tenant(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateTenantRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    let permit = scope.require::<WriteSubAccounts>()?;
    let created = state.services.tenants.create_sub_tenant(&permit, body).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&created, &state.client_id))))
}

/// Turns sub-account management (`isReseller`) on or off for a sub-account.
async fn update_sub_tenant_management(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<SubTenantManagementRequest>,
) -> ApiResult<Json<TenantDto>> {
    let permit = scope.require::<WriteSubAccounts>()?;
    let updated = state.services.tenants.set_sub_tenant_management(&permit, &id, body.is_reseller).await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}

/// Sets how the account's users reach its sub-accounts (`subAccountAccessType`: `defaultOff`, `defaultOn` or
/// `alwaysOn`).
async fn update_sub_tenant_hierarchy_settings(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<HierarchySettingsDto>> {
    let permit = scope.require::<WriteSubAccounts>()?;
    let stored = state.services.tenants.set_hierarchy_settings(&permit, &id, body).await?;
    Ok(Json(hierarchy_settings_dto(&id, stored.doc)))
}

/// Deletes a sub-account like account deletion does (its own sub-accounts move up). 200 with an empty body.
async fn delete_sub_tenant(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TenantId>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<DeleteSubAccounts>()?;
    state.services.tenants.delete_sub_tenant(&permit, &id).await?;
    Ok(StatusCode::OK)
}
