//! Settings documents.

use chrono::Utc;
use yolk_store::{Mutation, SettingsStore, StoreError, StoreResult};

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

    async fn update_setting(
        &self,
        key: &str,
        change: Mutation<Option<serde_json::Value>>,
    ) -> StoreResult<Option<serde_json::Value>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Insert-or-touch takes the row lock (PostgreSQL) or the write lock (SQLite) before the read, even when
        // the key does not exist yet; a JSON `null` stands for "unset" until the write below.
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, 'null', $2)
             ON CONFLICT (key) DO UPDATE SET updated_at = settings.updated_at",
        )
        .bind(key)
        .bind(ms(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let raw: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut value: Option<serde_json::Value> =
            serde_json::from_str(&raw).map_err(|e| StoreError::Backend(format!("setting {key}: {e}")))?;
        change(&mut value).map_err(StoreError::Invalid)?;
        match &value {
            Some(v) => {
                sqlx::query("UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3")
                    .bind(v.to_string())
                    .bind(ms(Utc::now()))
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&mut *tx).await.map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(value)
    }

    async fn delete_setting(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }
}
