//! Single-use secrets.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use yolk_domain::{TenantId, UserId};
use yolk_store::{Entity, LiveSecret, SecretPurpose, SecretStore, StoreResult};

use crate::rows::{Arg, Decode, RowExt, missing, ms};
use crate::users::revoke_user_sessions;
use crate::{SqlStore, db_err};

impl Decode for LiveSecret {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(LiveSecret { id: r.text("id")?, hash: r.text("secret_hash")?, code_hash: r.opt_text("code_hash")? })
    }
}

#[async_trait::async_trait]
impl SecretStore for SqlStore {
    async fn issue_secret(
        &self,
        user: UserId,
        purpose: SecretPurpose,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query("DELETE FROM one_time_secrets WHERE user_id = $1 AND purpose = $2 AND spent_at IS NULL")
            .bind(user.to_string())
            .bind(purpose.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO one_time_secrets (id, user_id, purpose, secret_hash, created_at, expires_at, spent_at,
                                           failed_attempts)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, 0)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(user.to_string())
        .bind(purpose.as_str())
        .bind(hash)
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        tx.commit().await.map_err(db_err)
    }

    async fn set_secret_code(
        &self,
        user: UserId,
        purpose: SecretPurpose,
        tenant: Option<&TenantId>,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // Issuing drops the older unspent secrets of the purpose (and tenant): at most one row matches.
        let updated = sqlx::query(
            "UPDATE one_time_secrets SET code_hash = $1
             WHERE user_id = $2 AND purpose = $3 AND spent_at IS NULL AND expires_at > $4
               AND ($5 = '' OR tenant_id = $5)",
        )
        .bind(code_hash)
        .bind(user.to_string())
        .bind(purpose.as_str())
        .bind(ms(now))
        .bind(tenant.map(|t| t.as_str().to_owned()).unwrap_or_default())
        .execute(&self.write)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(updated > 0)
    }

    async fn live_secret(
        &self,
        user: UserId,
        purpose: SecretPurpose,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveSecret>> {
        let sql = "SELECT id, secret_hash, code_hash FROM one_time_secrets
             WHERE user_id = $1 AND purpose = $2 AND spent_at IS NULL AND expires_at > $3 AND failed_attempts < $4
             ORDER BY created_at DESC LIMIT 1";
        let user = user.to_string();
        let args = [Arg::from(&user), Arg::from(purpose.as_str()), ms(now).into(), max_failures.into()];
        Ok(self.fetch_bounded(sql, &args).await?.pop())
    }

    async fn spend_secret(
        &self,
        purpose: SecretPurpose,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE one_time_secrets SET spent_at = $1
             WHERE secret_hash = $2 AND purpose = $3 AND spent_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(ms(now))
        .bind(hash)
        .bind(purpose.as_str())
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        user.map(|u| UserId::parse(&u).map_err(|_| yolk_store::StoreError::Backend("bad user id in store".into())))
            .transpose()
    }

    async fn issue_invitation_secret(
        &self,
        user: UserId,
        tenant: &TenantId,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let purpose = SecretPurpose::Invitation.as_str();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query(
            "DELETE FROM one_time_secrets WHERE user_id = $1 AND purpose = $2 AND tenant_id = $3 AND spent_at IS NULL",
        )
        .bind(user.to_string())
        .bind(purpose)
        .bind(tenant.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO one_time_secrets (id, user_id, purpose, secret_hash, created_at, expires_at, spent_at,
                                           failed_attempts, tenant_id)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, 0, $7)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(user.to_string())
        .bind(purpose)
        .bind(hash)
        .bind(ms(now))
        .bind(ms(expires_at))
        .bind(tenant.as_str())
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        tx.commit().await.map_err(db_err)
    }

    async fn live_invitation_secrets(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Vec<LiveSecret>> {
        let sql = "SELECT id, secret_hash, code_hash FROM one_time_secrets
             WHERE user_id = $1 AND purpose = $2 AND spent_at IS NULL AND expires_at > $3 AND failed_attempts < $4
             ORDER BY created_at DESC LIMIT 100";
        let user = user.to_string();
        let purpose = SecretPurpose::Invitation.as_str();
        let args = [Arg::from(&user), Arg::from(purpose), ms(now).into(), max_failures.into()];
        self.fetch_bounded(sql, &args).await
    }

    async fn fail_user_secrets(&self, user: UserId, purpose: SecretPurpose, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE one_time_secrets SET failed_attempts = failed_attempts + 1
             WHERE user_id = $1 AND purpose = $2 AND spent_at IS NULL AND expires_at > $3",
        )
        .bind(user.to_string())
        .bind(purpose.as_str())
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn activate_with_secret(
        &self,
        secret_id: &str,
        user: UserId,
        password_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if spend_by_id(&mut tx, secret_id, user, SecretPurpose::Activation, now).await?.is_none() {
            return Ok(false);
        }
        let verified = sqlx::query("UPDATE users SET verified = 1, updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if verified == 0 {
            return Ok(false);
        }
        if let Some(hash) = password_hash
            && !set_password_hash(&mut tx, user, hash, now).await?
        {
            return Ok(false);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn unlock_with_secret(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<UserId>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE one_time_secrets SET spent_at = $1
             WHERE secret_hash = $2 AND purpose = $3 AND spent_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(ms(now))
        .bind(hash)
        .bind(SecretPurpose::Unlock.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(user) = user else { return Ok(None) };
        let unlocked = sqlx::query("UPDATE users SET locked = 0, failed_logins = 0, updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if unlocked == 0 {
            return Ok(None);
        }
        tx.commit().await.map_err(db_err)?;
        UserId::parse(&user).map(Some).map_err(|_| yolk_store::StoreError::Backend("bad user id in store".into()))
    }

    async fn accept_invitation_with_secret(
        &self,
        secret_id: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TenantId>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let Some(tenant) = spend_by_id(&mut tx, secret_id, user, SecretPurpose::Invitation, now).await?.flatten()
        else {
            return Ok(None);
        };
        let accepted = sqlx::query("UPDATE memberships SET pending = 0 WHERE user_id = $1 AND tenant_id = $2")
            .bind(user.to_string())
            .bind(&tenant)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if accepted == 0 {
            return Ok(None);
        }
        // An unverified account was registered by someone who never proved the address: the mailbox owner, who
        // just did, takes it over without the password and sessions the registrant set up.
        let unverified = sqlx::query(
            "UPDATE users SET verified = 1, password_hash = NULL, failed_logins = 0, updated_at = $1
             WHERE id = $2 AND verified = 0",
        )
        .bind(ms(now))
        .bind(user.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if unverified > 0 {
            revoke_user_sessions(&mut tx, user, now).await?;
        }
        tx.commit().await.map_err(db_err)?;
        let tenant =
            TenantId::parse(&tenant).map_err(|_| yolk_store::StoreError::Backend("bad tenant id in store".into()))?;
        Ok(Some(tenant))
    }

    async fn fail_secret(&self, id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE one_time_secrets SET failed_attempts = failed_attempts + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn reset_password_with_secret(
        &self,
        secret_id: &str,
        user: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Spending is the linearization point: of two resets with one secret, one spends it.
        let spent = sqlx::query(
            "UPDATE one_time_secrets SET spent_at = $1
             WHERE id = $2 AND user_id = $3 AND purpose = $4 AND spent_at IS NULL AND expires_at > $1",
        )
        .bind(ms(now))
        .bind(secret_id)
        .bind(user.to_string())
        .bind(SecretPurpose::PasswordReset.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if spent == 0 {
            return Ok(false);
        }
        if !set_password_hash(&mut tx, user, password_hash, now).await? {
            return Ok(false);
        }
        revoke_user_sessions(&mut tx, user, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<yolk_domain::SessionId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if !set_password_hash(&mut tx, user, password_hash, now).await? {
            return Err(yolk_store::StoreError::NotFound(Entity::User));
        }
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3")
            .bind(ms(now))
            .bind(user.to_string())
            .bind(keep.map(|s| s.to_string()).unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }
}

/// Spends the user's secret `id` of `purpose` if it is still unspent and unexpired at `now` (the linearization
/// point of every use of a secret): `Some(its tenant id)` when spent, `None` when it was no longer usable.
async fn spend_by_id(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    user: UserId,
    purpose: SecretPurpose,
    now: DateTime<Utc>,
) -> StoreResult<Option<Option<String>>> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "UPDATE one_time_secrets SET spent_at = $1
         WHERE id = $2 AND user_id = $3 AND purpose = $4 AND spent_at IS NULL AND expires_at > $1
         RETURNING tenant_id",
    )
    .bind(ms(now))
    .bind(id)
    .bind(user.to_string())
    .bind(purpose.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    Ok(row.map(|(t,)| t))
}

/// Sets a user's password hash and clears its failed-login count, in the caller's transaction; `false` when there is
/// no such user.
async fn set_password_hash(
    tx: &mut sqlx::AnyConnection,
    user: UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let id = user.to_string();
    // The password replaced goes to the history (the newest `HISTORY_KEPT` are kept).
    sqlx::query(
        "INSERT INTO password_history (id, user_id, password_hash, created_at)
         SELECT $1, id, password_hash, $2 FROM users WHERE id = $3 AND password_hash IS NOT NULL",
    )
    // A time-ordered id: replacements within one millisecond (or under a clock that stands still) keep their order.
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(ms(now))
    .bind(&id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = $1 AND id NOT IN
           (SELECT id FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)",
    )
    .bind(&id)
    .bind(yolk_store::passwords::HISTORY_KEPT)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let updated = sqlx::query(
        "UPDATE users SET password_hash = $1, failed_logins = 0, password_changed_at = $2, updated_at = $2
         WHERE id = $3",
    )
    .bind(password_hash)
    .bind(ms(now))
    .bind(&id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(updated > 0)
}
