//! Self-service: the caller's own profile, tenants and authorization, and the tenant switch. The login box calls
//! these right after every login. Every method acts as the [`UserContext`].

use std::collections::{HashMap, HashSet};

use yolk_domain::{Membership, Permission, Role, Tenant, TenantId, User};
use yolk_store::tenants::TenantQuery;
use yolk_store::{Entity, StoreError};

use super::UserService;
use crate::access::UserContext;
use crate::auth::{active_tenant, granted_permissions, membership_admits};
use crate::{CoreError, CoreResult};

/// How far up the parent chain the hierarchy looks for another of the caller's tenants (guards against cycles).
const MAX_DEPTH: usize = 32;

/// The caller as `GET /users/v2/me` shows it: the user in the tenant it acts in, with the permissions its roles
/// there grant (by key).
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: User,
    pub memberships: Vec<Membership>,
    pub tenant: TenantId,
    pub roles: Vec<Role>,
    pub permissions: Vec<Permission>,
}

/// The caller's tenants (enabled memberships, in membership order), the one it acts in, and, for the hierarchy,
/// each tenant's nearest ancestor among them.
#[derive(Debug, Clone)]
pub struct MeTenants {
    pub tenants: Vec<Tenant>,
    pub active: Option<Tenant>,
    /// Tenant id → the nearest of the caller's tenants above it.
    pub parent_of: HashMap<TenantId, TenantId>,
}

impl UserService {
    /// The caller in the tenant it acts in.
    pub async fn profile(&self, ctx: &UserContext) -> CoreResult<Profile> {
        let (user, memberships) = self.load(ctx.user_id(), None).await?;
        self.profile_of(user, memberships, ctx.tenant_id().clone()).await
    }

    async fn profile_of(&self, user: User, memberships: Vec<Membership>, tenant: TenantId) -> CoreResult<Profile> {
        let membership = memberships.iter().find(|m| m.tenant_id == tenant);
        let roles = membership.map(|m| m.roles.clone()).unwrap_or_default();
        let ids = membership.map(granted_permissions).unwrap_or_default();
        let permissions = if ids.is_empty() { Vec::new() } else { self.store.permissions_by_ids(&ids).await? };
        Ok(Profile { user, memberships, tenant, roles, permissions })
    }

    /// `PUT /users/v1/tenant`: makes another of the caller's tenants its active one; the next refresh issues a
    /// token for it. Only an enabled membership can be switched to; otherwise nothing changes. "No such tenant" and
    /// "not a member" are one answer, so the caller learns nothing about other tenants.
    pub async fn switch_tenant(&self, ctx: &UserContext, tenant: &TenantId) -> CoreResult<Profile> {
        let memberships = self.memberships_of(ctx.user_id()).await?;
        let membership =
            memberships.iter().find(|m| &m.tenant_id == tenant).ok_or(CoreError::NotFound(Entity::Membership))?;
        membership_admits(membership)?;
        let active = tenant.clone();
        let user = self
            .store
            .update_user(
                ctx.user_id(),
                Box::new(move |u| {
                    u.active_tenant_id = Some(active);
                    Ok(())
                }),
                self.clock.now(),
            )
            .await?;
        self.profile_of(user, memberships, tenant.clone()).await
    }

    /// The caller's tenants and the one it acts in (else its active tenant). With `hierarchy`, also where each
    /// sits below another of the caller's tenants (at any depth).
    pub async fn my_tenants(&self, ctx: &UserContext, hierarchy: bool) -> CoreResult<MeTenants> {
        let (user, memberships) = self.load(ctx.user_id(), None).await?;
        // A disabled or pending membership cannot be switched to, so it is not offered.
        let ids: Vec<TenantId> =
            memberships.iter().filter(|m| m.grants_access()).map(|m| m.tenant_id.clone()).collect();
        let query = TenantQuery { tenant_ids: Some(ids.clone()), ..TenantQuery::default() };
        let mut by_id: HashMap<TenantId, Tenant> =
            self.store.list_tenants(&query).await?.0.into_iter().map(|t| (t.tenant_id.clone(), t)).collect();
        // In membership order; a tenant deleted since the memberships were read is skipped.
        let tenants: Vec<Tenant> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        let find = |id: &TenantId| tenants.iter().find(|t| &t.tenant_id == id).cloned();
        let active = find(ctx.tenant_id()).or_else(|| active_tenant(&user, &memberships).and_then(|id| find(&id)));
        let parent_of = if hierarchy { self.member_ancestors(&tenants).await? } else { HashMap::new() };
        Ok(MeTenants { tenants, active, parent_of })
    }

    /// For each of `tenants`, the nearest ancestor that is also one of them, walking parents (loading those that
    /// are not among them as needed).
    async fn member_ancestors(&self, tenants: &[Tenant]) -> CoreResult<HashMap<TenantId, TenantId>> {
        let mine: HashSet<&TenantId> = tenants.iter().map(|t| &t.tenant_id).collect();
        let mut known: HashMap<TenantId, Option<TenantId>> =
            tenants.iter().map(|t| (t.tenant_id.clone(), t.parent_tenant_id.clone())).collect();
        let mut parent_of = HashMap::new();
        for t in tenants {
            let mut seen = HashSet::from([t.tenant_id.clone()]);
            let mut next = t.parent_tenant_id.clone();
            while let Some(id) = next {
                if mine.contains(&id) {
                    parent_of.insert(t.tenant_id.clone(), id);
                    break;
                }
                if !seen.insert(id.clone()) || seen.len() > MAX_DEPTH {
                    break;
                }
                next = match known.get(&id) {
                    Some(parent) => parent.clone(),
                    None => {
                        let parent = match self.store.get_tenant(&id).await {
                            Ok(p) => p.parent_tenant_id,
                            Err(StoreError::NotFound(_)) => None,
                            Err(e) => return Err(e.into()),
                        };
                        known.insert(id, parent.clone());
                        parent
                    }
                };
            }
        }
        Ok(parent_of)
    }
}
