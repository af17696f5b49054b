//! Settings documents.

use chrono::Utc;
use yolk_store::{SettingsStore, StoreError, StoreResult};

use crate::rows::{RowExt, ms};
use crate::{SqlStore, db_err};

#[async_trait::async_trait]
impl SettingsStore for SqlStore {
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.map(|r| {
            serde_json::from_str(&r.text("value")?).map_err(|e| StoreError::Backend(format!("setting {key}: {e}")))
        })
        .transpose()
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.to_string())
        .bind(ms(Utc::now()))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_setting(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }
}
