//! Configuration documents: small JSON values addressed by a key (vendor configuration, account settings, ...).

use crate::{Mutation, StoreResult};

/// Settings documents.
#[async_trait::async_trait]
pub trait SettingsStore {
    /// The document under `key`, if set.
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Replaces the document under `key`.
    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> StoreResult<()>;

    /// Reads, changes and writes back the document under `key` in one transaction (concurrent updates on any
    /// node serialize: none is lost). The mutation sees `None` when the key is unset and may set `None` to remove
    /// it. Returns the document as stored.
    async fn update_setting(
        &self,
        key: &str,
        change: Mutation<Option<serde_json::Value>>,
    ) -> StoreResult<Option<serde_json::Value>>;

    /// Removes the document under `key`; absent is fine.
    async fn delete_setting(&self, key: &str) -> StoreResult<()>;
}
