//! Placeholder: routes of this group are added by their own change.

use axum::Router;

use crate::state::AppState;

/// This group's routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
