//! The wire shapes of Frontegg's API, named as in `shared/frontegg-openapi/`. Requests deserialize leniently
//! (unknown fields ignored, as Frontegg does) into typed ids and domain values; responses serialize camelCase with
//! RFC 3339 times, UUID ids and `metadata` as a JSON-encoded string.
//!
//! Settings documents and a tenant's profile are domain types whose JSON form is the wire form
//! (`yolk_domain::settings`, `TenantProfile`): they are flattened into these DTOs rather than copied field by field.

pub mod activation;
pub mod auth;
pub mod configurations;
pub mod identifiers;
pub mod me;
pub mod mfa;
pub mod outbox;
pub mod page;
pub mod permissions;
pub mod roles;
pub mod scim;
mod ser;
pub mod social;
pub mod sso;
pub mod sso_login;
pub mod tenants;
pub mod users;

/// `GET /health` (yolk's own): `{status, store}` when the store answers, `{status, errors}` when it does not.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthResponse {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<&'static str>,
}
