//! A user's tenants: removal (or deletion), joining, the active tenant, moving a whole tenant's users, and
//! enabling or disabling a membership.

use yolk_domain::fe_permissions::{DeleteUsers, EnableDisableUsers};
use yolk_domain::{RoleId, Tenant, TenantId, UserId};
use yolk_store::{Entity, StoreError};

use super::{UserService, UserView, member_not_found};
use crate::access::{Environment, Permit};
use crate::{CoreError, CoreResult};

impl UserService {
    /// `DELETE /users/v1/{userId}`: with a tenant in scope, removes the user from that tenant (its roles and
    /// sessions there go too) and deletes the user when it was its last tenant; without one (the environment),
    /// deletes the user with all its memberships and sessions.
    pub async fn remove(&self, permit: &Permit<DeleteUsers>, id: UserId) -> CoreResult<()> {
        match permit.tenant_opt() {
            Some(tenant) => {
                self.store.remove_from_tenant(id, tenant, self.clock.now()).await.map_err(member_not_found)?;
            }
            None => self.store.delete_user(id).await?,
        }
        self.access.invalidate();
        Ok(())
    }

    /// `POST /users/v1/{userId}/tenant`: adds a user to an existing tenant with the chosen roles (default roles
    /// when none); `Conflict(Membership)` if already a member.
    pub async fn add_to_tenant(
        &self,
        _: &Environment,
        id: UserId,
        tenant: &TenantId,
        role_ids: Option<&[RoleId]>,
    ) -> CoreResult<UserView> {
        self.require_tenant(tenant).await?;
        let roles = self.member_roles(tenant, role_ids, false).await?;
        self.store.add_membership(id, tenant, &roles, self.clock.now()).await?;
        self.view(id, Some(tenant)).await
    }

    /// `PUT /users/v1/{userId}/tenant`: makes a tenant the user's active one (where its next login lands). As the
    /// spec documents, a tenant that does not exist is created (named after its id) unless `validate_tenant_exists`
    /// (then `NotFound(Tenant)`), and a user not yet a member joins it with the chosen or default roles (a brand-new
    /// tenant has no roles of its own: the environment's defaults apply).
    pub async fn set_active_tenant(
        &self,
        _: &Environment,
        id: UserId,
        tenant: &TenantId,
        validate_tenant_exists: bool,
        role_ids: Option<&[RoleId]>,
    ) -> CoreResult<UserView> {
        self.store.get_user(id).await?;
        let now = self.clock.now();
        let new_tenant = match self.store.get_tenant(tenant).await {
            Ok(_) => None,
            Err(StoreError::NotFound(_)) if validate_tenant_exists => {
                return Err(StoreError::NotFound(Entity::Tenant).into());
            }
            Err(StoreError::NotFound(_)) => Some(Tenant::new(tenant.clone(), tenant.as_str(), now)),
            Err(e) => return Err(e.into()),
        };
        let chosen = if new_tenant.is_some() { None } else { role_ids };
        let roles = self.member_roles(tenant, chosen, false).await?;
        self.store.set_active_tenant(id, tenant, new_tenant.as_ref(), &roles, now).await?;
        self.view(id, Some(tenant)).await
    }

    /// `PUT /users/v1/tenants/migrate`: moves every user of `src` into `target` in one transaction
    /// (environment-wide roles kept, sessions in the source revoked).
    pub async fn migrate_tenant(&self, _: &Environment, src: &TenantId, target: &TenantId) -> CoreResult<u64> {
        if src == target {
            return Err(CoreError::BadRequest("srcTenantId and targetTenantId must differ".into()));
        }
        let done = self.store.migrate_tenant_users(src, target, self.clock.now()).await?;
        self.access.invalidate();
        Ok(done)
    }

    /// Enables or disables a member of the tenant in scope: a disabled member stays in the tenant but cannot log
    /// in to it, and its sessions there are revoked.
    pub async fn set_enabled(&self, permit: &Permit<EnableDisableUsers>, id: UserId, enabled: bool) -> CoreResult<()> {
        let tenant = permit.tenant()?;
        self.store.set_membership_disabled(id, tenant, !enabled, self.clock.now()).await.map_err(member_not_found)?;
        self.access.invalidate();
        Ok(())
    }
}
