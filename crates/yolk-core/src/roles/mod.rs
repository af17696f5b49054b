//! Roles, permissions and permission categories.
//!
//! The environment manages environment-wide roles and, naming a tenant, that tenant's own roles; a tenant admin
//! (user token with `fe.secure.*.roles`) sees the environment's roles plus its tenant's, and creates roles owned by
//! its tenant only. Another tenant's role is "not found" to a call scoped to a tenant, never "forbidden", so it
//! cannot be probed. Permission keys are unique; role keys are unique per scope.

mod categories;
mod permissions;
mod role;

use std::sync::Arc;

use yolk_domain::values::check_text;
use yolk_domain::{Clock, Role, TenantId};
use yolk_store::Store;

use crate::grants::AccessCache;

pub use role::{RoleQuery, RoleSort};

/// Longest accepted key or name.
pub const MAX_NAME: usize = 255;
/// Longest accepted description.
pub const MAX_DESCRIPTION: usize = 1024;
/// Most roles or permissions one request may create or address.
pub const MAX_BATCH: usize = 500;

/// Roles, permissions and categories.
#[derive(Clone)]
pub struct RoleService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: AccessCache,
}

impl RoleService {
    /// The service over its collaborators.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, access: AccessCache) -> Self {
        Self { store, clock, access }
    }
}

/// Whether a call scoped to `tenant` (if any) may address `role`: environment roles and the tenant's own.
fn in_scope(role: &Role, tenant: Option<&TenantId>) -> bool {
    match (tenant, &role.tenant_id) {
        (Some(t), Some(owner)) => t == owner,
        _ => true,
    }
}

/// A required text field: not blank, at most `max` characters, no control characters. Kept as sent.
fn required_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    check_text(field, value, max)?;
    Ok(value.to_owned())
}

/// An optional description: at most [`MAX_DESCRIPTION`] characters; line breaks and tabs are its only control
/// characters.
fn description(value: Option<String>) -> Result<Option<String>, String> {
    if let Some(d) = &value {
        check_text("description", &d.replace(['\n', '\r', '\t'], " "), MAX_DESCRIPTION)?;
    }
    Ok(value)
}

/// A batch of ids or items from a body: at most [`MAX_BATCH`]. Every array of a request body that reaches the
/// store (each item a placeholder or a statement) is checked with this, before anything is written.
pub(crate) fn batch<T>(field: &str, items: &[T]) -> Result<(), String> {
    if items.len() > MAX_BATCH { Err(format!("{field} may hold at most {MAX_BATCH} items")) } else { Ok(()) }
}
