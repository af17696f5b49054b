//! The store's contract. Each aggregate has its own trait; [`Store`] is all of them, held by the server as
//! `Arc<dyn Store>`. Every method is one transaction: a caller never sees `begin()`, and a multi-row change either
//! happens whole or not at all. Uniqueness is enforced by the database and surfaces as [`StoreError::Conflict`]
//! naming the [`Constraint`]. Every write takes `now` from the caller's clock: the store has no clock of its own.
//!
//! Read-modify-write methods (`update_*`) take a [`Mutation`] that runs inside the transaction after the row is
//! locked, so concurrent partial updates on any node serialize instead of losing one another.

pub mod categories;
mod error;
pub mod identifiers;
pub mod invites;
pub mod keys;
pub mod memberships;
pub mod mfa;
pub mod outbox;
pub mod passwords;
pub mod permissions;
pub mod roles;
pub mod scim;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod social;
pub mod sso;
pub mod sso_logins;
pub mod tasks;
pub mod tenants;
pub mod users;

pub use categories::CategoryStore;
pub use error::{Constraint, Entity, StoreError, StoreResult};
pub use identifiers::IdentifierStore;
pub use invites::{TenantInvite, TenantInviteStore};
pub use keys::KeyStore;
pub use memberships::MembershipStore;
pub use mfa::MfaStore;
pub use outbox::OutboxStore;
pub use passwords::PasswordHistoryStore;
pub use permissions::PermissionStore;
pub use roles::RoleStore;
pub use scim::ScimStore;
pub use secrets::{LiveSecret, SecretPurpose, SecretStore};
pub use sessions::{RotateOutcome, SessionGrant, SessionStore, TenantAccess, TokenGrants};
pub use settings::SettingsStore;
pub use social::{SocialProvider, SocialProviderStore};
pub use sso::SsoStore;
pub use sso_logins::{SsoLogin, SsoLoginKind, SsoLoginStore};
pub use tasks::{Task, TaskKind, TaskStore};
pub use tenants::TenantStore;
pub use users::UserStore;

/// A change applied inside the store's transaction, after the row is locked and read. Returning an error (say
/// [`StoreError::Invalid`] with a message for the client) aborts the transaction: nothing is written.
pub type Mutation<T> = Box<dyn FnOnce(&mut T) -> StoreResult<()> + Send>;

/// A page of a list: `limit` rows after skipping `offset` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    pub offset: u64,
}

/// Everything yolk persists.
#[async_trait::async_trait]
pub trait Store:
    TenantStore
    + UserStore
    + MembershipStore
    + RoleStore
    + PermissionStore
    + CategoryStore
    + SessionStore
    + KeyStore
    + SettingsStore
    + OutboxStore
    + SecretStore
    + MfaStore
    + PasswordHistoryStore
    + IdentifierStore
    + TenantInviteStore
    + TaskStore
    + SsoStore
    + SsoLoginStore
    + ScimStore
    + SocialProviderStore
    + Send
    + Sync
    + 'static
{
    /// A cheap round trip proving the store is reachable (used by `/health`).
    async fn ping(&self) -> StoreResult<()>;

    /// Which backend this is, for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
