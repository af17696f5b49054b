//! tenants.json, served under `/tenants`.

pub mod accounts;
pub mod hierarchy;
pub mod settings;

use axum::Router;

use crate::state::AppState;

/// Every tenants route (paths relative to `/tenants`).
pub fn router() -> Router<AppState> {
    Router::new().merge(accounts::router()).merge(settings::router()).merge(hierarchy::router())
}
