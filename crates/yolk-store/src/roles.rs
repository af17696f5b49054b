//! Roles: named sets of permissions, environment-wide or owned by one tenant.
//!
//! Role keys are unique per scope (the environment, or one tenant), and an environment role and a tenant's own role
//! never share a key, whichever came first: tokens carry role keys, so neither may read like the other. Tenants'
//! own roles may share keys with one another.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use yolk_domain::{PermissionId, Role, RoleId, TenantId};

use crate::{Mutation, StoreResult};

/// A role to create.
#[derive(Debug, Clone)]
pub struct NewRole {
    /// The role, with the permissions it grants.
    pub role: Role,
    /// Also grant it to every current member of its scope (every membership for an environment role, the
    /// tenant's for a tenant role). Only honoured for a default role.
    pub grant_to_members: bool,
}

/// A change to one role's fields (not its permissions, nor its tenant: see [`RoleStore::set_role_tenant`]).
pub struct RoleUpdate {
    /// Applied to the locked row.
    pub change: Mutation<Role>,
    /// After the change, grant the role to every current member of its scope if it is a default role.
    pub grant_to_members: bool,
}

/// Roles.
#[async_trait::async_trait]
pub trait RoleStore {
    /// Creates roles in one transaction. `Conflict(RoleKey)` on a duplicate key (within the scope, or shared
    /// between the environment and a tenant); `NotFound` for an unknown tenant or permission.
    async fn create_roles(&self, roles: &[NewRole]) -> StoreResult<Vec<Role>>;

    /// One role with its permission ids.
    async fn get_role(&self, id: RoleId) -> StoreResult<Role>;

    /// Roles visible to a tenant: environment-wide ones plus, if given, that tenant's own. `None` lists all.
    async fn list_roles(&self, tenant_id: Option<&TenantId>) -> StoreResult<Vec<Role>>;

    /// Roles by id, with permission ids (unknown ids are skipped).
    async fn roles_by_ids(&self, ids: &[RoleId]) -> StoreResult<Vec<Role>>;

    /// Locks, reads, mutates and writes back one role (`updated_at` = `now`), granting it to the members of its
    /// scope when asked. The mutation cannot move the role to another scope (use [`RoleStore::set_role_tenant`],
    /// which drops its assignments in other tenants): a changed `tenant_id` is ignored. `Conflict(RoleKey)` when the
    /// new key clashes.
    async fn update_role(&self, id: RoleId, update: RoleUpdate, now: DateTime<Utc>) -> StoreResult<Role>;

    /// Moves a role to a tenant, or to the environment with `None`. Moving it to a tenant removes its assignments
    /// in every other tenant. `NotFound` for an unknown role or tenant, `Conflict` if the key clashes there.
    async fn set_role_tenant(&self, id: RoleId, tenant_id: Option<&TenantId>, now: DateTime<Utc>) -> StoreResult<Role>;

    /// Replaces the role's permissions; `NotFound(Permission)` for an unknown permission, and nothing changes.
    async fn set_role_permissions(
        &self,
        id: RoleId,
        permission_ids: &[PermissionId],
        now: DateTime<Utc>,
    ) -> StoreResult<Role>;

    /// How many (user, tenant) assignments each role has; roles without any are absent.
    async fn role_assignment_counts(&self) -> StoreResult<HashMap<RoleId, u64>>;

    /// Deletes a role and its assignments.
    async fn delete_role(&self, id: RoleId) -> StoreResult<()>;
}
