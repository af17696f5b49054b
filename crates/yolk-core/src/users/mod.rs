//! Users: the rules for creating, reading, changing and removing users and their memberships, in one place for
//! every route (and for the sign-up, invitation, SCIM and SSO paths that create users).
//!
//! Rules that hold across operations:
//! - A tenant member (a user token) sees and changes only the users of its own tenant, and of them only what is
//!   in that tenant (their other tenants and roles stay hidden); a user outside the tenant is "not found", exactly
//!   like an unknown one, so other tenants' users cannot be probed. The environment sees everything.
//! - A new member gets the roles the caller chose (each must be environment-wide or the tenant's own) or, when none
//!   are chosen, the roles marked default that the tenant can use; the founder of a new tenant (sign-up) also gets
//!   the first-user roles. Self sign-up never chooses its own roles.
//! - Every password that is set is checked against the environment's password policy first.

mod bulk_roles;
mod create;
mod me;
mod profile;
mod read;
mod roles;
mod statuses;
mod temporary;
mod tenancy;

use std::collections::HashSet;
use std::sync::Arc;

use yolk_domain::{Clock, Membership, Role, RoleId, TenantId, User, UserId};
use yolk_store::{Entity, Store, StoreError};

use crate::CoreResult;
use crate::access::Permit;
use crate::grants::AccessCache;
use crate::lockout::PasswordCheck;
use crate::passwords::Passwords;
use crate::settings::Settings;

pub use bulk_roles::BulkRolesOutcome;
pub use create::SignedUp;
pub use me::{MeTenants, Profile};
pub use statuses::{TenantUserStatus, UserTenantStatuses};

/// A user as the caller may see it: the tenant in context (its roles and `tenantId` refer to it) and the
/// memberships the caller may see.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: User,
    pub memberships: Vec<Membership>,
    /// The tenant in context; `None` means the user's active tenant.
    pub tenant: Option<TenantId>,
}

/// Users and memberships.
#[derive(Clone)]
pub struct UserService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    passwords: Passwords,
    settings: Settings,
    access: AccessCache,
    password_check: PasswordCheck,
}

impl UserService {
    /// The service over its collaborators.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        passwords: Passwords,
        settings: Settings,
        access: AccessCache,
        password_check: PasswordCheck,
    ) -> Self {
        Self { store, clock, passwords, settings, access, password_check }
    }

    /// The user and its memberships. With `tenant`, a user who is not a member there is not found.
    async fn load(&self, id: UserId, tenant: Option<&TenantId>) -> CoreResult<(User, Vec<Membership>)> {
        let user = self.store.get_user(id).await?;
        let memberships = self.memberships_of(id).await?;
        if let Some(t) = tenant
            && !memberships.iter().any(|m| &m.tenant_id == t)
        {
            return Err(StoreError::NotFound(Entity::User).into());
        }
        Ok((user, memberships))
    }

    async fn memberships_of(&self, id: UserId) -> CoreResult<Vec<Membership>> {
        Ok(self.store.memberships(&[id]).await?.remove(&id).unwrap_or_default())
    }

    /// A user in `tenant`'s context (or its active tenant's), with every membership.
    async fn view(&self, id: UserId, tenant: Option<&TenantId>) -> CoreResult<UserView> {
        let (user, memberships) = self.load(id, tenant).await?;
        Ok(UserView { user, memberships, tenant: tenant.cloned() })
    }

    /// A user as a tenant-scoped caller may see it: in the scope's tenant, which it must belong to, and (for a
    /// member caller) showing only that tenant.
    async fn view_in_scope<P>(&self, id: UserId, permit: &Permit<P>) -> CoreResult<UserView> {
        let tenant = permit.tenant_opt();
        let (user, mut memberships) = self.load(id, tenant).await?;
        visible(&mut memberships, tenant, permit.is_member());
        Ok(UserView { user, memberships, tenant: tenant.cloned() })
    }

    /// Resolves role ids for use in `tenant`: each must exist and be environment-wide or the tenant's own
    /// (duplicates dropped; at most [`crate::roles::MAX_BATCH`]). An unknown or foreign role is `NotFound(Role)`.
    async fn roles_for_tenant(&self, tenant: &TenantId, ids: &[RoleId]) -> CoreResult<Vec<Role>> {
        crate::roles::batch("roleIds", ids).map_err(crate::CoreError::BadRequest)?;
        let mut seen = HashSet::new();
        let wanted: Vec<RoleId> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let roles = self.store.roles_by_ids(&wanted).await?;
        let usable = roles.iter().filter(|r| r.tenant_id.as_ref().is_none_or(|t| t == tenant)).count();
        if usable != wanted.len() {
            return Err(StoreError::NotFound(Entity::Role).into());
        }
        Ok(roles)
    }

    /// The roles a new member of `tenant` starts with: the chosen ones (validated), or, when none are chosen, the
    /// default roles the tenant can use, plus the first-user roles for the `founder` of a new tenant.
    async fn member_roles(
        &self,
        tenant: &TenantId,
        chosen: Option<&[RoleId]>,
        founder: bool,
    ) -> CoreResult<Vec<RoleId>> {
        match chosen {
            Some(ids) if !ids.is_empty() => {
                Ok(self.roles_for_tenant(tenant, ids).await?.iter().map(|r| r.id).collect())
            }
            _ => Ok(self
                .store
                .list_roles(Some(tenant))
                .await?
                .into_iter()
                .filter(|r| r.is_default || (founder && r.first_user_role))
                .map(|r| r.id)
                .collect()),
        }
    }

    /// Requires the tenant to exist.
    async fn require_tenant(&self, tenant: &TenantId) -> CoreResult<()> {
        self.store.get_tenant(tenant).await.map(drop).map_err(Into::into)
    }
}

/// Drops the memberships a member caller may not see: only the tenant in scope (`tenant_only`).
fn visible(memberships: &mut Vec<Membership>, tenant: Option<&TenantId>, tenant_only: bool) {
    if tenant_only {
        memberships.retain(|m| Some(&m.tenant_id) == tenant);
    }
}

/// A missing membership is answered as a missing user: a tenant admin cannot tell "not in my tenant" from
/// "does not exist".
fn member_not_found(e: StoreError) -> crate::CoreError {
    crate::CoreError::not_found_as(Entity::Membership, Entity::User)(e)
}
