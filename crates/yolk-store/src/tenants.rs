//! Tenants (accounts), their metadata and hierarchy.

use yolk_domain::Tenant;

use crate::{Mutation, StoreResult};

/// A page of tenants.
#[derive(Debug, Clone, Default)]
pub struct TenantQuery {
    /// Case-insensitive substring of the name or tenant id.
    pub filter: Option<String>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// Tenants.
#[async_trait::async_trait]
pub trait TenantStore {
    /// Inserts a tenant; `Conflict` when the tenant id or alias is taken, `NotFound` when the parent is unknown.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<Tenant>;

    /// The tenant with this public tenant id.
    async fn get_tenant(&self, tenant_id: &str) -> StoreResult<Tenant>;

    /// The tenant with this alias.
    async fn get_tenant_by_alias(&self, alias: &str) -> StoreResult<Tenant>;

    /// Tenants matching `query`, by creation time, with the total count before paging.
    async fn list_tenants(&self, query: &TenantQuery) -> StoreResult<(Vec<Tenant>, u64)>;

    /// The direct children of a tenant.
    async fn child_tenants(&self, tenant_id: &str) -> StoreResult<Vec<Tenant>>;

    /// Reads, mutates and writes back one tenant in a transaction (no lost updates across nodes).
    async fn update_tenant(&self, tenant_id: &str, change: Mutation<Tenant>) -> StoreResult<Tenant>;

    /// Deletes a tenant with its memberships, tenant-owned roles and sessions; children are re-parented to none.
    async fn delete_tenant(&self, tenant_id: &str) -> StoreResult<()>;
}
