//! Signing keys and environment credentials.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use yolk_domain::{EnvironmentCredentials, PrivateKey, SigningKey};
use yolk_store::keys::Reseal;
use yolk_store::{KeyStore, StoreError, StoreResult};

use crate::rows::{RowExt, ms};
use crate::{SqlStore, db_err};

fn key_from_row(r: &AnyRow) -> StoreResult<SigningKey> {
    Ok(SigningKey {
        kid: r.text("kid")?,
        private_key: PrivateKey::from_stored(r.text("protection")?, r.text("private_pem")?),
        public_pem: r.text("public_pem")?,
        created_at: r.time("created_at")?,
        active_from: r.time("active_from")?,
    })
}

fn credentials_from_row(r: &AnyRow) -> StoreResult<EnvironmentCredentials> {
    Ok(EnvironmentCredentials { client_id: r.text("client_id")?, secret_sha256: r.text("secret_sha256")? })
}

const CREDENTIALS: &str = "SELECT client_id, secret_sha256 FROM environment_credentials WHERE id = 1";

/// Inserts a key into the primary slot.
macro_rules! insert_key_sql {
    () => {
        "INSERT INTO signing_keys (kid, slot, private_pem, protection, public_pem, created_at, active_from)
         VALUES ($1, 'primary', $2, $3, $4, $5, $6)"
    };
}
const INSERT_KEY: &str = insert_key_sql!();
const INSERT_KEY_IF_NONE: &str = concat!(insert_key_sql!(), " ON CONFLICT DO NOTHING");

fn insert_key<'q>(
    sql: &'static str,
    key: &'q SigningKey,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(sql)
        .bind(&key.kid)
        .bind(key.private_key.stored_text())
        .bind(key.private_key.scheme())
        .bind(&key.public_pem)
        .bind(ms(key.created_at))
        .bind(ms(key.active_from))
}

#[async_trait::async_trait]
impl KeyStore for SqlStore {
    async fn ensure_signing_key(&self, candidate: SigningKey) -> StoreResult<SigningKey> {
        // The `slot` unique constraint makes the first insert win; a losing node reads the winner's key.
        insert_key(INSERT_KEY_IF_NONE, &candidate).execute(&self.write).await.map_err(db_err)?;
        let row = sqlx::query("SELECT * FROM signing_keys WHERE slot = 'primary'")
            .fetch_one(&self.write)
            .await
            .map_err(db_err)?;
        key_from_row(&row)
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY active_from DESC, created_at DESC, kid DESC")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn rotate_signing_key(&self, new: SigningKey, replaces: &str) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Compare-and-swap on the primary slot: a concurrent rotation waits on the row lock here and then finds
        // the slot moved (0 rows), instead of clashing on the insert.
        let moved = sqlx::query("UPDATE signing_keys SET slot = NULL WHERE slot = 'primary' AND kid = $1")
            .bind(replaces)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if moved != 1 {
            return Err(StoreError::Invalid(format!(
                "the signing key {replaces} is no longer the newest (another rotation ran meanwhile); nothing changed"
            )));
        }
        insert_key(INSERT_KEY, &new).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn reseal_signing_keys(&self, changes: &[Reseal]) -> StoreResult<usize> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut changed = 0;
        for c in changes {
            let n = sqlx::query(
                "UPDATE signing_keys SET private_pem = $1, protection = $2
                 WHERE kid = $3 AND private_pem = $4 AND protection = $5",
            )
            .bind(c.to.stored_text())
            .bind(c.to.scheme())
            .bind(&c.kid)
            .bind(c.from.stored_text())
            .bind(c.from.scheme())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            changed += usize::try_from(n).unwrap_or(0);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(changed)
    }

    async fn retire_signing_key(&self, kid: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM signing_keys WHERE kid = $1 AND slot IS NULL")
            .bind(kid)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn credentials(&self) -> StoreResult<Option<EnvironmentCredentials>> {
        let row = sqlx::query(CREDENTIALS).fetch_optional(&self.read).await.map_err(db_err)?;
        row.as_ref().map(credentials_from_row).transpose()
    }

    async fn set_credentials(&self, creds: &EnvironmentCredentials, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO environment_credentials (id, client_id, secret_sha256, updated_at) VALUES (1, $1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, secret_sha256 = excluded.secret_sha256,
             updated_at = excluded.updated_at",
        )
        .bind(&creds.client_id)
        .bind(&creds.secret_sha256)
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn ensure_credentials(
        &self,
        creds: &EnvironmentCredentials,
        now: DateTime<Utc>,
    ) -> StoreResult<(EnvironmentCredentials, bool)> {
        let inserted = sqlx::query(
            "INSERT INTO environment_credentials (id, client_id, secret_sha256, updated_at) VALUES (1, $1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(&creds.client_id)
        .bind(&creds.secret_sha256)
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(db_err)?
        .rows_affected()
            == 1;
        let row = sqlx::query(CREDENTIALS).fetch_one(&self.write).await.map_err(db_err)?;
        Ok((credentials_from_row(&row)?, inserted))
    }
}
