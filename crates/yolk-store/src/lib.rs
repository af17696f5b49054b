//! The store's contract. Each aggregate has its own trait; [`Store`] is all of them, held by the server as
//! `Arc<dyn Store>`. Every method is one transaction: a caller never sees `begin()`, and a multi-row change either
//! happens whole or not at all. Uniqueness is enforced by the database and surfaces as [`StoreError::Conflict`].

mod error;
pub mod keys;
pub mod roles;
pub mod sessions;
pub mod settings;
pub mod tenants;
pub mod users;

pub use error::{StoreError, StoreResult};
pub use keys::KeyStore;
pub use roles::RoleStore;
pub use sessions::{RotateOutcome, SessionStore};
pub use settings::SettingsStore;
pub use tenants::TenantStore;
pub use users::UserStore;

/// A mutation applied inside the store's transaction, after the row is read and locked.
/// Returning `Err(message)` aborts the transaction with [`StoreError::Invalid`].
pub type Mutation<T> = Box<dyn FnOnce(&mut T) -> Result<(), String> + Send>;

/// Everything yolk persists.
#[async_trait::async_trait]
pub trait Store:
    TenantStore + UserStore + RoleStore + SessionStore + KeyStore + SettingsStore + Send + Sync + 'static
{
    /// A cheap round trip proving the store is reachable (used by `/health`).
    async fn ping(&self) -> StoreResult<()>;

    /// Which backend this is, for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
