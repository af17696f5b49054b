//! Which tenants a self-service (user token) caller may manage as sub-accounts.
//!
//! The environment manages every tenant. A user manages the accounts below its own tenant, and only when its
//! tenant has sub-account management enabled (`isReseller`, set through `PUT /resources/tenants/v1/{tenantId}`
//! or `PUT /resources/sub-tenants/v1/{tenantId}/management`). Tenants outside that subtree answer 404, like
//! unknown ones, so a user cannot probe other customers' tenant ids.

use yolk_store::StoreError;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Actor, TenantScope};
use crate::state::AppState;

/// Whether `target` is `include_self` the caller's tenant or below it. Call after the permission check.
pub async fn ensure_in_subtree(
    state: &AppState,
    scope: &TenantScope,
    target: &str,
    include_self: bool,
) -> ApiResult<()> {
    if matches!(scope.actor, Actor::Vendor) {
        return Ok(());
    }
    let own = scope.tenant()?;
    let tenant = state.store.get_tenant(own).await?;
    if !tenant.is_reseller {
        return Err(ApiError::Forbidden("Sub-account management is not enabled for this account".into()));
    }
    if include_self && target == own {
        return Ok(());
    }
    let ancestors = match state.store.ancestor_tenants(target).await {
        Ok(a) => a,
        Err(StoreError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    if ancestors.iter().any(|a| a.tenant_id == own) { Ok(()) } else { Err(not_found()) }
}

fn not_found() -> ApiError {
    ApiError::NotFound("Tenant not found".into())
}
