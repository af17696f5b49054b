//! Roles, permissions and permission categories.
//!
//! Role keys are unique per scope (the environment, or one tenant), and a tenant role never takes the key of an
//! environment role: tokens carry role keys, so a tenant must not be able to mint a role that reads like an
//! environment-wide one. Permission keys are unique.

use std::collections::HashMap;

use uuid::Uuid;
use yolk_domain::{Permission, PermissionCategory, Role};

use crate::{Mutation, StoreResult};

/// Roles and permissions.
#[async_trait::async_trait]
pub trait RoleStore {
    /// Creates roles (one transaction; `Conflict` on a duplicate key within its scope).
    async fn create_roles(&self, roles: &[Role]) -> StoreResult<Vec<Role>>;

    /// Creates roles like [`RoleStore::create_roles`], then grants each default role whose id is in `migrate` to
    /// every member of its scope (every membership for an environment role, that tenant's for a tenant role). One
    /// transaction. `Conflict` on a duplicate key (within the scope, or a tenant role repeating an environment
    /// role's key); `NotFound` for an unknown tenant or permission.
    async fn create_roles_migrated(&self, roles: &[Role], migrate: &[Uuid]) -> StoreResult<Vec<Role>>;

    /// One role with its permission ids.
    async fn get_role(&self, id: Uuid) -> StoreResult<Role>;

    /// Roles visible to a tenant: environment-wide ones plus, if given, that tenant's own. `None` lists all.
    async fn list_roles(&self, tenant_id: Option<&str>) -> StoreResult<Vec<Role>>;

    /// Roles by id, with permission ids (unknown ids are skipped).
    async fn roles_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<Role>>;

    /// Reads, mutates and writes back one role (not its permissions).
    async fn update_role(&self, id: Uuid, change: Mutation<Role>) -> StoreResult<Role>;

    /// Like [`RoleStore::update_role`]; with `migrate`, a role that is default after the change is also granted to
    /// every member of its scope, in the same transaction.
    async fn update_role_migrated(&self, id: Uuid, change: Mutation<Role>, migrate: bool) -> StoreResult<Role>;

    /// Moves a role to a tenant, or to the environment with `None`. Moving it to a tenant removes its assignments
    /// in every other tenant. `NotFound` for an unknown role or tenant, `Conflict` if the key clashes there.
    async fn set_role_tenant(&self, id: Uuid, tenant_id: Option<&str>) -> StoreResult<Role>;

    /// How many (user, tenant) assignments each role has; roles without any are absent.
    async fn role_assignment_counts(&self) -> StoreResult<HashMap<Uuid, u64>>;

    /// Deletes a role and its assignments.
    async fn delete_role(&self, id: Uuid) -> StoreResult<()>;

    /// Replaces the role's permissions; `NotFound` for an unknown permission.
    async fn set_role_permissions(&self, role_id: Uuid, permission_ids: &[Uuid]) -> StoreResult<Role>;

    /// Creates permissions (one transaction; `Conflict` on a duplicate key).
    async fn create_permissions(&self, permissions: &[Permission]) -> StoreResult<Vec<Permission>>;

    /// One permission with its role ids.
    async fn get_permission(&self, id: Uuid) -> StoreResult<Permission>;

    /// All permissions with their role ids.
    async fn list_permissions(&self) -> StoreResult<Vec<Permission>>;

    /// Permissions by id (unknown ids skipped).
    async fn permissions_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<Permission>>;

    /// The keys of the permissions with these ids, sorted and distinct (unknown ids skipped). The token-issuing path
    /// uses this instead of [`RoleStore::permissions_by_ids`], which also loads each permission's roles.
    async fn permission_keys(&self, ids: &[Uuid]) -> StoreResult<Vec<String>>;

    /// Reads, mutates and writes back one permission (not its roles).
    async fn update_permission(&self, id: Uuid, change: Mutation<Permission>) -> StoreResult<Permission>;

    /// Deletes a permission and its grants.
    async fn delete_permission(&self, id: Uuid) -> StoreResult<()>;

    /// Replaces the roles granting a permission; `NotFound` for an unknown role.
    async fn set_permission_roles(&self, permission_id: Uuid, role_ids: &[Uuid]) -> StoreResult<Permission>;

    /// Adds roles to those granting a permission (existing grants are kept); `NotFound` for an unknown permission
    /// or role, and then nothing changes.
    async fn add_permission_roles(&self, permission_id: Uuid, role_ids: &[Uuid]) -> StoreResult<Permission>;

    /// Sets the assignment type of several permissions in one transaction; `NotFound` (nothing changed) if any
    /// is unknown. Returns them.
    async fn classify_permissions(&self, ids: &[Uuid], assignment_type: &str) -> StoreResult<Vec<Permission>>;

    /// Creates a category.
    async fn create_category(&self, category: &PermissionCategory) -> StoreResult<PermissionCategory>;

    /// All categories.
    async fn list_categories(&self) -> StoreResult<Vec<PermissionCategory>>;

    /// Reads, mutates and writes back one category.
    async fn update_category(&self, id: Uuid, change: Mutation<PermissionCategory>) -> StoreResult<PermissionCategory>;

    /// Deletes a category; its permissions become uncategorized.
    async fn delete_category(&self, id: Uuid) -> StoreResult<()>;
}
