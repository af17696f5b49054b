//! Settings documents.

use chrono::{DateTime, Utc};
use yolk_store::{Mutation, SettingsStore, StoreError, StoreResult};

use crate::rows::{RowExt, ms};
use crate::{SqlStore, db_err};

fn decode(key: &str, raw: &str) -> StoreResult<Option<serde_json::Value>> {
    // A JSON `null` stands for "unset" (only inside `update_setting`'s transaction: it never commits).
    match serde_json::from_str(raw) {
        Ok(serde_json::Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(e) => Err(StoreError::Backend(format!("setting {key}: {e}"))),
    }
}

#[async_trait::async_trait]
impl SettingsStore for SqlStore {
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        match row {
            Some(r) => decode(key, &r.text("value")?),
            None => Ok(None),
        }
    }

    async fn update_setting(
        &self,
        key: &str,
        change: Mutation<Option<serde_json::Value>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<serde_json::Value>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Insert-or-touch takes the row lock (PostgreSQL) or the write lock (SQLite) before the read, even when
        // the key does not exist yet; a JSON `null` stands for "unset" until the write below.
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, 'null', $2)
             ON CONFLICT (key) DO UPDATE SET updated_at = settings.updated_at",
        )
        .bind(key)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let raw: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut value = decode(key, &raw)?;
        change(&mut value)?;
        match &value {
            Some(v) => {
                sqlx::query("UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3")
                    .bind(v.to_string())
                    .bind(ms(now))
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
}
