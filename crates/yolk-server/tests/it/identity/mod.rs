//! identity.json routes.

mod auth;
mod configurations;
mod configurations_captcha;
mod permissions;
mod roles;
mod roles_support;
mod roles_v2;
