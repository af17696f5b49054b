//! Permissions: keys that tokens carry, granted through roles. Permission keys are unique.

use chrono::{DateTime, Utc};
use yolk_domain::{AssignmentType, Permission, PermissionId, RoleId};

use crate::{Mutation, StoreResult};

/// Permissions.
#[async_trait::async_trait]
pub trait PermissionStore {
    /// Creates permissions in one transaction; `Conflict(PermissionKey)` on a duplicate key, `NotFound(Category)`
    /// for an unknown category.
    async fn create_permissions(&self, permissions: &[Permission]) -> StoreResult<Vec<Permission>>;

    /// One permission with its role ids.
    async fn get_permission(&self, id: PermissionId) -> StoreResult<Permission>;

    /// All permissions with their role ids, by key.
    async fn list_permissions(&self) -> StoreResult<Vec<Permission>>;

    /// Permissions by id with their role ids, by key (unknown ids skipped).
    async fn permissions_by_ids(&self, ids: &[PermissionId]) -> StoreResult<Vec<Permission>>;

    /// The keys of the permissions with these ids, sorted and distinct (unknown ids skipped). The token-issuing
    /// path uses this instead of [`PermissionStore::permissions_by_ids`], which also loads each permission's roles.
    async fn permission_keys(&self, ids: &[PermissionId]) -> StoreResult<Vec<String>>;

    /// Locks, reads, mutates and writes back one permission (not its roles; `updated_at` = `now`).
    async fn update_permission(
        &self,
        id: PermissionId,
        change: Mutation<Permission>,
        now: DateTime<Utc>,
    ) -> StoreResult<Permission>;

    /// Deletes a permission and its grants.
    async fn delete_permission(&self, id: PermissionId) -> StoreResult<()>;

    /// Adds roles to those granting a permission (existing grants are kept); `NotFound` for an unknown permission
    /// or role, and then nothing changes.
    async fn add_permission_roles(
        &self,
        id: PermissionId,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<Permission>;

    /// Sets the assignment type of several permissions in one transaction; `NotFound` (nothing changed) if any
    /// is unknown. Returns them.
    async fn classify_permissions(
        &self,
        ids: &[PermissionId],
        assignment_type: AssignmentType,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Permission>>;
}
