//! A user's addresses, email changes, phone numbers and usernames (migration 0014). Every path that sets
//! `users.email` writes the address's `user_emails` row in its transaction ([`claim_login_email`],
//! [`move_login_email`]), so the UNIQUE `claim` column makes an address belong to at most one user.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe};
use uuid::Uuid;
use yolk_domain::values::{normalize_email, normalize_phone_number};
use yolk_domain::{PhoneNumberId, SessionId, User, UserEmailId, UserId};
use yolk_store::identifiers::{
    EmailQuery, IdentifierStore, LiveCode, NewAddress, PhoneProof, PhoneQuery, PhoneSort, UserEmail, UserPhoneNumber,
    UsernameEntry, UsernameQuery,
};
use yolk_store::{Constraint, Entity, PageRequest, StoreError, StoreResult};

use crate::rows::{RowExt, flag, missing, ms, touched};
use crate::{SqlStore, db_err};

/// The most addresses [`IdentifierStore::user_emails`] answers.
const MAX_USER_EMAILS: i64 = 100;

const EMAIL_COLUMNS: &str = "e.id, e.user_id, e.email, e.created_at, e.updated_at, \
     CASE WHEN e.email_norm = u.email_norm THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS is_primary, \
     CASE WHEN e.email_norm = u.email_norm THEN u.verified ELSE e.verified END AS is_verified";

fn decode_email<R: RowExt>(r: &R) -> StoreResult<UserEmail> {
    Ok(UserEmail {
        id: r.id("id")?,
        user_id: r.id("user_id")?,
        email: r.text("email")?,
        verified: r.flag("is_verified")?,
        is_primary: r.flag("is_primary")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// Writes the login address of a new user (in `create_user`'s transaction): held at once, so an address another
/// user holds (even as a secondary address) is `Conflict(UserEmail)`.
pub(crate) async fn claim_login_email(tx: &mut AnyConnection, u: &User) -> StoreResult<()> {
    if u.email.is_empty() {
        return Ok(());
    }
    let norm = normalize_email(&u.email);
    sqlx::query(
        "INSERT INTO user_emails (id, user_id, email, email_norm, claim, verified, code_hash, code_expires_at,
                                  code_failures, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4, $5, NULL, NULL, 0, $6, $6)",
    )
    .bind(u.id.to_string())
    .bind(u.id.to_string())
    .bind(u.email.clone())
    .bind(norm)
    .bind(flag(u.verified))
    .bind(ms(u.created_at))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Follows a change of `users.email` from `old` to `new` (in the writing transaction): the former login address is
/// no longer the user's, the new one is held (`Conflict(UserEmail)` when another user holds it).
pub(crate) async fn move_login_email(
    tx: &mut AnyConnection,
    user: UserId,
    old: &str,
    new: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (old_norm, new_norm) = (normalize_email(old), normalize_email(new));
    if old_norm == new_norm {
        if !new.is_empty() {
            sqlx::query("UPDATE user_emails SET email = $1, updated_at = $2 WHERE user_id = $3 AND email_norm = $4")
                .bind(new.to_owned())
                .bind(ms(now))
                .bind(user.to_string())
                .bind(new_norm)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        return Ok(());
    }
    if !old.is_empty() {
        sqlx::query("DELETE FROM user_emails WHERE user_id = $1 AND email_norm = $2")
            .bind(user.to_string())
            .bind(old_norm)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    if !new.is_empty() {
        hold_address(tx, user, new, now).await?;
    }
    Ok(())
}

/// Makes `email` a held address of `user`: its row (inserted when the user did not have it) is claimed, verified
/// and its code dropped.
async fn hold_address(tx: &mut AnyConnection, user: UserId, email: &str, now: DateTime<Utc>) -> StoreResult<()> {
    let norm = normalize_email(email);
    let updated = sqlx::query(
        "UPDATE user_emails SET claim = email_norm, verified = 1, code_hash = NULL, code_expires_at = NULL,
                updated_at = $1
         WHERE user_id = $2 AND email_norm = $3",
    )
    .bind(ms(now))
    .bind(user.to_string())
    .bind(norm.clone())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO user_emails (id, user_id, email, email_norm, claim, verified, code_hash, code_expires_at,
                                      code_failures, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4, 1, NULL, NULL, 0, $5, $5)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(user.to_string())
        .bind(email.to_owned())
        .bind(norm)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

/// Locks the user row (the write lock on SQLite) and answers its login address; `NotFound(User)`.
async fn lock_user(tx: &mut AnyConnection, user: UserId) -> StoreResult<String> {
    let lock = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(user.to_string())
        .execute(&mut *tx)
        .await;
    touched(lock, Entity::User)?;
    let row = sqlx::query("SELECT email FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(row.opt_text("email")?.unwrap_or_default())
}

/// Sets the user's login address (and verified), following it in `user_emails`.
async fn set_login_email(
    tx: &mut AnyConnection,
    user: UserId,
    old: &str,
    new: &str,
    keep_old: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET email = $1, email_norm = $2, verified = 1, updated_at = $3 WHERE id = $4")
        .bind(new.to_owned())
        .bind(normalize_email(new))
        .bind(ms(now))
        .bind(user.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    if keep_old { hold_address(tx, user, new, now).await } else { move_login_email(tx, user, old, new, now).await }
}

/// A page's `LIMIT` and `OFFSET` (`page.offset` already counts rows).
fn limit_offset(page: PageRequest) -> (i64, i64) {
    let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
    (limit, offset)
}

/// The most phone numbers [`IdentifierStore::user_phone_numbers`] answers.
const MAX_USER_PHONES: i64 = 100;

const PHONE_COLUMNS: &str = "id, user_id, phone_number, verified, created_at, updated_at";

fn decode_phone<R: RowExt>(r: &R) -> StoreResult<UserPhoneNumber> {
    Ok(UserPhoneNumber {
        id: r.id("id")?,
        user_id: r.id("user_id")?,
        phone_number: r.text("phone_number")?,
        verified: r.flag("verified")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// The user's row of the number (in any spelling), if it has one.
async fn own_phone(tx: &mut AnyConnection, user: UserId, norm: &str) -> StoreResult<Option<UserPhoneNumber>> {
    let sql = format!("SELECT {PHONE_COLUMNS} FROM user_phone_numbers WHERE user_id = $1 AND phone_norm = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(user.to_string())
        .bind(norm.to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    row.as_ref().map(decode_phone).transpose()
}

/// Refuses a new number for a user (whose row the transaction has locked) that has `max` already.
async fn check_phone_room(tx: &mut AnyConnection, user: UserId, max: i64) -> StoreResult<()> {
    let n = sqlx::query("SELECT COUNT(*) AS n FROM user_phone_numbers WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?
        .int("n")?;
    if n >= max {
        return Err(StoreError::Invalid(format!("A user may have at most {max} phone numbers")));
    }
    Ok(())
}

/// Inserts a number of the user: held (verified) or waiting for its code.
async fn insert_phone(
    tx: &mut AnyConnection,
    user: UserId,
    phone: &str,
    verified: bool,
    now: DateTime<Utc>,
) -> StoreResult<UserPhoneNumber> {
    let norm = normalize_phone_number(phone);
    let id = PhoneNumberId::new();
    sqlx::query(
        "INSERT INTO user_phone_numbers (id, user_id, phone_number, phone_norm, claim, verified, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .bind(phone.trim().to_owned())
    .bind(norm.clone())
    .bind(verified.then_some(norm))
    .bind(flag(verified))
    .bind(ms(now))
    .execute(&mut *tx)
    .await
    .map_err(missing(Entity::User))?;
    Ok(UserPhoneNumber {
        id,
        user_id: user,
        phone_number: phone.trim().to_owned(),
        verified,
        created_at: now,
        updated_at: now,
    })
}

/// Makes the user's number row `id` verified and held (`Conflict(PhoneNumber)` when another user holds it);
/// `NotFound(PhoneNumber)` when the user has no such row.
async fn hold_phone(tx: &mut AnyConnection, user: UserId, id: PhoneNumberId, now: DateTime<Utc>) -> StoreResult<()> {
    let result = sqlx::query(
        "UPDATE user_phone_numbers SET claim = phone_norm, verified = 1, updated_at = $1 WHERE id = $2 AND user_id = $3",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .bind(user.to_string())
    .execute(&mut *tx)
    .await;
    touched(result, Entity::PhoneNumber)
}

/// Spends an MFA challenge (a texted code) in the caller's transaction: `false` when it is spent or expired.
async fn spend_challenge(tx: &mut AnyConnection, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let result =
        sqlx::query("UPDATE mfa_challenges SET spent_at = $1 WHERE id = $2 AND spent_at IS NULL AND expires_at > $1")
            .bind(ms(now))
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    Ok(result.rows_affected() == 1)
}

/// Binds text values in order to a dynamic statement.
fn bind_all<'q>(sql: String, args: &[String]) -> crate::users::AnyQuery<'q> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a.clone());
    }
    q
}

fn id_list(conds: &mut Vec<String>, args: &mut Vec<String>, column: &str, values: &[String]) {
    if values.is_empty() {
        conds.push("1 = 0".to_owned());
        return;
    }
    let from = args.len() + 1;
    args.extend(values.iter().cloned());
    conds.push(format!("{column} IN ({})", crate::placeholders(from, values.len())));
}

impl SqlStore {
    /// The rows `sql` (with `$1` the user's id) reads for an existing user; `NotFound(User)` for an unknown one.
    async fn user_rows(&self, user: UserId, sql: String) -> StoreResult<Vec<sqlx::any::AnyRow>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let known = sqlx::query("SELECT id FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        if known.is_none() {
            return Err(StoreError::NotFound(Entity::User));
        }
        sqlx::query(AssertSqlSafe(sql)).bind(user.to_string()).fetch_all(&mut *conn).await.map_err(db_err)
    }

    /// A list's total: the `n` of a `COUNT(*) AS n` statement bound to `args`.
    async fn count_rows(&self, sql: String, args: &[String]) -> StoreResult<u64> {
        let n = bind_all(sql, args).fetch_one(&self.read).await.map_err(db_err)?.int("n")?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) }
}

#[async_trait::async_trait]
impl IdentifierStore for SqlStore {
    async fn list_user_emails(&self, q: &EmailQuery, page: PageRequest) -> StoreResult<(Vec<UserEmail>, u64)> {
        let mut conds = Vec::new();
        let mut args = Vec::new();
        if let Some(ids) = &q.user_ids {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            id_list(&mut conds, &mut args, "e.user_id", &ids);
        }
        if let Some(email) = &q.email {
            args.push(format!("%{}%", crate::users::like_escape(&normalize_email(email))));
            conds.push(format!("e.email_norm LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some(t) = &q.tenant {
            args.push(t.as_str().to_owned());
            conds.push(format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = e.user_id AND m.tenant_id = ${})",
                args.len()
            ));
        }
        let filter = where_clause(&conds);
        let (limit, offset) = limit_offset(page);
        let sql = format!(
            "SELECT {EMAIL_COLUMNS} FROM user_emails e JOIN users u ON u.id = e.user_id {filter}
             ORDER BY e.created_at, e.id LIMIT {limit} OFFSET {offset}"
        );
        let rows = bind_all(sql, &args).fetch_all(&self.read).await.map_err(db_err)?;
        let items = rows.iter().map(decode_email).collect::<StoreResult<Vec<_>>>()?;
        Ok((items, self.count_rows(format!("SELECT COUNT(*) AS n FROM user_emails e {filter}"), &args).await?))
    }

    async fn user_emails(&self, user: UserId) -> StoreResult<Vec<UserEmail>> {
        let sql = format!(
            "SELECT {EMAIL_COLUMNS} FROM user_emails e JOIN users u ON u.id = e.user_id WHERE e.user_id = $1
             ORDER BY is_primary DESC, e.created_at, e.id LIMIT {MAX_USER_EMAILS}"
        );
        self.user_rows(user, sql).await?.iter().map(decode_email).collect()
    }

    async fn add_user_email(
        &self,
        user: UserId,
        email: &str,
        how: NewAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<UserEmail> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        lock_user(&mut tx, user).await?;
        let norm = normalize_email(email);
        let (claim, verified, code_hash, expires) = match how {
            NewAddress::Verified => (Some(norm.clone()), true, None, None),
            NewAddress::Pending { code_hash, expires_at } => (None, false, Some(code_hash), Some(ms(expires_at))),
        };
        let id = UserEmailId::new();
        sqlx::query(
            "INSERT INTO user_emails (id, user_id, email, email_norm, claim, verified, code_hash, code_expires_at,
                                      code_failures, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9)",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(email.to_owned())
        .bind(norm)
        .bind(claim)
        .bind(flag(verified))
        .bind(code_hash)
        .bind(expires)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::User))?;
        tx.commit().await.map_err(db_err)?;
        Ok(UserEmail {
            id,
            user_id: user,
            email: email.to_owned(),
            verified,
            is_primary: false,
            created_at: now,
            updated_at: now,
        })
    }

    async fn pending_email_code(
        &self,
        user: UserId,
        email: &str,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveCode>> {
        let row = sqlx::query(
            "SELECT id, code_hash FROM user_emails
             WHERE user_id = $1 AND email_norm = $2 AND claim IS NULL AND code_hash IS NOT NULL
               AND code_expires_at > $3 AND code_failures < $4",
        )
        .bind(user.to_string())
        .bind(normalize_email(email))
        .bind(ms(now))
        .bind(max_failures)
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        row.map(|r| Ok(LiveCode { key: r.text("id")?, hash: r.text("code_hash")? })).transpose()
    }

    async fn fail_email_code(&self, key: &str) -> StoreResult<()> {
        sqlx::query("UPDATE user_emails SET code_failures = code_failures + 1 WHERE id = $1")
            .bind(key.to_owned())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn confirm_user_email(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        // The linearization point: the code is spent by a conditional update that also claims the address.
        let result = sqlx::query(
            "UPDATE user_emails SET claim = email_norm, verified = 1, code_hash = NULL, code_expires_at = NULL,
                    updated_at = $1
             WHERE id = $2 AND claim IS NULL AND code_hash IS NOT NULL AND code_expires_at > $1",
        )
        .bind(ms(now))
        .bind(key.to_owned())
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_user_email(&self, user: UserId, id: UserEmailId) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let login = match lock_user(&mut tx, user).await {
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound(Entity::UserEmail)),
            other => other?,
        };
        let row = sqlx::query("SELECT email_norm FROM user_emails WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::UserEmail))?;
        if !login.is_empty() && row.text("email_norm")? == normalize_email(&login) {
            return Err(StoreError::Invalid("The primary email cannot be deleted".into()));
        }
        sqlx::query("DELETE FROM user_emails WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn make_primary_email(&self, user: UserId, email: &str, now: DateTime<Utc>) -> StoreResult<String> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let old = match lock_user(&mut tx, user).await {
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound(Entity::UserEmail)),
            other => other?,
        };
        let row = sqlx::query("SELECT email, claim FROM user_emails WHERE user_id = $1 AND email_norm = $2")
            .bind(user.to_string())
            .bind(normalize_email(email))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::UserEmail))?;
        if row.opt_text("claim")?.is_none() {
            return Err(StoreError::Invalid("Only a verified email can become the primary email".into()));
        }
        let new = row.text("email")?;
        if normalize_email(&new) != normalize_email(&old) {
            // The former login address stays the user's, verified if the user was.
            sqlx::query(
                "UPDATE user_emails SET verified = (SELECT verified FROM users WHERE id = $1), updated_at = $2
                 WHERE user_id = $1 AND email_norm = $3",
            )
            .bind(user.to_string())
            .bind(ms(now))
            .bind(normalize_email(&old))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            set_login_email(&mut tx, user, &old, &new, true, now).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(old)
    }

    async fn start_email_change(
        &self,
        user: UserId,
        email: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        lock_user(&mut tx, user).await?;
        sqlx::query("DELETE FROM email_changes WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO email_changes (user_id, email, code_hash, created_at, expires_at, failures)
             VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(user.to_string())
        .bind(email.to_owned())
        .bind(code_hash.to_owned())
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn pending_email_change(
        &self,
        user: UserId,
        email: &str,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveCode>> {
        let row = sqlx::query(
            "SELECT email, code_hash FROM email_changes WHERE user_id = $1 AND expires_at > $2 AND failures < $3",
        )
        .bind(user.to_string())
        .bind(ms(now))
        .bind(max_failures)
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        if normalize_email(&row.text("email")?) != normalize_email(email) {
            return Ok(None);
        }
        Ok(Some(LiveCode { key: user.to_string(), hash: row.text("code_hash")? }))
    }

    async fn fail_email_change(&self, user: UserId) -> StoreResult<()> {
        sqlx::query("UPDATE email_changes SET failures = failures + 1 WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn finish_email_change(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<Option<String>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let old = lock_user(&mut tx, user).await?;
        // Spent by deleting it: of two concurrent calls, one deletes the row.
        let row = sqlx::query("DELETE FROM email_changes WHERE user_id = $1 AND expires_at > $2 RETURNING email")
            .bind(user.to_string())
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let new = row.text("email")?;
        set_login_email(&mut tx, user, &old, &new, false, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(old))
    }

    async fn session_started_at(&self, session: SessionId) -> StoreResult<DateTime<Utc>> {
        let row = sqlx::query("SELECT created_at FROM sessions WHERE id = $1")
            .bind(session.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::Session))?;
        row.time("created_at")
    }

    async fn add_phone_number(
        &self,
        user: UserId,
        phone: &str,
        max_per_user: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<PhoneNumberId> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        lock_user(&mut tx, user).await?;
        let id = match own_phone(&mut tx, user, &normalize_phone_number(phone)).await? {
            Some(p) if p.verified => return Err(StoreError::Conflict(Constraint::PhoneNumber)),
            Some(p) => {
                hold_phone(&mut tx, user, p.id, now).await?;
                p.id
            }
            None => {
                check_phone_room(&mut tx, user, max_per_user).await?;
                insert_phone(&mut tx, user, phone, true, now).await?.id
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn delete_phone_number(&self, user: UserId, id: PhoneNumberId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM user_phone_numbers WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&self.write)
            .await;
        touched(result, Entity::PhoneNumber)
    }

    async fn list_phone_numbers(&self, q: &PhoneQuery, page: PageRequest) -> StoreResult<(Vec<UserPhoneNumber>, u64)> {
        let mut conds = Vec::new();
        let mut args = Vec::new();
        if let Some(ids) = &q.user_ids {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            id_list(&mut conds, &mut args, "user_id", &ids);
        }
        if let Some(phone) = &q.phone_number {
            args.push(normalize_phone_number(phone));
            conds.push(format!("phone_norm = ${}", args.len()));
        }
        let filter = where_clause(&conds);
        let dir = if q.descending { "DESC" } else { "ASC" };
        // Each order is an index: the unique (user_id, phone_norm), or (phone_norm, user_id).
        let order = match q.sort {
            PhoneSort::UserId => format!("user_id {dir}, phone_norm {dir}"),
            PhoneSort::PhoneNumber => format!("phone_norm {dir}, user_id {dir}"),
        };
        let (limit, offset) = limit_offset(page);
        let sql = format!(
            "SELECT {PHONE_COLUMNS} FROM user_phone_numbers {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let rows = bind_all(sql, &args).fetch_all(&self.read).await.map_err(db_err)?;
        let items = rows.iter().map(decode_phone).collect::<StoreResult<Vec<_>>>()?;
        Ok((items, self.count_rows(format!("SELECT COUNT(*) AS n FROM user_phone_numbers {filter}"), &args).await?))
    }

    async fn user_phone_numbers(&self, user: UserId) -> StoreResult<Vec<UserPhoneNumber>> {
        let sql = format!(
            "SELECT {PHONE_COLUMNS} FROM user_phone_numbers WHERE user_id = $1 ORDER BY created_at, id
             LIMIT {MAX_USER_PHONES}"
        );
        self.user_rows(user, sql).await?.iter().map(decode_phone).collect()
    }

    async fn user_phone_number(&self, user: UserId, id: PhoneNumberId) -> StoreResult<UserPhoneNumber> {
        let sql = format!("SELECT {PHONE_COLUMNS} FROM user_phone_numbers WHERE id = $1 AND user_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(&self.write)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::PhoneNumber))?;
        decode_phone(&row)
    }

    async fn add_pending_phone_number(
        &self,
        user: UserId,
        phone: &str,
        max_per_user: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<UserPhoneNumber> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        lock_user(&mut tx, user).await?;
        if let Some(existing) = own_phone(&mut tx, user, &normalize_phone_number(phone)).await? {
            return Ok(existing);
        }
        check_phone_room(&mut tx, user, max_per_user).await?;
        let added = insert_phone(&mut tx, user, phone, false, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(added)
    }

    async fn confirm_phone_number(
        &self,
        user: UserId,
        proof: &PhoneProof,
        spend: &str,
        max_per_user: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        lock_user(&mut tx, user).await?;
        if !spend_challenge(&mut tx, spend, now).await? {
            return Ok(false);
        }
        match proof {
            PhoneProof::Added(id) => hold_phone(&mut tx, user, *id, now).await?,
            PhoneProof::New(phone) => match own_phone(&mut tx, user, &normalize_phone_number(phone)).await? {
                Some(p) => hold_phone(&mut tx, user, p.id, now).await?,
                None => {
                    check_phone_room(&mut tx, user, max_per_user).await?;
                    insert_phone(&mut tx, user, phone, true, now).await?;
                }
            },
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_phone_number_spending(
        &self,
        user: UserId,
        id: PhoneNumberId,
        spend: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if !spend_challenge(&mut tx, spend, now).await? {
            return Ok(false);
        }
        let result = sqlx::query("DELETE FROM user_phone_numbers WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await;
        touched(result, Entity::PhoneNumber)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn list_usernames(&self, q: &UsernameQuery, page: PageRequest) -> StoreResult<(Vec<UsernameEntry>, u64)> {
        let mut conds = vec!["username IS NOT NULL".to_owned()];
        let mut args = Vec::new();
        if let Some(prefix) = &q.prefix {
            args.push(format!("{}%", crate::users::like_escape(prefix)));
            conds.push(format!("username LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some(ids) = &q.user_ids {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            id_list(&mut conds, &mut args, "id", &ids);
        }
        if let Some(names) = &q.usernames {
            id_list(&mut conds, &mut args, "username", names);
        }
        let filter = where_clause(&conds);
        let (limit, offset) = limit_offset(page);
        let sql = format!("SELECT id, username FROM users {filter} ORDER BY username LIMIT {limit} OFFSET {offset}");
        let rows = bind_all(sql, &args).fetch_all(&self.read).await.map_err(db_err)?;
        let items = rows
            .iter()
            .map(|r| Ok(UsernameEntry { user_id: r.id("id")?, username: r.text("username")? }))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, self.count_rows(format!("SELECT COUNT(*) AS n FROM users {filter}"), &args).await?))
    }

    async fn delete_username(&self, username: &str, now: DateTime<Utc>) -> StoreResult<UserId> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let lock = sqlx::query("UPDATE users SET updated_at = updated_at WHERE username = $1")
            .bind(username.to_owned())
            .execute(&mut *tx)
            .await;
        touched(lock, Entity::Username)?;
        let row = sqlx::query("SELECT id, email FROM users WHERE username = $1")
            .bind(username.to_owned())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if row.opt_text("email")?.unwrap_or_default().is_empty() {
            return Err(StoreError::Invalid("The username is the user's only login identifier".into()));
        }
        let user: UserId = row.id("id")?;
        sqlx::query("UPDATE users SET username = NULL, updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }
}
