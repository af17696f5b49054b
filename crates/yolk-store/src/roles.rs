//! Roles, permissions and permission categories.

use uuid::Uuid;
use yolk_domain::{Permission, PermissionCategory, Role};

use crate::{Mutation, StoreResult};

/// Roles and permissions.
#[async_trait::async_trait]
pub trait RoleStore {
    /// Creates roles (one transaction; `Conflict` on a duplicate key within its scope).
    async fn create_roles(&self, roles: &[Role]) -> StoreResult<Vec<Role>>;

    /// One role with its permission ids.
    async fn get_role(&self, id: Uuid) -> StoreResult<Role>;

    /// Roles visible to a tenant: environment-wide ones plus, if given, that tenant's own. `None` lists all.
    async fn list_roles(&self, tenant_id: Option<&str>) -> StoreResult<Vec<Role>>;

    /// Roles by id, with permission ids (unknown ids are skipped).
    async fn roles_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<Role>>;

    /// Reads, mutates and writes back one role (not its permissions).
    async fn update_role(&self, id: Uuid, change: Mutation<Role>) -> StoreResult<Role>;

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

    /// Reads, mutates and writes back one permission (not its roles).
    async fn update_permission(&self, id: Uuid, change: Mutation<Permission>) -> StoreResult<Permission>;

    /// Deletes a permission and its grants.
    async fn delete_permission(&self, id: Uuid) -> StoreResult<()>;

    /// Replaces the roles granting a permission; `NotFound` for an unknown role.
    async fn set_permission_roles(&self, permission_id: Uuid, role_ids: &[Uuid]) -> StoreResult<Permission>;

    /// Creates a category.
    async fn create_category(&self, category: &PermissionCategory) -> StoreResult<PermissionCategory>;

    /// All categories.
    async fn list_categories(&self) -> StoreResult<Vec<PermissionCategory>>;

    /// Reads, mutates and writes back one category.
    async fn update_category(&self, id: Uuid, change: Mutation<PermissionCategory>) -> StoreResult<PermissionCategory>;

    /// Deletes a category; its permissions become uncategorized.
    async fn delete_category(&self, id: Uuid) -> StoreResult<()>;
}
