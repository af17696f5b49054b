//! SCIM 2.0 provisioning: connections (a tenant's provisioning configuration and its bearer token), the users and
//! groups each connection provisioned, and the filter a SCIM list runs.
//!
//! Everything a SCIM client reads or writes is addressed through its connection: a user or group of another
//! connection is `NotFound`, exactly like an unknown one.

use chrono::{DateTime, Utc};
use yolk_domain::{TenantId, UserId};

use crate::users::NewUser;
use crate::{Mutation, PageRequest, StoreResult};

/// A SCIM connection of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimConnection {
    /// A random UUID, as text.
    pub id: String,
    pub tenant_id: TenantId,
    pub connection_name: String,
    /// `frontegg`, `okta`, `azure-ad` or `other`.
    pub source: String,
    /// Whether provisioned users become members of the tenant (see ARCHITECTURE.md, *SCIM provisioning*).
    pub sync_to_user_management: bool,
    /// How many users the connection holds (maintained by every write that adds or removes one).
    pub users_count: u64,
    /// When a SCIM client last changed a user or group through it.
    pub last_sync: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of the environment's list of connections (all optional, combined with AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScimConnectionQuery {
    pub tenant_id: Option<TenantId>,
    pub source: Option<String>,
    pub connection_name: Option<String>,
    pub id: Option<String>,
}

/// A provisioned user: the directory record of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    /// The id of the yolk user that backs it when `member`, else a fresh one.
    pub id: UserId,
    pub connection_id: String,
    /// Unique within the connection, case-insensitively.
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    /// The primary (else first) email, as sent.
    pub email: Option<String>,
    pub active: bool,
    /// Whether a yolk user (and a membership in the connection's tenant) backs the record.
    pub member: bool,
    /// The SCIM resource as last written (attributes yolk keeps but does not interpret).
    pub resource: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provisioned group of one connection, with its members (users of the same connection).
#[derive(Debug, Clone, PartialEq)]
pub struct ScimGroup {
    /// A random UUID, as text.
    pub id: String,
    pub connection_id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An attribute a SCIM filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimAttr {
    Id,
    /// Users only; case-insensitive.
    UserName,
    /// Users: the email kept (`emails.value`); case-insensitive.
    Email,
    ExternalId,
    /// Case-insensitive.
    DisplayName,
    /// Users only.
    Active,
}

/// A comparison operator of a SCIM filter (RFC 7644 §3.4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    /// Present: has a value (the compared value is ignored).
    Pr,
}

/// A value compared in a SCIM filter.
#[derive(Debug, Clone, PartialEq)]
pub enum ScimValue {
    Str(String),
    Bool(bool),
    Null,
}

/// A parsed SCIM filter (the parser in yolk-core bounds its size and depth).
#[derive(Debug, Clone, PartialEq)]
pub enum ScimFilter {
    Compare { attr: ScimAttr, op: ScimOp, value: ScimValue },
    And(Box<ScimFilter>, Box<ScimFilter>),
    Or(Box<ScimFilter>, Box<ScimFilter>),
    Not(Box<ScimFilter>),
}

/// SCIM connections and what they provisioned.
#[async_trait::async_trait]
pub trait ScimStore {
    /// Keeps a new connection with the hash of its bearer token. `NotFound(Tenant)` when its tenant does not exist.
    async fn create_scim_connection(&self, connection: &ScimConnection, token_hash: &str) -> StoreResult<()>;

    /// The connections matching every given filter, oldest first.
    async fn list_scim_connections(&self, query: &ScimConnectionQuery) -> StoreResult<Vec<ScimConnection>>;

    /// The connection with this id (in `tenant`, when given); `NotFound(ScimConnection)` otherwise.
    async fn get_scim_connection(&self, id: &str, tenant: Option<&TenantId>) -> StoreResult<ScimConnection>;

    /// The connection whose bearer token hashes to `token_hash`; `NotFound(ScimConnection)` otherwise.
    async fn scim_connection_by_token(&self, token_hash: &str) -> StoreResult<ScimConnection>;

    /// Sets whether the connection syncs to user management (later provisioning; records already kept stay as
    /// they are).
    async fn set_scim_connection_sync(
        &self,
        id: &str,
        tenant: Option<&TenantId>,
        sync: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Deletes the connection with its records (users, groups). With `delete_all`, every member it provisioned is
    /// also removed from the tenant (and deleted when it was its last tenant), in the same transaction; without,
    /// they stay members. `NotFound(ScimConnection)` when there is no such connection (in `tenant`).
    async fn delete_scim_connection(
        &self,
        id: &str,
        tenant: Option<&TenantId>,
        delete_all: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Keeps a new user record of its connection and, with `member`, creates the yolk user it stands for (with
    /// its membership: `member.user.id` must be the record's id) in the same transaction.
    /// `Conflict(ScimUserName)` for a taken `userName` in the connection, `Conflict(UserEmail)`/`Conflict(Username)`
    /// when the yolk user's identifier is taken, `NotFound(ScimConnection)` when the connection is gone.
    async fn create_scim_user(
        &self,
        user: &ScimUser,
        member: Option<&NewUser>,
        now: DateTime<Utc>,
    ) -> StoreResult<ScimUser>;

    /// The connection's user with this id; `NotFound(ScimUser)` otherwise (another connection's included).
    async fn get_scim_user(&self, connection: &str, id: UserId) -> StoreResult<ScimUser>;

    /// A page of the connection's users matching `filter`, oldest first, and how many match in all.
    async fn list_scim_users(
        &self,
        connection: &str,
        filter: Option<&ScimFilter>,
        page: PageRequest,
    ) -> StoreResult<(Vec<ScimUser>, u64)>;

    /// Changes a user record (read-modify-write). For a member, the yolk user follows: `active` enables or disables
    /// its membership (disabling revokes its sessions in the tenant), and its name and external id are the
    /// record's. `NotFound(ScimUser)`, `Conflict(ScimUserName)`.
    async fn update_scim_user(
        &self,
        connection: &str,
        id: UserId,
        change: Mutation<ScimUser>,
        now: DateTime<Utc>,
    ) -> StoreResult<ScimUser>;

    /// Deletes a user record (it leaves its groups); a member is also removed from the tenant (and deleted when
    /// it was its last tenant). `NotFound(ScimUser)`.
    async fn delete_scim_user(&self, connection: &str, id: UserId, now: DateTime<Utc>) -> StoreResult<()>;

    /// Keeps a new group with its members. `NotFound(ScimUser)` when a member is not a user of the connection,
    /// `NotFound(ScimConnection)` when the connection is gone.
    async fn create_scim_group(&self, group: &ScimGroup, now: DateTime<Utc>) -> StoreResult<ScimGroup>;

    /// The connection's group with this id, with its members; `NotFound(ScimGroup)` otherwise.
    async fn get_scim_group(&self, connection: &str, id: &str) -> StoreResult<ScimGroup>;

    /// A page of the connection's groups matching `filter`, oldest first, with their members, and how many match.
    async fn list_scim_groups(
        &self,
        connection: &str,
        filter: Option<&ScimFilter>,
        page: PageRequest,
    ) -> StoreResult<(Vec<ScimGroup>, u64)>;

    /// Changes a group (read-modify-write, members included). `NotFound(ScimGroup)`, `NotFound(ScimUser)` for a
    /// member that is not a user of the connection.
    async fn update_scim_group(
        &self,
        connection: &str,
        id: &str,
        change: Mutation<ScimGroup>,
        now: DateTime<Utc>,
    ) -> StoreResult<ScimGroup>;

    /// Deletes a group (its members stay). `NotFound(ScimGroup)`.
    async fn delete_scim_group(&self, connection: &str, id: &str, now: DateTime<Utc>) -> StoreResult<()>;
}
