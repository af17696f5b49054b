//! identity.json routes.

mod auth;
