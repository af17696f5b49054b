//! Sessions and refresh-token rotation.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use yolk_domain::{PermissionId, Session, SessionId, TenantId, UserId};
use yolk_store::{RotateOutcome, SessionGrant, SessionStore, StoreResult, TenantAccess, TokenGrants};

use crate::rows::{Arg, Decode, RowExt, ms};
use crate::{SqlStore, db_err};

impl Decode for Session {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Session {
            id: r.id("id")?,
            user_id: r.id("user_id")?,
            tenant_id: r.tenant_id("tenant_id")?,
            created_at: r.time("created_at")?,
            expires_at: r.time("expires_at")?,
            revoked: r.opt_time("revoked_at")?.is_some(),
        })
    }
}

/// Spends a refresh token while its session lives, naming the session (`$1` now, `$2` the token's hash): the
/// linearization point of a rotation. Of concurrent rotations of one token only one sees `spent_at IS NULL` (on
/// PostgreSQL the row lock makes the loser wait and then match nothing).
const SPEND: &str = "UPDATE refresh_tokens SET spent_at = $1 WHERE hash = $2 AND spent_at IS NULL
       AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = refresh_tokens.session_id
                   AND s.revoked_at IS NULL AND s.expires_at > $1)
     RETURNING session_id";
/// Why [`SPEND`] matched nothing: the token's session and when it was spent (no row: an unknown token).
const TOKEN_STATE: &str = "SELECT session_id, spent_at FROM refresh_tokens WHERE hash = $1";
/// Ends a session (`$1` now, `$2` its id).
const REVOKE: &str = "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
/// The session's next refresh token (`$1` its hash, `$2` the session, `$3` now).
const ADD_TOKEN: &str = "INSERT INTO refresh_tokens (hash, session_id, created_at, spent_at) VALUES ($1, $2, $3, NULL)";
const SESSION: &str = "SELECT * FROM sessions WHERE id = $1";

const LIVE_SESSION_BY_TOKEN: &str = "SELECT s.* FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
     WHERE t.hash = $1 AND t.spent_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > $2";

#[async_trait::async_trait]
impl SessionStore for SqlStore {
    async fn create_session(&self, session: &Session, refresh_hash: &str) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, tenant_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(session.id.to_string())
        .bind(session.user_id.to_string())
        .bind(session.tenant_id.as_str())
        .bind(ms(session.created_at))
        .bind(ms(session.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("INSERT INTO refresh_tokens (hash, session_id, created_at, spent_at) VALUES ($1, $2, $3, NULL)")
            .bind(refresh_hash)
            .bind(session.id.to_string())
            .bind(ms(session.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<RotateOutcome> {
        if let Some(inline) = &self.inline {
            return self.rotate_inline(inline.clone(), old_hash, new_hash, now).await;
        }
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // The conditional UPDATE is the linearization point: of concurrent rotations of one token, only one sees
        // `spent_at IS NULL` (on PostgreSQL the row lock makes the loser wait and then match nothing). It spends the
        // token only while its session lives, and names the session: one statement, where the write lock is held.
        let spent: Option<String> =
            sqlx::query_scalar(SPEND).bind(ms(now)).bind(old_hash).fetch_optional(&mut *tx).await.map_err(db_err)?;
        let Some(session_id) = spent else {
            let state: Option<(String, Option<i64>)> =
                sqlx::query_as(TOKEN_STATE).bind(old_hash).fetch_optional(&mut *tx).await.map_err(db_err)?;
            // Unknown, or unspent but its session ended: nothing to do.
            let Some((session_id, Some(_))) = state else { return Ok(RotateOutcome::Invalid) };
            // Reuse of a spent token: whoever holds it may be an attacker, so the whole session dies.
            sqlx::query(REVOKE).bind(ms(now)).bind(&session_id).execute(&mut *tx).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            return Ok(RotateOutcome::Reused);
        };
        sqlx::query(ADD_TOKEN)
            .bind(new_hash)
            .bind(&session_id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let row = sqlx::query(SESSION).bind(&session_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let session = row.as_ref().map(Session::decode).transpose()?;
        // Deleted in between (its user was deleted): the rotation spent a token nobody can use any more.
        Ok(session.map_or(RotateOutcome::Invalid, RotateOutcome::Rotated))
    }

    async fn session_by_refresh_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>> {
        Ok(self.fetch_bounded(LIVE_SESSION_BY_TOKEN, &[hash.into(), ms(now).into()]).await?.pop())
    }

    async fn revoke_session(&self, id: SessionId, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn session_grant(
        &self,
        id: SessionId,
        user: UserId,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionGrant>> {
        // One row per (role, permission) held; one row of NULLs for a member without roles; none when the session,
        // user or membership does not admit the caller. Every join is by primary key or its leading columns.
        let sql = "SELECT r.level, p.id AS permission_id, p.key AS permission_key
             FROM sessions s
             JOIN users u ON u.id = s.user_id
             JOIN memberships m ON m.user_id = s.user_id AND m.tenant_id = $3
             LEFT JOIN user_roles ur ON ur.tenant_id = m.tenant_id AND ur.user_id = m.user_id
             LEFT JOIN roles r ON r.id = ur.role_id
             LEFT JOIN role_permissions rp ON rp.role_id = r.id
             LEFT JOIN permissions p ON p.id = rp.permission_id
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $4
               AND u.locked = 0 AND m.disabled = 0 AND m.pending = 0
               AND (u.temporary_expires_at IS NULL OR u.temporary_expires_at > $4)";
        let (id, user) = (id.to_string(), user.to_string());
        let rows: Vec<Held> =
            self.fetch_bounded(sql, &[Arg::from(&id), Arg::from(&user), tenant.into(), ms(now).into()]).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut grant = SessionGrant::default();
        for r in rows {
            grant.role_levels.extend(r.level);
            grant.permissions.extend(r.permission);
        }
        grant.role_levels.sort_unstable();
        grant.role_levels.dedup();
        grant.permissions.sort_by(|a, b| a.1.cmp(&b.1));
        grant.permissions.dedup();
        Ok(Some(grant))
    }

    async fn token_tenants(&self, user: UserId) -> StoreResult<Vec<TenantAccess>> {
        let sql =
            "SELECT tenant_id, disabled, pending FROM memberships WHERE user_id = $1 ORDER BY created_at, tenant_id";
        self.fetch_bounded(sql, &[Arg::from(&user.to_string())]).await
    }

    async fn token_grants(&self, user: UserId, tenant: &TenantId) -> StoreResult<TokenGrants> {
        // One row per (role, permission) held in the tenant; a role without permissions gives one row with a NULL
        // permission. Every join is by primary key or its leading columns.
        let sql = "SELECT r.key AS role_key, p.key AS permission_key
             FROM user_roles ur
             JOIN roles r ON r.id = ur.role_id
             LEFT JOIN role_permissions rp ON rp.role_id = r.id
             LEFT JOIN permissions p ON p.id = rp.permission_id
             WHERE ur.tenant_id = $1 AND ur.user_id = $2";
        let rows: Vec<Grant> = self.fetch_bounded(sql, &[tenant.into(), Arg::from(&user.to_string())]).await?;
        let (mut roles, mut permissions) = (BTreeSet::new(), BTreeSet::new());
        for Grant { role, permission } in rows {
            roles.insert(role);
            permissions.extend(permission);
        }
        Ok(TokenGrants { roles: roles.into_iter().collect(), permissions: permissions.into_iter().collect() })
    }
}

impl Decode for TenantAccess {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let admits = !r.flag("disabled")? && !r.flag("pending")?;
        Ok(TenantAccess { tenant_id: r.tenant_id("tenant_id")?, admits })
    }
}

/// A role key held, with one permission key it grants.
struct Grant {
    role: String,
    permission: Option<String>,
}

impl Decode for Grant {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self { role: r.text("role_key")?, permission: r.opt_text("permission_key")? })
    }
}

/// A role level held, with one permission (id, key) it grants; a row of NULLs for a member without roles.
struct Held {
    level: Option<i64>,
    permission: Option<(PermissionId, String)>,
}

impl Decode for Held {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let permission = match (r.opt_id::<PermissionId>("permission_id")?, r.opt_text("permission_key")?) {
            (Some(id), Some(key)) => Some((id, key)),
            _ => None,
        };
        Ok(Self { level: r.opt_int("level")?, permission })
    }
}

impl SqlStore {
    /// [`SessionStore::rotate_refresh_token`] on a SQLite file: the same statements in one transaction on the inline
    /// writer, run on a blocking thread while holding the store's write lock (its one sqlx writer connection). The
    /// writer's queue is what bounds refreshes on SQLite; through sqlx each statement of the transaction was a
    /// round trip to the connection's worker thread, here the whole transaction is one. The session is read after
    /// the commit, on the calling thread.
    async fn rotate_inline(
        &self,
        inline: std::sync::Arc<crate::inline::Inline>,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<RotateOutcome> {
        use rusqlite::OptionalExtension as _;
        let write_lock = self.write.acquire().await.map_err(db_err)?;
        let (old, new, now_ms) = (old_hash.to_owned(), new_hash.to_owned(), ms(now));
        let spent = tokio::task::spawn_blocking(move || {
            inline.write(|tx| {
                let spent: Option<String> = tx
                    .prepare_cached(SPEND)?
                    .query_row(rusqlite::named_params! {"$1": now_ms, "$2": old}, |r| r.get(0))
                    .optional()?;
                let Some(session_id) = spent else {
                    let state: Option<(String, Option<i64>)> = tx
                        .prepare_cached(TOKEN_STATE)?
                        .query_row(rusqlite::named_params! {"$1": old}, |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()?;
                    return match state {
                        Some((session_id, Some(_))) => {
                            tx.prepare_cached(REVOKE)?
                                .execute(rusqlite::named_params! {"$1": now_ms, "$2": session_id})?;
                            Ok(Err(RotateOutcome::Reused))
                        }
                        _ => Ok(Err(RotateOutcome::Invalid)),
                    };
                };
                tx.prepare_cached(ADD_TOKEN)?
                    .execute(rusqlite::named_params! {"$1": new, "$2": session_id, "$3": now_ms})?;
                Ok(Ok(session_id))
            })
        })
        .await
        .map_err(|e| yolk_store::StoreError::Backend(format!("rotation task: {e}")))??;
        drop(write_lock);
        let session_id = match spent {
            Ok(id) => id,
            Err(outcome) => return Ok(outcome),
        };
        let session = self.fetch_bounded::<Session>(SESSION, &[Arg::from(&session_id)]).await?.pop();
        // Deleted in between (its user was deleted): the rotation spent a token nobody can use any more.
        Ok(session.map_or(RotateOutcome::Invalid, RotateOutcome::Rotated))
    }
}
