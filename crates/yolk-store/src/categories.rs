//! Permission categories: display groups of permissions.

use chrono::{DateTime, Utc};
use yolk_domain::{CategoryId, PermissionCategory};

use crate::{Mutation, StoreResult};

/// Permission categories.
#[async_trait::async_trait]
pub trait CategoryStore {
    /// Creates a category; `Conflict(CategoryId)` when the id is taken.
    async fn create_category(&self, category: &PermissionCategory) -> StoreResult<PermissionCategory>;

    /// All categories, by creation time.
    async fn list_categories(&self) -> StoreResult<Vec<PermissionCategory>>;

    /// Locks, reads, mutates and writes back one category (`updated_at` = `now`).
    async fn update_category(
        &self,
        id: CategoryId,
        change: Mutation<PermissionCategory>,
        now: DateTime<Utc>,
    ) -> StoreResult<PermissionCategory>;

    /// Deletes a category; its permissions become uncategorized.
    async fn delete_category(&self, id: CategoryId) -> StoreResult<()>;
}
