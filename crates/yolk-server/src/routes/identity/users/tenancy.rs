//! A user's tenants: removal (or deletion), joining, the active tenant, moving a whole tenant's users, and
//! enabling or disabling a membership.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;
use yolk_api_types::users::{MigrateUsersRequest, UserDto, UserTenantRequest};
use yolk_domain::{Tenant, TenantProfile};
use yolk_store::StoreError;

use super::common::{member_error, member_roles, render, require_tenant, user_id};
use super::{DELETE_USERS, ENABLE_DISABLE_USERS};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, TenantScope, VendorAuth};
use crate::state::AppState;

/// `DELETE /resources/users/v1/{userId}`: with a tenant in scope, removes the user from that tenant (its roles
/// and sessions there go too) and deletes the user when it was its last tenant; without one (environment only),
/// deletes the user with all its memberships and sessions. Empty 200.
pub async fn delete_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    scope.require(DELETE_USERS)?;
    let id = user_id(&id)?;
    match scope.tenant_id.as_deref() {
        Some(tenant) => {
            state.store.remove_from_tenant(id, tenant, state.clock.now()).await.map_err(member_error)?;
        }
        None => state.store.delete_user(id).await.map_err(member_error)?,
    }
    Ok(StatusCode::OK.into_response())
}

fn tenant_id(raw: &str) -> ApiResult<&str> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 255 {
        return Err(ApiError::BadRequest("tenantId is required".into()));
    }
    Ok(t)
}

/// `POST /resources/users/v1/{userId}/tenant`: adds a user to an existing tenant with `roleIds` (a yolk
/// extension; default roles when absent). 201 with the user in that tenant's context; 404 for an unknown user,
/// tenant or role; 409 if already a member.
pub async fn add_user_to_tenant(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UserTenantRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let id = user_id(&id)?;
    let tenant = tenant_id(&body.tenant_id)?;
    require_tenant(&state, tenant).await?;
    let roles = member_roles(&state, tenant, body.role_ids.as_deref()).await?;
    state.store.add_membership(id, tenant, &roles).await.map_err(member_error)?;
    Ok((StatusCode::CREATED, Json(render(&state, id, Some(tenant)).await?)))
}

/// `PUT /resources/users/v1/{userId}/tenant`: makes a tenant the user's active one (where its next login lands).
/// As the spec documents, a tenant that does not exist is created (named after its id) unless
/// `validateTenantExist` is true (then 404), and a user not yet a member joins it with the default roles.
pub async fn set_user_active_tenant(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UserTenantRequest>,
) -> ApiResult<Json<UserDto>> {
    let id = user_id(&id)?;
    let tenant = tenant_id(&body.tenant_id)?;
    state.store.get_user(id).await.map_err(member_error)?;
    let new_tenant = match state.store.get_tenant(tenant).await {
        Ok(_) => None,
        Err(StoreError::NotFound(_)) if body.validate_tenant_exist == Some(true) => {
            return Err(ApiError::NotFound("Tenant not found".into()));
        }
        Err(StoreError::NotFound(_)) => {
            let now = state.clock.now();
            Some(Tenant {
                id: Uuid::new_v4(),
                tenant_id: tenant.to_owned(),
                name: tenant.to_owned(),
                metadata: None,
                parent_tenant_id: None,
                alias: None,
                is_reseller: false,
                profile: TenantProfile::default(),
                created_at: now,
                updated_at: now,
            })
        }
        Err(e) => return Err(e.into()),
    };
    let roles = match &new_tenant {
        // A brand-new tenant has no roles of its own yet: the environment's defaults apply.
        Some(_) => member_roles(&state, tenant, None).await?,
        None => member_roles(&state, tenant, body.role_ids.as_deref()).await?,
    };
    state.store.set_active_tenant(id, tenant, new_tenant.as_ref(), &roles).await.map_err(member_error)?;
    Ok(Json(render(&state, id, Some(tenant)).await?))
}

/// `PUT /resources/users/v1/tenants/migrate`: moves every user of `srcTenantId` into `targetTenantId` in one
/// transaction (environment-wide roles kept, sessions in the source revoked). Empty 200; 404 for an unknown
/// tenant, 400 when both are the same.
pub async fn migrate_users_tenant(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiJson(body): ApiJson<MigrateUsersRequest>,
) -> ApiResult<Response> {
    let src = tenant_id(&body.src_tenant_id)?;
    let target = tenant_id(&body.target_tenant_id)?;
    if src == target {
        return Err(ApiError::BadRequest("srcTenantId and targetTenantId must differ".into()));
    }
    state.store.migrate_tenant_users(src, target, state.clock.now()).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::NotFound("Tenant not found".into()),
        other => other.into(),
    })?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /resources/tenants/users/v1/{userId}/disable`: the user stays a member of the tenant in scope but can
/// no longer log in to it; its sessions there are revoked. Empty 200; 404 for a non-member.
pub async fn disable_user_in_tenant(
    state: State<AppState>,
    scope: TenantScope,
    id: ApiPath<String>,
) -> ApiResult<Response> {
    set_disabled(state, scope, id, true).await
}

/// `POST /resources/tenants/users/v1/{userId}/enable`: lets a disabled member log in to the tenant again.
pub async fn enable_user_in_tenant(
    state: State<AppState>,
    scope: TenantScope,
    id: ApiPath<String>,
) -> ApiResult<Response> {
    set_disabled(state, scope, id, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<String>,
    disabled: bool,
) -> ApiResult<Response> {
    scope.require(ENABLE_DISABLE_USERS)?;
    let tenant = scope.tenant()?;
    let id = user_id(&id)?;
    state.store.set_membership_disabled(id, tenant, disabled).await.map_err(member_error)?;
    Ok(StatusCode::OK.into_response())
}
