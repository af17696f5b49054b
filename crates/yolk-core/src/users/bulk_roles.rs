//! `PATCH /vendor-only/users/v1/{userId}/roles/bulk`: roles granted and revoked in many of a user's tenants at
//! once (environment only). Done in the request, in one store transaction (Frontegg may queue large updates as a
//! task; yolk never needs to, so it always answers the synchronous body).

use yolk_api_types::users::BulkUpdateUserRolesRequest;
use yolk_domain::{RoleId, TenantId, UserId};

use super::UserService;
use crate::access::Environment;
use crate::{CoreError, CoreResult};

/// What a bulk roles update changed.
#[derive(Debug, Clone)]
pub struct BulkRolesOutcome {
    /// The tenants whose membership was updated.
    pub tenants: Vec<TenantId>,
    pub added: Vec<RoleId>,
    pub removed: Vec<RoleId>,
}

impl UserService {
    /// Grants `addRoleIds` and revokes `removeRoleIds` in each of the user's tenants (only `tenantIds` when
    /// given). Roles to add must be environment-wide (a tenant's own role means nothing in its other tenants).
    /// 400 for nothing to do or too many ids; `NotFound(User)`, `NotFound(Role)`, `NotFound(Membership)` (a named
    /// tenant that is not the user's); nothing changes on any error.
    pub async fn bulk_update_roles(
        &self,
        _: &Environment,
        user: UserId,
        req: BulkUpdateUserRolesRequest,
    ) -> CoreResult<BulkRolesOutcome> {
        let add = req.add_role_ids.unwrap_or_default();
        let remove = req.remove_role_ids.unwrap_or_default();
        crate::roles::batch("addRoleIds", &add).map_err(CoreError::BadRequest)?;
        crate::roles::batch("removeRoleIds", &remove).map_err(CoreError::BadRequest)?;
        if add.is_empty() && remove.is_empty() {
            return Err(CoreError::BadRequest("addRoleIds or removeRoleIds is required".into()));
        }
        if let Some(t) = &req.tenant_ids {
            crate::roles::batch("tenantIds", t).map_err(CoreError::BadRequest)?;
        }
        self.store.get_user(user).await?;
        let found = self.store.roles_by_ids(&add).await?;
        if add.iter().any(|id| !found.iter().any(|r| &r.id == id && r.tenant_id.is_none())) {
            return Err(CoreError::NotFound(yolk_store::Entity::Role));
        }
        let tenants = self.store.update_roles_across_tenants(user, req.tenant_ids.as_deref(), &add, &remove).await?;
        // Revoking narrows access: this node's cached grants go now, other nodes' within their TTL.
        self.access.invalidate();
        Ok(BulkRolesOutcome { tenants, added: add, removed: remove })
    }
}
