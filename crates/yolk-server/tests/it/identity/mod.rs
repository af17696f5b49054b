//! identity.json routes.

mod auth;
mod roles;
mod roles_support;
