//! team/sso.json, served under `/team`: SSO configuration.

pub mod sso;

use axum::Router;

use crate::state::AppState;

/// Every team route (paths relative to `/team`).
pub fn router() -> Router<AppState> {
    Router::new().merge(sso::router())
}
