//! Reading users: one by id or email, pages of users, and their role ids.

use yolk_domain::fe_permissions::ReadUsers;
use yolk_domain::{Membership, UserId};
use yolk_store::users::UserQuery;

use super::{UserService, UserView, visible};
use crate::access::{Environment, Permit};
use crate::{CoreError, CoreResult};

impl UserService {
    /// A user of the tenant in scope, with its roles there. The environment without a tenant reads any user (in its
    /// active tenant's context). A user outside the tenant is `NotFound(User)`.
    pub async fn get(&self, permit: &Permit<ReadUsers>, id: UserId) -> CoreResult<UserView> {
        self.view_in_scope(id, permit).await
    }

    /// Any user, with every membership and its roles.
    pub async fn get_any(&self, _: &Environment, id: UserId) -> CoreResult<UserView> {
        self.view(id, None).await
    }

    /// The user with this email (case-insensitive), scoped like [`UserService::get`].
    pub async fn get_by_email(&self, permit: &Permit<ReadUsers>, email: &str) -> CoreResult<UserView> {
        let email = email.trim();
        if email.is_empty() {
            return Err(CoreError::BadRequest("email is required".into()));
        }
        let user = self.store.get_user_by_email(email).await?;
        self.view_in_scope(user.id, permit).await
    }

    /// A page of users and the total. Scoped to the tenant in scope: the query's tenant (`_tenantId`) may narrow
    /// an environment call without a tenant, and must otherwise name the tenant in scope (a member naming another
    /// tenant is refused). Invisible users are listed only for the environment. One count, one select and one
    /// memberships load.
    pub async fn list(&self, permit: &Permit<ReadUsers>, mut query: UserQuery) -> CoreResult<(Vec<UserView>, u64)> {
        let tenant = match (permit.tenant_opt(), query.tenant_id.take()) {
            (Some(scoped), Some(asked)) if *scoped != asked => {
                return Err(if permit.is_member() {
                    CoreError::Forbidden("Token is not valid for this tenant".into())
                } else {
                    CoreError::BadRequest("_tenantId does not match frontegg-tenant-id".into())
                });
            }
            (scoped, asked) => scoped.cloned().or(asked),
        };
        query.tenant_id = tenant.clone();
        query.include_invisible = !permit.is_member();
        let (users, total) = self.store.list_users(&query).await?;
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let mut memberships = self.store.memberships(&ids).await?;
        let views = users
            .into_iter()
            .map(|user| {
                let mut ms = memberships.remove(&user.id).unwrap_or_default();
                visible(&mut ms, tenant.as_ref(), permit.is_member());
                UserView { user, memberships: ms, tenant: tenant.clone() }
            })
            .collect();
        Ok((views, total))
    }

    /// The memberships (with roles) of the named users in the tenant in scope, in the order of `ids`; users outside
    /// it are left out. The environment without a tenant gets every membership.
    pub async fn roles_of(&self, permit: &Permit<ReadUsers>, ids: &[UserId]) -> CoreResult<Vec<(UserId, Membership)>> {
        let mut memberships = self.store.memberships(ids).await?;
        let tenant = permit.tenant_opt();
        Ok(ids
            .iter()
            .filter_map(|id| memberships.remove(id).map(|ms| (*id, ms)))
            .flat_map(|(id, ms)| {
                ms.into_iter().filter(|m| tenant.is_none_or(|t| *t == m.tenant_id)).map(move |m| (id, m))
            })
            .collect())
    }
}
