//! Signing keys and environment credentials.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use yolk_domain::{EnvironmentCredentials, SigningKey};
use yolk_store::{KeyStore, StoreResult};

use crate::rows::{RowExt, ms};
use crate::{SqlStore, db_err};

fn key_from_row(r: &AnyRow) -> StoreResult<SigningKey> {
    Ok(SigningKey {
        kid: r.text("kid")?,
        private_pem: r.text("private_pem")?,
        public_pem: r.text("public_pem")?,
        created_at: r.time("created_at")?,
    })
}

fn credentials_from_row(r: &AnyRow) -> StoreResult<EnvironmentCredentials> {
    Ok(EnvironmentCredentials { client_id: r.text("client_id")?, secret_sha256: r.text("secret_sha256")? })
}

const CREDENTIALS: &str = "SELECT client_id, secret_sha256 FROM environment_credentials WHERE id = 1";

#[async_trait::async_trait]
impl KeyStore for SqlStore {
    async fn ensure_signing_key(&self, candidate: SigningKey) -> StoreResult<SigningKey> {
        // The `slot` unique constraint makes the first insert win; a losing node reads the winner's key.
        sqlx::query(
            "INSERT INTO signing_keys (kid, slot, private_pem, public_pem, created_at) VALUES ($1, 'primary', $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(&candidate.kid)
        .bind(&candidate.private_pem)
        .bind(&candidate.public_pem)
        .bind(ms(candidate.created_at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        let row = sqlx::query("SELECT * FROM signing_keys WHERE slot = 'primary'")
            .fetch_one(&self.write)
            .await
            .map_err(db_err)?;
        key_from_row(&row)
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at DESC")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(key_from_row).collect()
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
