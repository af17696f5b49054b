//! The wire shapes of Frontegg's API, named as in `shared/frontegg-openapi/`. Requests deserialize leniently
//! (unknown fields ignored, as Frontegg does); responses serialize camelCase with RFC 3339 times, UUID ids and
//! `metadata` as a JSON-encoded string.

pub mod auth;
pub mod configurations;
pub mod me;
pub mod permissions;
pub mod roles;
mod ser;
pub mod tenants;
pub mod users;
