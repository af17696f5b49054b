//! The route table. Each service (one spec file) is a module whose `router()` lists full literal spec paths;
//! they are nested under the service prefix here. `/frontegg/...`, `//` and trailing `/` are handled before
//! routing by [`crate::normalize`], so every route is written once.

pub mod directory;
pub mod env_auth;
pub mod health;
pub mod identity;
pub mod page_load;
pub mod team;
pub mod tenants;
pub mod yolk;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;

use crate::error::ApiError;
use crate::state::AppState;

/// All routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(env_auth::router())
        .merge(yolk::router())
        .merge(page_load::router())
        .merge(identity::sso_login::acs_router())
        .nest("/identity", identity::router())
        .nest("/tenants", tenants::router())
        .nest("/team", team::router())
        .nest("/directory", directory::router())
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
}

/// Unknown route: 404 `Cannot METHOD /path`, with the path as sent.
async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("Cannot {method} {}", uri.path()))
}
