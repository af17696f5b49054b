//! `SsoLoginStore`: SSO logins in flight and the SAML replay cache.

use chrono::{DateTime, Utc};
use yolk_store::StoreResult;
use yolk_store::sso_logins::{SsoLogin, SsoLoginKind, SsoLoginStore};

use crate::rows::{RowExt, ms};
use crate::{SqlStore, db_err};

#[async_trait::async_trait]
impl SsoLoginStore for SqlStore {
    async fn start_sso_login(&self, login: &SsoLogin, now: DateTime<Utc>) -> StoreResult<()> {
        // Logins never called back are forgotten here, a few at a time, so the table stays the size of the logins
        // in flight.
        sqlx::query("DELETE FROM sso_logins WHERE id IN (SELECT id FROM sso_logins WHERE expires_at < $1 LIMIT 100)")
            .bind(ms(now))
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO sso_logins (id, kind, configuration_id, payload, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&login.id)
        .bind(login.kind.as_str())
        .bind(&login.configuration_id)
        .bind(login.payload.as_deref())
        .bind(ms(login.expires_at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn take_sso_login(&self, id: &str, kind: SsoLoginKind, now: DateTime<Utc>) -> StoreResult<Option<SsoLogin>> {
        let row = sqlx::query(
            "DELETE FROM sso_logins WHERE id = $1 AND kind = $2
             RETURNING id, configuration_id, payload, expires_at",
        )
        .bind(id)
        .bind(kind.as_str())
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let login = SsoLogin {
            id: row.text("id")?,
            kind,
            configuration_id: row.text("configuration_id")?,
            payload: row.opt_text("payload")?,
            expires_at: row.time("expires_at")?,
        };
        Ok((login.expires_at > now).then_some(login))
    }

    async fn record_assertion(&self, id: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<bool> {
        sqlx::query(
            "DELETE FROM seen_assertions WHERE id IN (SELECT id FROM seen_assertions WHERE expires_at < $1 LIMIT 100)",
        )
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        let done =
            sqlx::query("INSERT INTO seen_assertions (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                .bind(id)
                .bind(ms(expires_at))
                .execute(&self.write)
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}
