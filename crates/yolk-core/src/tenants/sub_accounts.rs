//! Sub-accounts: creating, configuring and deleting them. The environment may act on any tenant; a member needs
//! the `fe.account-hierarchy.*` permission, a tenant with sub-account management enabled, and acts only below its
//! own tenant.

use serde_json::Value;
use yolk_domain::fe_permissions::{DeleteSubAccounts, WriteSubAccounts};
use yolk_domain::settings::{HierarchySettings, Stamped};
use yolk_domain::{Tenant, TenantId};
use yolk_store::StoreError;

use yolk_api_types::tenants::CreateTenantRequest;

use super::TenantService;
use crate::access::Permit;
use crate::settings::Scope;
use crate::{CoreError, CoreResult};

impl TenantService {
    /// Creates a tenant under `parentTenantId` (`tenantId`, `name` and `parentTenantId` required). A member may
    /// create it under its own tenant or any tenant below it. `NotFound` for an unknown parent, `Conflict` for a
    /// taken id.
    pub async fn create_sub_tenant(
        &self,
        permit: &Permit<WriteSubAccounts>,
        input: CreateTenantRequest,
    ) -> CoreResult<Tenant> {
        if input.tenant_id.is_none() {
            return Err(CoreError::BadRequest("tenantId is required".into()));
        }
        let parent =
            input.parent_tenant_id.clone().ok_or_else(|| CoreError::BadRequest("parentTenantId is required".into()))?;
        let tenant = self.new_tenant(input, Some(parent.clone()))?;
        self.ensure_in_subtree(permit, &parent, true).await?;
        Ok(self.store.create_tenant(&tenant).await?)
    }

    /// Turns sub-account management (`isReseller`) on or off for a sub-account. A member may do it only for
    /// tenants strictly below its own (never to grant its own tenant the capability).
    pub async fn set_sub_tenant_management(
        &self,
        permit: &Permit<WriteSubAccounts>,
        id: &TenantId,
        is_reseller: Option<bool>,
    ) -> CoreResult<Tenant> {
        let is_reseller = is_reseller.ok_or_else(|| CoreError::BadRequest("isReseller is required".into()))?;
        self.ensure_in_subtree(permit, id, false).await?;
        let change = Box::new(move |t: &mut Tenant| -> Result<(), StoreError> {
            t.is_reseller = is_reseller;
            Ok(())
        });
        Ok(self.store.update_tenant(id, change, self.clock.now()).await?)
    }

    /// Sets how the account's users reach its sub-accounts (the tenant's [`HierarchySettings`] document). A member
    /// may set it for its own tenant or any tenant below it.
    pub async fn set_hierarchy_settings(
        &self,
        permit: &Permit<WriteSubAccounts>,
        id: &TenantId,
        body: Value,
    ) -> CoreResult<Stamped<HierarchySettings>> {
        self.ensure_in_subtree(permit, id, true).await?;
        self.store.get_tenant(id).await?;
        self.settings.put::<HierarchySettings>(Scope::Tenant(id), body).await
    }

    /// Deletes a sub-account like account deletion does: the users that belonged only to it go, and its own
    /// sub-accounts move up to its parent rather than being deleted with it. A member may delete only tenants
    /// strictly below its own.
    pub async fn delete_sub_tenant(&self, permit: &Permit<DeleteSubAccounts>, id: &TenantId) -> CoreResult<()> {
        self.ensure_in_subtree(permit, id, false).await?;
        self.store.delete_tenant(id, self.clock.now()).await?;
        self.access.invalidate();
        Ok(())
    }
}
