//! tenants.json, served under `/tenants`: accounts (v1 and v2), account settings, sub-accounts and the
//! hierarchy. The "Account migration" operations are not implemented.

pub mod accounts;
pub mod accounts_v2;
pub mod hierarchy;
pub mod settings;
pub mod sub_accounts;

use axum::Router;

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
