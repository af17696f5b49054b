//! `PasswordHistoryStore`.

use chrono::{DateTime, Utc};
use yolk_domain::UserId;
use yolk_store::{Entity, PasswordHistoryStore, StoreError, StoreResult};

use crate::SqlStore;
use crate::rows::{Arg, Decode, RowExt, from_ms};

struct Hash(String);

impl Decode for Hash {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Hash(r.text("password_hash")?))
    }
}

struct SetAt(Option<i64>);

impl Decode for SetAt {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(SetAt(r.opt_int("set_at")?))
    }
}

#[async_trait::async_trait]
impl PasswordHistoryStore for SqlStore {
    async fn recent_password_hashes(&self, user: UserId, n: i64) -> StoreResult<Vec<String>> {
        let id = user.to_string();
        let current: Vec<Hash> = self
            .fetch_bounded(
                "SELECT password_hash FROM users WHERE id = $1 AND password_hash IS NOT NULL",
                &[Arg::from(&id)],
            )
            .await?;
        let older: Vec<Hash> = self
            .fetch_bounded(
                "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                &[Arg::from(&id), n.into()],
            )
            .await?;
        let n = usize::try_from(n).unwrap_or(0);
        Ok(current.into_iter().chain(older).map(|h| h.0).take(n).collect())
    }

    async fn password_set_at(&self, user: UserId) -> StoreResult<Option<DateTime<Utc>>> {
        let id = user.to_string();
        let sql = "SELECT CASE WHEN password_hash IS NULL THEN NULL ELSE COALESCE(password_changed_at, created_at) END
                   AS set_at FROM users WHERE id = $1";
        let rows: Vec<SetAt> = self.fetch_bounded(sql, &[Arg::from(&id)]).await?;
        let row = rows.into_iter().next().ok_or(StoreError::NotFound(Entity::User))?;
        Ok(row.0.map(from_ms))
    }
}
