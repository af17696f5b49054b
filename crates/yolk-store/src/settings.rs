//! Configuration documents: small JSON values addressed by a key (vendor configuration, account settings, ...).

use crate::StoreResult;

/// Settings documents.
#[async_trait::async_trait]
pub trait SettingsStore {
    /// The document under `key`, if set.
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Replaces the document under `key`.
    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> StoreResult<()>;

    /// Removes the document under `key`; absent is fine.
    async fn delete_setting(&self, key: &str) -> StoreResult<()>;
}
