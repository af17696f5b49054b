//! identity.json routes.

mod auth;
mod users;
