//! Signing keys and environment credentials: the state every node must share.

use chrono::{DateTime, Utc};
use yolk_domain::{EnvironmentCredentials, SigningKey};

use crate::StoreResult;

/// Keys and credentials.
#[async_trait::async_trait]
pub trait KeyStore {
    /// Stores `candidate` as the signing key unless one exists, and returns the key in force. Two nodes starting
    /// at once on one database both get the same key.
    async fn ensure_signing_key(&self, candidate: SigningKey) -> StoreResult<SigningKey>;

    /// All signing keys, newest first (the first is the one that signs).
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;

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
