//! `MfaStore`: devices, recovery codes, challenges and remembered devices.

use chrono::{DateTime, Utc};
use yolk_domain::UserId;
use yolk_store::mfa::{ChallengeKind, Enrollment, LiveChallenge, MfaDevice, MfaDeviceKind, NewChallenge, Passkey};
use yolk_store::{Entity, MfaStore, StoreError, StoreResult};

use crate::rows::{Arg, Decode, RowExt, execute, missing, ms};
use crate::{SqlStore, db_err};

impl Decode for MfaDevice {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let kind = r.text("kind")?;
        Ok(MfaDevice {
            id: r.text("id")?,
            user_id: r.id("user_id")?,
            kind: MfaDeviceKind::parse(&kind)
                .ok_or_else(|| StoreError::Backend(format!("unknown MFA device kind {kind:?} in store")))?,
            totp_secret: r.opt_text("totp_secret")?,
            phone_number: r.opt_text("phone_number")?,
            last_step: r.int("last_step")?,
            credential_id: r.opt_text("credential_id")?,
            webauthn: r.opt_text("webauthn")?,
            created_at: r.time("created_at")?,
        })
    }
}

impl Decode for Passkey {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Passkey {
            id: r.text("id")?,
            user_id: r.id("user_id")?,
            credential_id: r.text("credential_id")?,
            credential: r.text("credential")?,
            device_type: r.text("device_type")?,
            created_at: r.time("created_at")?,
        })
    }
}

impl Decode for LiveChallenge {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(LiveChallenge {
            id: r.text("id")?,
            user_id: r.id("user_id")?,
            payload: r.opt_text("payload")?,
            expires_at: r.time("expires_at")?,
        })
    }
}

/// Whether a string is present, for the `recovery_code_hash` read.
struct Hash(String);

impl Decode for Hash {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Hash(r.text("code_hash")?))
    }
}

const SPEND: &str = "UPDATE mfa_challenges SET spent_at = $1 WHERE id = $2 AND spent_at IS NULL AND expires_at > $1";

#[async_trait::async_trait]
impl MfaStore for SqlStore {
    async fn mfa_devices(&self, user: UserId) -> StoreResult<Vec<MfaDevice>> {
        let user = user.to_string();
        self.fetch_bounded("SELECT * FROM mfa_devices WHERE user_id = $1 ORDER BY created_at, id", &[Arg::from(&user)])
            .await
    }

    async fn enroll_mfa_device(&self, e: Enrollment<'_>, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for id in e.spend {
            if execute(&mut tx, SPEND, &[ms(now).into(), Arg::from(*id)]).await? == 0 {
                return Ok(false);
            }
        }
        let d = e.device;
        sqlx::query(
            "INSERT INTO mfa_devices (id, user_id, kind, totp_secret, phone_number, last_step, credential_id, webauthn,
                                      created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&d.id)
        .bind(d.user_id.to_string())
        .bind(d.kind.as_str())
        .bind(d.totp_secret.as_deref())
        .bind(d.phone_number.as_deref())
        .bind(d.last_step)
        .bind(d.credential_id.as_deref())
        .bind(d.webauthn.as_deref())
        .bind(ms(d.created_at))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        if let Some(hash) = e.recovery_code_hash {
            sqlx::query(
                "INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(d.user_id.to_string())
            .bind(hash)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn accept_totp_step(&self, device_id: &str, step: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE mfa_devices SET last_step = $1 WHERE id = $2 AND last_step < $1")
            .bind(step)
            .bind(device_id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_mfa_devices(&self, user: UserId, device_id: Option<&str>) -> StoreResult<u64> {
        let user = user.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let removed = match device_id {
            Some(id) => {
                execute(
                    &mut tx,
                    "DELETE FROM mfa_devices WHERE user_id = $1 AND id = $2",
                    &[Arg::from(&user), Arg::from(id)],
                )
                .await?
            }
            None => execute(&mut tx, "DELETE FROM mfa_devices WHERE user_id = $1", &[Arg::from(&user)]).await?,
        };
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM mfa_devices WHERE user_id = $1")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if left == 0 {
            execute(&mut tx, "DELETE FROM mfa_recovery_codes WHERE user_id = $1", &[Arg::from(&user)]).await?;
            execute(&mut tx, "DELETE FROM mfa_remembered_devices WHERE user_id = $1", &[Arg::from(&user)]).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(removed)
    }

    async fn recovery_code_hash(&self, user: UserId) -> StoreResult<Option<String>> {
        let user = user.to_string();
        let rows: Vec<Hash> = self
            .fetch_bounded("SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1", &[Arg::from(&user)])
            .await?;
        Ok(rows.into_iter().next().map(|h| h.0))
    }

    async fn recover_mfa(&self, user: UserId, hash: &str) -> StoreResult<bool> {
        let user = user.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let used = execute(
            &mut tx,
            "DELETE FROM mfa_recovery_codes WHERE user_id = $1 AND code_hash = $2",
            &[Arg::from(&user), Arg::from(hash)],
        )
        .await?;
        if used == 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM mfa_devices WHERE user_id = $1",
            "DELETE FROM mfa_remembered_devices WHERE user_id = $1",
            "DELETE FROM mfa_challenges WHERE user_id = $1",
        ] {
            execute(&mut tx, sql, &[Arg::from(&user)]).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn issue_challenge(&self, c: NewChallenge<'_>, now: DateTime<Utc>) -> StoreResult<()> {
        let user = c.user_id.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if c.kind != ChallengeKind::Code {
            execute(
                &mut tx,
                "DELETE FROM mfa_challenges WHERE user_id = $1 AND kind = $2 AND spent_at IS NULL",
                &[Arg::from(&user), Arg::from(c.kind.as_str())],
            )
            .await?;
        }
        // Spent and expired challenges of the user go too: the table holds only what may still matter.
        execute(
            &mut tx,
            "DELETE FROM mfa_challenges WHERE user_id = $1 AND expires_at <= $2",
            &[Arg::from(&user), ms(now).into()],
        )
        .await?;
        sqlx::query(
            "INSERT INTO mfa_challenges (id, user_id, kind, token_hash, payload, created_at, expires_at, spent_at,
                                         failed_attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 0)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&user)
        .bind(c.kind.as_str())
        .bind(c.token_hash)
        .bind(c.payload)
        .bind(ms(now))
        .bind(ms(c.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        tx.commit().await.map_err(db_err)
    }

    async fn challenge_by_token(
        &self,
        kind: ChallengeKind,
        token_hash: &str,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveChallenge>> {
        let sql = "SELECT id, user_id, payload, expires_at FROM mfa_challenges
             WHERE token_hash = $1 AND kind = $2 AND spent_at IS NULL AND expires_at > $3 AND failed_attempts < $4";
        let args = [Arg::from(token_hash), Arg::from(kind.as_str()), ms(now).into(), max_failures.into()];
        Ok(self.fetch_bounded(sql, &args).await?.pop())
    }

    async fn user_challenge(
        &self,
        user: UserId,
        kind: ChallengeKind,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveChallenge>> {
        let sql = "SELECT id, user_id, payload, expires_at FROM mfa_challenges
             WHERE user_id = $1 AND kind = $2 AND spent_at IS NULL AND expires_at > $3 AND failed_attempts < $4
             ORDER BY created_at DESC LIMIT 1";
        let user = user.to_string();
        let args = [Arg::from(&user), Arg::from(kind.as_str()), ms(now).into(), max_failures.into()];
        Ok(self.fetch_bounded(sql, &args).await?.pop())
    }

    async fn fail_challenge(&self, id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn spend_challenges(&self, ids: &[&str], now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for id in ids {
            if execute(&mut tx, SPEND, &[ms(now).into(), Arg::from(*id)]).await? == 0 {
                return Ok(false);
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn remember_device(
        &self,
        user: UserId,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let user = user.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        execute(
            &mut tx,
            "DELETE FROM mfa_remembered_devices WHERE user_id = $1 AND expires_at <= $2",
            &[Arg::from(&user), ms(now).into()],
        )
        .await?;
        sqlx::query(
            "INSERT INTO mfa_remembered_devices (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(&user)
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        tx.commit().await.map_err(db_err)
    }

    async fn is_device_remembered(&self, user: UserId, token_hash: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let user = user.to_string();
        let sql = "SELECT token_hash AS code_hash FROM mfa_remembered_devices
             WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3";
        let rows: Vec<Hash> =
            self.fetch_bounded(sql, &[Arg::from(token_hash), Arg::from(&user), ms(now).into()]).await?;
        Ok(!rows.is_empty())
    }

    async fn update_webauthn_device(&self, device_id: &str, webauthn: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE mfa_devices SET webauthn = $1 WHERE id = $2 AND kind = 'webauthn'")
            .bind(webauthn)
            .bind(device_id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn passkeys(&self, user: UserId) -> StoreResult<Vec<Passkey>> {
        let user = user.to_string();
        self.fetch_bounded("SELECT * FROM passkeys WHERE user_id = $1 ORDER BY created_at, id", &[Arg::from(&user)])
            .await
    }

    async fn passkey_by_credential(&self, credential_id: &str) -> StoreResult<Option<Passkey>> {
        let rows: Vec<Passkey> =
            self.fetch_bounded("SELECT * FROM passkeys WHERE credential_id = $1", &[Arg::from(credential_id)]).await?;
        Ok(rows.into_iter().next())
    }

    async fn add_passkey(&self, p: &Passkey, spend: &[&str], now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for id in spend {
            if execute(&mut tx, SPEND, &[ms(now).into(), Arg::from(*id)]).await? == 0 {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO passkeys (id, user_id, credential_id, credential, device_type, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.id)
        .bind(p.user_id.to_string())
        .bind(&p.credential_id)
        .bind(&p.credential)
        .bind(&p.device_type)
        .bind(ms(p.created_at))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn update_passkey(&self, id: &str, credential: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE passkeys SET credential = $1 WHERE id = $2")
            .bind(credential)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_passkey(&self, user: UserId, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND id = $2")
            .bind(user.to_string())
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}
