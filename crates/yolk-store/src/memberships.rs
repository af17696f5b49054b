//! Memberships: which tenants a user belongs to, with which roles, and whether the membership is enabled.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use yolk_domain::{Membership, RoleId, Tenant, TenantId, User, UserId};

use crate::StoreResult;

/// Memberships and role assignments.
#[async_trait::async_trait]
pub trait MembershipStore {
    /// The memberships (with roles and their permission ids) of each given user; users without any are absent.
    async fn memberships(&self, user_ids: &[UserId]) -> StoreResult<HashMap<UserId, Vec<Membership>>>;

    /// Adds the user to a tenant with roles; `Conflict` if already a member, `NotFound` for an unknown user,
    /// tenant or role (a role must be environment-wide or the tenant's own).
    async fn add_membership(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Adds the user to a tenant as a pending invitation: listed with the roles, no access until accepted. Errors
    /// as [`MembershipStore::add_membership`].
    async fn invite_member(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Enables or disables a membership. Disabling also revokes the user's sessions in that tenant, in the same
    /// transaction. `NotFound(Membership)` if not a member.
    async fn set_membership_disabled(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Grants roles in a tenant (already-held roles are kept); `NotFound` for a non-member or unknown role.
    async fn assign_roles(&self, user_id: UserId, tenant_id: &TenantId, role_ids: &[RoleId]) -> StoreResult<()>;

    /// Revokes roles in a tenant; roles not held are ignored. `NotFound(Membership)` for a non-member.
    async fn unassign_roles(&self, user_id: UserId, tenant_id: &TenantId, role_ids: &[RoleId]) -> StoreResult<()>;

    /// Grants `add` and revokes `remove` in each of the user's memberships (only those in `tenants` when given),
    /// in one transaction; the tenants changed, oldest membership first. `NotFound(Membership)` when a tenant of
    /// `tenants` is not one of the user's, `NotFound(Role)` when a role of `add` is not usable in one of them
    /// (nothing changed either way).
    async fn update_roles_across_tenants(
        &self,
        user_id: UserId,
        tenants: Option<&[TenantId]>,
        add: &[RoleId],
        remove: &[RoleId],
    ) -> StoreResult<Vec<TenantId>>;

    /// Removes the user from a tenant (roles there and sessions in it included) and, when that was its last
    /// membership, deletes the user; one transaction. Returns whether the user was deleted.
    /// `NotFound(Membership)` if the user is not a member.
    async fn remove_from_tenant(&self, user_id: UserId, tenant_id: &TenantId, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Makes `tenant_id` the user's active tenant, in one transaction: inserts `new_tenant` first when given, and
    /// adds the user to the tenant with `role_ids` when not yet a member. `NotFound` for an unknown user, tenant or
    /// role; `Conflict` when `new_tenant` already exists.
    async fn set_active_tenant(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        new_tenant: Option<&Tenant>,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<User>;

    /// Moves every member of `src` into `target`, in one transaction: members keep their environment-wide roles
    /// (roles owned by the source tenant are dropped), users already in the target keep that membership, active
    /// tenants pointing at the source move to the target, and sessions in the source are revoked. Returns how many
    /// users left the source (those already in the target included). `NotFound(Tenant)` when either tenant is
    /// unknown.
    async fn migrate_tenant_users(&self, src: &TenantId, target: &TenantId, now: DateTime<Utc>) -> StoreResult<u64>;
}
