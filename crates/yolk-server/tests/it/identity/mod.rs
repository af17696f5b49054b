//! identity.json routes.

mod auth;
mod me;
mod me_tenants;
mod users;
