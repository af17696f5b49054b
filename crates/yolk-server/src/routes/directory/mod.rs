//! scim.json (service prefix `/directory`): SCIM configurations, the SDK's user count, and the SCIM 2.0 protocol
//! itself (`/resources/scim/v2`, in no spec file) that identity providers call with a connection's token.

pub mod configurations;
pub mod scim;

use axum::Router;

use crate::state::AppState;

/// The directory service's routes.
pub fn router() -> Router<AppState> {
    Router::new().merge(configurations::router()).merge(scim::router())
}
