//! Assigning and unassigning a member's roles in the tenant in scope.

use yolk_domain::fe_permissions::{DeleteUsersRoles, WriteUsersRoles};
use yolk_domain::{Role, RoleId, TenantId, UserId};

use super::{UserService, member_not_found};
use crate::access::{Actor, Permit};
use crate::roles::batch;
use crate::{CoreError, CoreResult};

/// The tenant a role change addresses: the permit's, with a non-empty list of at most
/// [`crate::roles::MAX_BATCH`] roles.
fn target<'a, P>(permit: &'a Permit<P>, role_ids: &[RoleId]) -> CoreResult<&'a TenantId> {
    let tenant = permit.tenant()?;
    if role_ids.is_empty() {
        return Err(CoreError::BadRequest("roleIds must not be empty".into()));
    }
    batch("roleIds", role_ids).map_err(CoreError::BadRequest)?;
    Ok(tenant)
}

/// Whether `actor` may give (or take) these roles of user `id`: nobody changes their own roles, and a member
/// handles only roles it could hold itself (see [`Actor::may_grant`]). The environment may do anything.
pub(super) fn may_change_roles(actor: &Actor, id: UserId, roles: &[Role]) -> CoreResult<()> {
    if actor.member() == Some(id) {
        return Err(CoreError::Forbidden("Users cannot change their own roles".into()));
    }
    may_grant_all(actor, roles)
}

/// Whether `actor` may grant every one of these roles (see [`Actor::may_grant`]).
pub(super) fn may_grant_all(actor: &Actor, roles: &[Role]) -> CoreResult<()> {
    match roles.iter().find(|r| !actor.may_grant(r)) {
        Some(r) => Err(CoreError::Forbidden(format!("Cannot grant role {}: it is above your own", r.key))),
        None => Ok(()),
    }
}

impl UserService {
    /// Grants roles (environment-wide or the tenant's own) to a member of the tenant in scope; roles already held
    /// are kept. Answers the roles granted. Unknown role: `NotFound(Role)`, nothing granted; a user outside the
    /// tenant: `NotFound(User)`.
    pub async fn assign_roles(
        &self,
        permit: &Permit<WriteUsersRoles>,
        id: UserId,
        role_ids: &[RoleId],
    ) -> CoreResult<Vec<Role>> {
        let tenant = target(permit, role_ids)?;
        let roles = self.roles_for_tenant(tenant, role_ids).await?;
        may_change_roles(permit.actor(), id, &roles)?;
        let ids: Vec<RoleId> = roles.iter().map(|r| r.id).collect();
        self.store.assign_roles(id, tenant, &ids).await.map_err(member_not_found)?;
        Ok(roles)
    }

    /// Revokes roles from a member of the tenant in scope; roles not held are ignored. Answers the roles revoked.
    pub async fn unassign_roles(
        &self,
        permit: &Permit<DeleteUsersRoles>,
        id: UserId,
        role_ids: &[RoleId],
    ) -> CoreResult<Vec<Role>> {
        let tenant = target(permit, role_ids)?;
        let held: Vec<Role> = self
            .memberships_of(id)
            .await?
            .into_iter()
            .find(|m| &m.tenant_id == tenant)
            .map(|m| m.roles.into_iter().filter(|r| role_ids.contains(&r.id)).collect())
            .unwrap_or_default();
        may_change_roles(permit.actor(), id, &held)?;
        self.store.unassign_roles(id, tenant, role_ids).await.map_err(member_not_found)?;
        self.access.invalidate();
        Ok(held)
    }
}
