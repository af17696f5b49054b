//! Users: the rows, their credentials and lookups. Memberships are in [`crate::memberships`].

use chrono::{DateTime, Utc};
use yolk_domain::{RoleId, Tenant, TenantId, User, UserId};

use crate::{Mutation, PageRequest, StoreResult};

/// A user to create, with the membership it starts with.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    /// argon2id PHC string, or none for a user without a password (invited, SSO).
    pub password_hash: Option<String>,
    /// The tenant it joins (with `role_ids`), if any.
    pub tenant_id: Option<TenantId>,
    pub role_ids: Vec<RoleId>,
    /// A tenant created in the same transaction before the membership (sign-up creates both or neither).
    pub new_tenant: Option<Tenant>,
}

/// How a login names the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginIdentifier {
    /// An email, in any spelling: the store compares its normalized form (`values::normalize_email`).
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

/// Which users to list, in what order.
#[derive(Debug, Clone)]
pub struct UserQuery {
    /// Only members of this tenant.
    pub tenant_id: Option<TenantId>,
    /// Only this email, in any spelling.
    pub email: Option<String>,
    /// Only these ids.
    pub ids: Option<Vec<UserId>>,
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
    pub page: PageRequest,
    /// Whether invisible users are listed.
    pub include_invisible: bool,
}

impl UserQuery {
    /// Every visible user, by creation time, one page: the query other ones start from (`..UserQuery::all(page)`).
    pub fn all(page: PageRequest) -> Self {
        Self {
            tenant_id: None,
            email: None,
            ids: None,
            filter: None,
            name_prefix: None,
            identifier: None,
            external_ids: None,
            sort: UserSort::CreatedAt,
            descending: false,
            page,
            include_invisible: false,
        }
    }
}

/// Users.
#[async_trait::async_trait]
pub trait UserStore {
    /// Creates a user and, if given, its first membership and roles (and the tenant it founds), in one
    /// transaction. `Conflict` when the email or username is taken; `NotFound` when the tenant or a role is unknown.
    async fn create_user(&self, new: &NewUser) -> StoreResult<User>;

    /// The user with this id.
    async fn get_user(&self, id: UserId) -> StoreResult<User>;

    /// The user with this email, in any spelling (the store compares normalized forms).
    async fn get_user_by_email(&self, email: &str) -> StoreResult<User>;

    /// The user and password hash a login names, if the user exists.
    async fn login_candidate(&self, ident: &LoginIdentifier) -> StoreResult<Option<(User, Option<String>)>>;

    /// Locks, reads, mutates and writes back one user (`updated_at` = `now`). `Conflict` if the change clashes
    /// (email, username).
    async fn update_user(&self, id: UserId, change: Mutation<User>, now: DateTime<Utc>) -> StoreResult<User>;

    /// Records a successful login at `now` (`lastLogin`), without touching `updatedAt`; clears the failed-attempt
    /// count.
    async fn record_login(&self, id: UserId, now: DateTime<Utc>) -> StoreResult<User>;

    /// Locks or unlocks a user; locking revokes every session of the user in the same transaction, unlocking
    /// clears the failed-attempt count.
    async fn set_user_locked(&self, id: UserId, locked: bool, now: DateTime<Utc>) -> StoreResult<User>;

    /// Reserves one password attempt before the password is checked: counts it and answers the count, atomically,
    /// unless the user is locked or already has `max` uncleared failures (then `None`, nothing counted). Of any
    /// number of concurrent attempts on any nodes, at most `max` are let through.
    async fn reserve_login_attempt(&self, id: UserId, max: i64) -> StoreResult<Option<i64>>;

    /// Settles a reserved attempt: a correct password clears the count; an attempt that could not be checked (the
    /// hasher refused it) is given back.
    async fn settle_login_attempt(&self, id: UserId, succeeded: bool) -> StoreResult<()>;

    /// Deletes a user with its memberships, roles and sessions.
    async fn delete_user(&self, id: UserId) -> StoreResult<()>;

    /// Users matching `query`, with the total before paging.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<(Vec<User>, u64)>;
}
