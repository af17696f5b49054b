//! Tenants (accounts), their metadata and hierarchy.

use chrono::{DateTime, Utc};
use yolk_domain::{Tenant, TenantId};

use crate::{Mutation, PageRequest, StoreResult};

/// The column a tenant listing is ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TenantSort {
    /// Creation time (ties broken by tenant id).
    #[default]
    CreatedAt,
    /// Display name (ties broken by tenant id).
    Name,
    /// Public tenant id.
    TenantId,
}

/// Which tenants to list, in what order.
#[derive(Debug, Clone, Default)]
pub struct TenantQuery {
    /// Case-insensitive substring of the name or tenant id.
    pub filter: Option<String>,
    /// Only these tenant ids (none: every tenant).
    pub tenant_ids: Option<Vec<TenantId>>,
    /// Ordering column.
    pub sort: TenantSort,
    /// Descending order instead of ascending.
    pub descending: bool,
    /// The page; none for every row.
    pub page: Option<PageRequest>,
}

/// Tenants.
#[async_trait::async_trait]
pub trait TenantStore {
    /// Inserts a tenant; `Conflict` when the tenant id or alias is taken, `NotFound(ParentTenant)` when the parent
    /// is unknown.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<Tenant>;

    /// The tenant with this public tenant id.
    async fn get_tenant(&self, tenant_id: &TenantId) -> StoreResult<Tenant>;

    /// The tenant with this alias.
    async fn get_tenant_by_alias(&self, alias: &str) -> StoreResult<Tenant>;

    /// Tenants matching `query`, in its order, with the total count before paging.
    async fn list_tenants(&self, query: &TenantQuery) -> StoreResult<(Vec<Tenant>, u64)>;

    /// Every tenant below `tenant_id` in the hierarchy (children, their children, ...), by creation time.
    /// `tenant_id` itself is never included, even if a corrupt hierarchy loops back to it.
    async fn descendant_tenants(&self, tenant_id: &TenantId) -> StoreResult<Vec<Tenant>>;

    /// The tenants above `tenant_id`, nearest first (parent, grandparent, ...); `NotFound` for an unknown tenant.
    async fn ancestor_tenants(&self, tenant_id: &TenantId) -> StoreResult<Vec<Tenant>>;

    /// Sets or clears a tenant's parent in one transaction that also checks the hierarchy stays a forest:
    /// `Invalid` when `parent` is the tenant itself or one of its descendants, `NotFound` when either is unknown.
    /// Concurrent hierarchy changes are serialized, so two of them cannot form a cycle together.
    async fn set_tenant_parent(
        &self,
        tenant_id: &TenantId,
        parent: Option<&TenantId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Tenant>;

    /// Locks, reads, mutates and writes back one tenant (`updated_at` = `now`). The mutation cannot change the
    /// parent (use [`TenantStore::set_tenant_parent`], which checks for cycles). `Conflict` when the alias is taken.
    async fn update_tenant(
        &self,
        tenant_id: &TenantId,
        change: Mutation<Tenant>,
        now: DateTime<Utc>,
    ) -> StoreResult<Tenant>;

    /// Deletes a tenant in one transaction, as Frontegg's account deletion does: its children move up to the
    /// deleted tenant's parent (or become roots); users whose only membership was this tenant are deleted, other
    /// members just lose the membership (and it as their active tenant); its tenant-owned roles and settings
    /// documents (`*:<tenantId>`) go; its sessions are revoked. `NotFound` for an unknown tenant.
    async fn delete_tenant(&self, tenant_id: &TenantId, now: DateTime<Utc>) -> StoreResult<()>;
}
