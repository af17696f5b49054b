//! Tenants (Frontegg accounts): creating, reading, changing and deleting them, their metadata, account settings,
//! sub-accounts and the hierarchy.
//!
//! Who may act where: the environment acts on every tenant. A member (user token) acts on its own tenant with the
//! Frontegg permission of the operation, and manages sub-accounts only below its own tenant and only when its
//! tenant has sub-account management enabled (`isReseller`); tenants outside that subtree are "not found", like
//! unknown ones, so a member cannot probe other customers' tenant ids.

mod accounts;
mod hierarchy;
mod sub_accounts;

use std::sync::Arc;

use yolk_domain::{Clock, TenantId};
use yolk_store::{Entity, Store, StoreError};

use crate::access::{Actor, Permit};
use crate::grants::AccessCache;
use crate::settings::Settings;
use crate::{CoreError, CoreResult};

pub use accounts::AccountSettingsInput;
pub use hierarchy::TenantTree;

/// Tenants.
#[derive(Clone)]
pub struct TenantService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    access: AccessCache,
}

impl TenantService {
    /// The service over its collaborators.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings, access: AccessCache) -> Self {
        Self { store, clock, settings, access }
    }

    /// Whether `target` is the caller's tenant (when `include_self`) or below it, for a member caller; the
    /// environment may act anywhere. Call after the permission check.
    async fn ensure_in_subtree<P>(&self, permit: &Permit<P>, target: &TenantId, include_self: bool) -> CoreResult<()> {
        if matches!(permit.actor(), Actor::Environment) {
            return Ok(());
        }
        let own = permit.tenant()?;
        let tenant = self.store.get_tenant(own).await?;
        if !tenant.is_reseller {
            return Err(CoreError::Forbidden("Sub-account management is not enabled for this account".into()));
        }
        if include_self && target == own {
            return Ok(());
        }
        let ancestors = self.store.ancestor_tenants(target).await?;
        if ancestors.iter().any(|a| &a.tenant_id == own) {
            Ok(())
        } else {
            Err(StoreError::NotFound(Entity::Tenant).into())
        }
    }
}
