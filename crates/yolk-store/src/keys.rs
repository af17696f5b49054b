//! Signing keys and environment credentials: the state every node must share.

use chrono::{DateTime, Utc};
use yolk_domain::{EnvironmentCredentials, PrivateKey, SigningKey};

use crate::StoreResult;

/// A change of one key's private-half envelope (sealing a clear key, or re-sealing): applied only if the stored
/// envelope is still `from`.
#[derive(Clone, PartialEq)]
pub struct Reseal {
    pub kid: String,
    /// The envelope the caller read.
    pub from: PrivateKey,
    /// The envelope to store instead.
    pub to: PrivateKey,
}

impl std::fmt::Debug for Reseal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reseal({}: {:?} -> {:?})", self.kid, self.from, self.to)
    }
}

/// Keys and credentials.
///
/// The signing keys: one of them holds the *primary* slot (the newest, the one rotation replaces); the others are
/// the keys it superseded that still verify tokens until they are retired.
#[async_trait::async_trait]
pub trait KeyStore {
    /// Stores `candidate` as the signing key unless one exists, and returns the key in the primary slot. Two nodes
    /// starting at once on one database both get the same key.
    async fn ensure_signing_key(&self, candidate: SigningKey) -> StoreResult<SigningKey>;

    /// All signing keys (not retired), by `active_from`, latest first (ties: latest `created_at`, then `kid`).
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;

    /// Puts `new` in the primary slot in place of the key `replaces`, in one transaction; the replaced key stays
    /// (it still verifies). `Invalid` and nothing written if `replaces` is not the primary key any more (another
    /// rotation won).
    async fn rotate_signing_key(&self, new: SigningKey, replaces: &str) -> StoreResult<()>;

    /// Applies every change whose key still has the `from` envelope, in one transaction; the others (another node
    /// changed them first) are left as they are. Returns how many keys changed.
    async fn reseal_signing_keys(&self, changes: &[Reseal]) -> StoreResult<usize>;

    /// Deletes the key `kid` unless it is the primary one. Returns whether a key was deleted.
    async fn retire_signing_key(&self, kid: &str) -> StoreResult<bool>;

    /// The stored environment credentials, if any.
    async fn credentials(&self) -> StoreResult<Option<EnvironmentCredentials>>;

    /// Replaces the environment credentials.
    async fn set_credentials(&self, creds: &EnvironmentCredentials, now: DateTime<Utc>) -> StoreResult<()>;

    /// Stores `creds` unless credentials exist; returns those in force and whether `creds` were stored.
    async fn ensure_credentials(
        &self,
        creds: &EnvironmentCredentials,
        now: DateTime<Utc>,
    ) -> StoreResult<(EnvironmentCredentials, bool)>;
}
