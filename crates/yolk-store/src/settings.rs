//! Settings documents: small JSON values addressed by a key (the vendor configuration, policies, per-tenant
//! settings as `<kind>:<tenantId>`). The typed layer over them is `yolk_core::settings`.

use chrono::{DateTime, Utc};

use crate::{Mutation, StoreResult};

/// Settings documents.
#[async_trait::async_trait]
pub trait SettingsStore {
    /// The document under `key`, if set.
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Locks, reads, changes and writes back the document under `key` in one transaction (concurrent updates on
    /// any node serialize: none is lost). The mutation sees `None` when the key is unset and may set `None` to
    /// remove it; it creates a document race-free by refusing (`Conflict(Setting)`) when it sees one. Returns the
    /// document as stored.
    async fn update_setting(
        &self,
        key: &str,
        change: Mutation<Option<serde_json::Value>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<serde_json::Value>>;
}
