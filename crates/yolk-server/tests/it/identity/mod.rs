//! identity.json routes.

mod auth;
mod configurations;
mod permissions;
mod roles;
mod roles_support;
mod roles_v2;
