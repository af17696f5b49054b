//! tenants.json, served under `/tenants`: accounts (v1 and v2), account settings, sub-accounts and the
//! hierarchy. The "Account migration" operations are not implemented.

pub mod accounts;
pub mod accounts_v2;
pub mod hierarchy;
pub mod settings;
pub mod sub_accounts;

use axum::Router;
use yolk_api_types::tenants::CreateTenantRequest;
use yolk_core::tenants::NewTenantInput;

use crate::state::AppState;

/// Every tenants route (paths relative to `/tenants`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(accounts_v2::router())
        .merge(settings::router())
        .merge(sub_accounts::router())
        .merge(hierarchy::router())
}

/// The fields of a tenant create body.
fn new_tenant_input(body: CreateTenantRequest) -> NewTenantInput {
    NewTenantInput {
        tenant_id: body.tenant_id,
        name: body.name,
        metadata: body.metadata,
        is_reseller: body.is_reseller,
        parent_tenant_id: body.parent_tenant_id,
        profile: body.profile,
    }
}
