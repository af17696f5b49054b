//! Assigning and unassigning a member's roles in the tenant in scope.

use yolk_domain::fe_permissions::{DeleteUsersRoles, WriteUsersRoles};
use yolk_domain::{Role, RoleId, TenantId, UserId};

use super::{UserService, member_not_found};
use crate::access::Permit;
use crate::{CoreError, CoreResult};

/// The tenant a role change addresses: the permit's, with a non-empty list of roles.
fn target<'a, P>(permit: &'a Permit<P>, role_ids: &[RoleId]) -> CoreResult<&'a TenantId> {
    let tenant = permit.tenant()?;
    if role_ids.is_empty() {
        return Err(CoreError::BadRequest("roleIds must not be empty".into()));
    }
    Ok(tenant)
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
        self.store.unassign_roles(id, tenant, role_ids).await.map_err(member_not_found)?;
        Ok(held)
    }
}
