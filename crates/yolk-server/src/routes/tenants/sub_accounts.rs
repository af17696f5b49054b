//! tenants.json tag Sub-accounts: creating, configuring and deleting sub-accounts.
//!
//! The environment may act on any tenant. A user (self-service) needs the `fe.account-hierarchy.*` permission
//! of the operation, a tenant with sub-account management enabled, and acts only below its own tenant (see
//! [`super::access`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put};
use axum::{Json, Router};
use yolk_api_types::tenants::{
    CreateTenantRequest, HierarchySettingsDto, HierarchySettingsRequest, SubTenantManagementRequest, TenantDto,
};

use super::access::ensure_in_subtree;
use super::input;
use crate::convert::tenant_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, TenantScope};
use crate::state::AppState;

/// Permission a user needs to create or change sub-accounts.
pub(super) const WRITE: &str = "fe.account-hierarchy.write.subAccount";
/// Permission a user needs to delete sub-accounts.
const DELETE: &str = "fe.account-hierarchy.delete.subAccount";

/// Settings key of an account's hierarchy settings.
pub fn hierarchy_settings_key(tenant_id: &str) -> String {
    format!("hierarchy_settings:{tenant_id}")
}

/// Sub-accounts routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/sub-tenants/v1", post(create_sub_tenant))
        .route("/resources/sub-tenants/v1/{tenantId}", delete(delete_sub_tenant))
        .route("/resources/sub-tenants/v1/{tenantId}/management", put(update_sub_tenant_management))
        .route("/resources/sub-tenants/v1/{tenantId}/hierarchy-settings", put(update_sub_tenant_hierarchy_settings))
}

/// Creates a tenant under `parentTenantId` (`tenantId`, `name` and `parentTenantId` required). A user may
/// create it under its own tenant or any tenant below it. 404 for an unknown parent, 409 for a taken id.
async fn create_sub_tenant(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateTenantRequest>,
) -> ApiResult<(StatusCode, Json<TenantDto>)> {
    scope.require(WRITE)?;
    input::required_tenant_id(body.tenant_id.as_deref(), "tenantId")?;
    let parent = input::required_tenant_id(body.parent_tenant_id.as_deref(), "parentTenantId")?;
    let tenant = input::new_tenant(&body, Some(parent.clone()), state.clock.now())?;
    ensure_in_subtree(&state, &scope, &parent, true).await?;
    let created = state.store.create_tenant(&tenant).await?;
    Ok((StatusCode::CREATED, Json(tenant_dto(&created, &state.client_id))))
}

/// Turns sub-account management (`isReseller`) on or off for a sub-account. A user may do it only for tenants
/// strictly below its own (never to grant its own tenant the capability).
async fn update_sub_tenant_management(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
    ApiJson(body): ApiJson<SubTenantManagementRequest>,
) -> ApiResult<Json<TenantDto>> {
    scope.require(WRITE)?;
    let is_reseller = body.is_reseller.ok_or_else(|| ApiError::BadRequest("isReseller is required".into()))?;
    ensure_in_subtree(&state, &scope, &tenant_id, false).await?;
    let now = state.clock.now();
    let updated = state
        .store
        .update_tenant(
            &tenant_id,
            Box::new(move |t| {
                t.is_reseller = is_reseller;
                t.updated_at = now;
                Ok(())
            }),
        )
        .await?;
    Ok(Json(tenant_dto(&updated, &state.client_id)))
}

/// Sets how the account's users reach its sub-accounts (`subAccountAccessType`: `defaultOff`, `defaultOn` or
/// `alwaysOn`), kept as the settings document `hierarchy_settings:<tenantId>`. A user may set it for its own
/// tenant or any tenant below it.
async fn update_sub_tenant_hierarchy_settings(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
    ApiJson(body): ApiJson<HierarchySettingsRequest>,
) -> ApiResult<Json<HierarchySettingsDto>> {
    scope.require(WRITE)?;
    let access =
        body.sub_account_access_type.ok_or_else(|| ApiError::BadRequest("subAccountAccessType is required".into()))?;
    ensure_in_subtree(&state, &scope, &tenant_id, true).await?;
    state.store.get_tenant(&tenant_id).await?;
    let settings = HierarchySettingsDto { tenant_id: tenant_id.clone(), sub_account_access_type: access };
    let doc = serde_json::to_value(&settings).map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.put_setting(&hierarchy_settings_key(&tenant_id), &doc).await?;
    Ok(Json(settings))
}

/// Deletes a sub-account like account deletion does: the users that belonged only to it go, and its own
/// sub-accounts move up to its parent rather than being deleted with it (so nothing below is lost by one
/// call). A user may delete only tenants strictly below its own. 200 with an empty body.
async fn delete_sub_tenant(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(tenant_id): ApiPath<String>,
) -> ApiResult<Response> {
    scope.require(DELETE)?;
    ensure_in_subtree(&state, &scope, &tenant_id, false).await?;
    state.store.delete_tenant(&tenant_id).await?;
    Ok(StatusCode::OK.into_response())
}
