//! Users, their credentials, memberships and role assignments.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;
use yolk_domain::{Membership, Tenant, User};

use crate::{Mutation, StoreResult};

/// A user to create, with the membership it starts with.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    /// argon2id PHC string, or none for a user without a password (invited, SSO).
    pub password_hash: Option<String>,
    /// The tenant it joins, with these roles.
    pub tenant_id: Option<String>,
    pub role_ids: Vec<Uuid>,
    /// A tenant created in the same transaction before the membership (sign-up creates both or neither).
    pub new_tenant: Option<yolk_domain::Tenant>,
}

/// How a login names the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginIdentifier {
    /// Lower-cased email.
    Email(String),
    Username(String),
}

/// Sort keys for user lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    #[default]
    CreatedAt,
    Name,
    Email,
    Id,
    Verified,
    IsLocked,
    Provider,
    /// The user's active tenant.
    TenantId,
}

/// Which identifier a prefix search (`_identifier`) matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierKind {
    Email,
    PhoneNumber,
    Username,
}

/// A page of users.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Only members of this tenant.
    pub tenant_id: Option<String>,
    /// Only this (lower-cased) email.
    pub email: Option<String>,
    /// Only these ids.
    pub ids: Option<Vec<Uuid>>,
    /// Case-insensitive substring of name or email.
    pub filter: Option<String>,
    /// Case-insensitive prefix of the name.
    pub name_prefix: Option<String>,
    /// Case-insensitive prefix of one identifier.
    pub identifier: Option<(IdentifierKind, String)>,
    /// Only users with one of these external ids.
    pub external_ids: Option<Vec<String>>,
    pub sort: UserSort,
    pub descending: bool,
    pub limit: u64,
    pub offset: u64,
    /// Whether invisible users are listed.
    pub include_invisible: bool,
}

/// Users.
#[async_trait::async_trait]
pub trait UserStore {
    /// Creates a user and, if given, its first membership and roles, in one transaction.
    /// `Conflict` when the email or username is taken; `NotFound` when the tenant or a role is unknown.
    async fn create_user(&self, new: &NewUser) -> StoreResult<User>;

    /// The user with this id.
    async fn get_user(&self, id: Uuid) -> StoreResult<User>;

    /// The user with this lower-cased email.
    async fn get_user_by_email(&self, normalized_email: &str) -> StoreResult<User>;

    /// The user and password hash a login names, if the user exists.
    async fn login_candidate(&self, ident: &LoginIdentifier) -> StoreResult<Option<(User, Option<String>)>>;

    /// Replaces the password hash.
    async fn set_password_hash(&self, id: Uuid, hash: &str) -> StoreResult<()>;

    /// Reads, mutates and writes back one user in a transaction. `Conflict` if the change clashes (email).
    async fn update_user(&self, id: Uuid, change: Mutation<User>) -> StoreResult<User>;

    /// Deletes a user with its memberships, roles and sessions.
    async fn delete_user(&self, id: Uuid) -> StoreResult<()>;

    /// Users matching `query`, with the total before paging.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<(Vec<User>, u64)>;

    /// The memberships (with roles and their permission ids) of each given user; users without any are absent.
    async fn memberships(&self, user_ids: &[Uuid]) -> StoreResult<HashMap<Uuid, Vec<Membership>>>;

    /// Adds the user to a tenant with roles; `Conflict` if already a member.
    async fn add_membership(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()>;

    /// Removes the user from a tenant (with its roles there); `NotFound` if not a member.
    async fn remove_membership(&self, user_id: Uuid, tenant_id: &str) -> StoreResult<()>;

    /// Enables or disables a membership. Disabling also revokes the user's sessions in that tenant, in the same
    /// transaction. `NotFound` if not a member.
    async fn set_membership_disabled(&self, user_id: Uuid, tenant_id: &str, disabled: bool) -> StoreResult<()>;

    /// Grants roles in a tenant (already-held roles are kept); `NotFound` for a non-member or unknown role.
    async fn assign_roles(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()>;

    /// Revokes roles in a tenant; roles not held are ignored.
    async fn unassign_roles(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()>;

    /// Replaces the user's roles in a tenant.
    async fn set_roles(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()>;

    /// Removes the user from a tenant (roles there and sessions in it included) and, when that was its last
    /// membership, deletes the user; one transaction. Returns whether the user was deleted. `NotFound` if the user
    /// is not a member.
    async fn remove_from_tenant(&self, user_id: Uuid, tenant_id: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Locks or unlocks a user; locking revokes every session of the user in the same transaction.
    async fn set_user_locked(&self, user_id: Uuid, locked: bool, now: DateTime<Utc>) -> StoreResult<User>;

    /// Makes `tenant_id` the user's active tenant, in one transaction: inserts `new_tenant` first when given, and
    /// adds the user to the tenant with `role_ids` when not yet a member. `NotFound` for an unknown user, tenant or
    /// role; `Conflict` when `new_tenant` already exists.
    async fn set_active_tenant(
        &self,
        user_id: Uuid,
        tenant_id: &str,
        new_tenant: Option<&Tenant>,
        role_ids: &[Uuid],
    ) -> StoreResult<User>;

    /// Moves every member of `src_tenant_id` into `target_tenant_id`, in one transaction: members keep their
    /// environment-wide roles (roles owned by the source tenant are dropped), users already in the target keep
    /// that membership, active tenants pointing at the source move to the target, and sessions in the source are
    /// revoked. Returns how many users were moved. `NotFound` when either tenant is unknown.
    async fn migrate_tenant_users(
        &self,
        src_tenant_id: &str,
        target_tenant_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}
