//! Users: rows, lookups, lists and the changes that touch a user row (with its sessions when locking).

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use yolk_domain::values::normalize_email;
use yolk_domain::{TenantId, User, UserId};
use yolk_store::users::{IdentifierKind, LoginIdentifier, NewUser, UserQuery, UserSort};
use yolk_store::{Entity, Mutation, StoreError, StoreResult, UserStore};

use crate::memberships::insert_membership;
use crate::rows::{Record, RowExt, delete_by_key, flag, lock_and_read, ms, touched};
use crate::{SqlStore, db_err, placeholders};

impl Record for User {
    const TABLE: &'static str = "users";
    const KEY: &'static str = "id";
    const ENTITY: Entity = Entity::User;

    fn from_row(r: &AnyRow) -> StoreResult<Self> {
        Ok(User {
            id: r.id("id")?,
            email: r.opt_text("email")?.unwrap_or_default(),
            name: r.opt_text("name")?,
            username: r.opt_text("username")?,
            phone_number: r.opt_text("phone_number")?,
            profile_picture_url: r.opt_text("profile_picture_url")?,
            metadata: r.opt_text("metadata")?,
            external_id: r.opt_text("external_id")?,
            provider: r.text("provider")?,
            verified: r.flag("verified")?,
            locked: r.flag("locked")?,
            super_user: r.flag("super_user")?,
            invisible: r.flag("invisible")?,
            active_tenant_id: r.opt_tenant_id("active_tenant_id")?,
            last_login: r.opt_time("last_login")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

const USER_COLUMNS: &str = "id, email, email_norm, username, name, phone_number, profile_picture_url, metadata, \
     external_id, provider, verified, locked, super_user, invisible, active_tenant_id, last_login, created_at, updated_at";

/// Users without an email (username sign-up) store NULL so the unique index ignores them.
fn email_or_null(email: &str) -> Option<String> {
    (!email.is_empty()).then(|| email.to_owned())
}

/// The user with this id, on any executor (a pool or the caller's transaction).
pub(crate) async fn fetch_user<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    id: UserId,
) -> StoreResult<User> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
        .bind(id.to_string())
        .fetch_optional(ex)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound(Entity::User))?;
    User::from_row(&row)
}

/// Revokes every live session of a user (inside the caller's transaction).
pub(crate) async fn revoke_user_sessions(
    tx: &mut sqlx::AnyConnection,
    user_id: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(ms(now))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Whether a user query filters by nothing but the tenant (and visibility).
fn only_tenant_filter(q: &UserQuery) -> bool {
    q.email.is_none()
        && q.filter.is_none()
        && q.name_prefix.is_none()
        && q.identifier.is_none()
        && q.external_ids.is_none()
        && q.ids.is_none()
}

/// Members of a tenant, from the membership primary key's range for the tenant; without invisible users, minus the
/// few invisible members found through the `users_invisible` partial index.
async fn count_members(pool: &sqlx::AnyPool, tenant_id: &TenantId, include_invisible: bool) -> StoreResult<i64> {
    let sql = if include_invisible {
        "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1"
    } else {
        "SELECT (SELECT COUNT(*) FROM memberships WHERE tenant_id = $1)
              - (SELECT COUNT(*) FROM users u WHERE u.invisible = 1
                   AND EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = $1 AND m.user_id = u.id))"
    };
    sqlx::query_scalar(sql).bind(tenant_id.as_str()).fetch_one(pool).await.map_err(db_err)
}

/// Escapes `LIKE` wildcards (`%`, `_`) and the escape character itself, for `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[async_trait::async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, new: &NewUser) -> StoreResult<User> {
        let u = &new.user;
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if let Some(t) = &new.new_tenant {
            crate::tenants::insert_tenant(&mut tx, t).await?;
        }
        sqlx::query(
            "INSERT INTO users (id, email, email_norm, username, name, phone_number, profile_picture_url, metadata,
             external_id, provider, password_hash, verified, locked, super_user, invisible, active_tenant_id,
             last_login, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, NULL, $17, $18)",
        )
        .bind(u.id.to_string())
        .bind(email_or_null(&u.email))
        .bind(email_or_null(&u.email).map(|e| normalize_email(&e)))
        .bind(u.username.clone())
        .bind(u.name.clone())
        .bind(u.phone_number.clone())
        .bind(u.profile_picture_url.clone())
        .bind(u.metadata.clone())
        .bind(u.external_id.clone())
        .bind(&u.provider)
        .bind(new.password_hash.clone())
        .bind(flag(u.verified))
        .bind(flag(u.locked))
        .bind(flag(u.super_user))
        .bind(flag(u.invisible))
        .bind(u.active_tenant_id.as_ref().map(TenantId::as_str))
        .bind(ms(u.created_at))
        .bind(ms(u.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(tenant_id) = &new.tenant_id {
            insert_membership(&mut tx, u.id, tenant_id, &new.role_ids, false, u.created_at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(u.clone())
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        fetch_user(&self.read, id).await
    }

    async fn get_user_by_email(&self, email: &str) -> StoreResult<User> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE email_norm = $1")))
            .bind(normalize_email(email))
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::User))?;
        User::from_row(&row)
    }

    async fn login_candidate(&self, ident: &LoginIdentifier) -> StoreResult<Option<(User, Option<String>)>> {
        let (column, value) = match ident {
            LoginIdentifier::Email(e) => ("email_norm", normalize_email(e)),
            LoginIdentifier::Username(u) => ("username", u.clone()),
        };
        let row =
            sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE {column} = $1")))
                .bind(value)
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        row.map(|r| Ok((User::from_row(&r)?, r.opt_text("password_hash")?))).transpose()
    }

    async fn update_user(&self, id: UserId, change: Mutation<User>, now: DateTime<Utc>) -> StoreResult<User> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut u: User = lock_and_read(&mut tx, &id.to_string()).await?;
        change(&mut u)?;
        u.id = id;
        u.updated_at = now;
        sqlx::query(
            "UPDATE users SET email = $1, email_norm = $2, username = $3, name = $4, phone_number = $5,
             profile_picture_url = $6, metadata = $7, external_id = $8, provider = $9, verified = $10, locked = $11,
             super_user = $12, invisible = $13, active_tenant_id = $14, last_login = $15, updated_at = $16
             WHERE id = $17",
        )
        .bind(email_or_null(&u.email))
        .bind(email_or_null(&u.email).map(|e| normalize_email(&e)))
        .bind(u.username.clone())
        .bind(u.name.clone())
        .bind(u.phone_number.clone())
        .bind(u.profile_picture_url.clone())
        .bind(u.metadata.clone())
        .bind(u.external_id.clone())
        .bind(&u.provider)
        .bind(flag(u.verified))
        .bind(flag(u.locked))
        .bind(flag(u.super_user))
        .bind(flag(u.invisible))
        .bind(u.active_tenant_id.as_ref().map(TenantId::as_str))
        .bind(u.last_login.map(ms))
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // Answer what was stored (the mutation may have touched fields that are not written).
        let stored = fetch_user(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn record_login(&self, id: UserId, now: DateTime<Utc>) -> StoreResult<User> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let result = sqlx::query("UPDATE users SET last_login = $1, failed_logins = 0 WHERE id = $2")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await;
        touched(result, Entity::User)?;
        let user = fetch_user(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    async fn set_user_locked(&self, id: UserId, locked: bool, now: DateTime<Utc>) -> StoreResult<User> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Unlocking gives the user a fresh count of attempts.
        let result = sqlx::query(
            "UPDATE users SET locked = $1, updated_at = $2,
             failed_logins = CASE WHEN $1 = 0 THEN 0 ELSE failed_logins END WHERE id = $3",
        )
        .bind(flag(locked))
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await;
        touched(result, Entity::User)?;
        if locked {
            revoke_user_sessions(&mut tx, id, now).await?;
        }
        let user = fetch_user(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    async fn reserve_login_attempt(&self, id: UserId, max: i64) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1
             WHERE id = $1 AND locked = 0 AND failed_logins < $2 RETURNING failed_logins",
        )
        .bind(id.to_string())
        .bind(max)
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        row.map(|r| r.int("failed_logins")).transpose()
    }

    async fn settle_login_attempt(&self, id: UserId, succeeded: bool) -> StoreResult<()> {
        let sql = if succeeded {
            "UPDATE users SET failed_logins = 0 WHERE id = $1"
        } else {
            "UPDATE users SET failed_logins = failed_logins - 1 WHERE id = $1 AND failed_logins > 0"
        };
        sqlx::query(sql).bind(id.to_string()).execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        delete_by_key::<User>(&self.write, &id.to_string()).await
    }

    async fn list_users(&self, q: &UserQuery) -> StoreResult<(Vec<User>, u64)> {
        // Conditions are appended with numbered placeholders; the values are collected in the same order.
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if !q.include_invisible {
            conds.push("invisible = 0".to_owned());
        }
        if let Some(t) = &q.tenant_id {
            args.push(t.as_str().to_owned());
            conds.push(format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = ${})",
                args.len()
            ));
        }
        if let Some(e) = &q.email {
            args.push(normalize_email(e));
            conds.push(format!("email_norm = ${}", args.len()));
        }
        if let Some(f) = &q.filter {
            args.push(format!("%{}%", like_escape(&normalize_email(f))));
            conds.push(format!(
                "(email_norm LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(name, '')) LIKE ${n} ESCAPE '\\')",
                n = args.len()
            ));
        }
        if let Some(p) = &q.name_prefix {
            args.push(format!("{}%", like_escape(&p.to_lowercase())));
            conds.push(format!("LOWER(COALESCE(name, '')) LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some((kind, prefix)) = &q.identifier {
            let column = match kind {
                IdentifierKind::Email => "COALESCE(email_norm, '')",
                IdentifierKind::PhoneNumber => "COALESCE(phone_number, '')",
                IdentifierKind::Username => "LOWER(COALESCE(username, ''))",
            };
            args.push(format!("{}%", like_escape(&prefix.to_lowercase())));
            conds.push(format!("{column} LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some(external) = &q.external_ids {
            if external.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let first = args.len() + 1;
            args.extend(external.iter().cloned());
            conds.push(format!("external_id IN ({})", placeholders(first, external.len())));
        }
        if let Some(ids) = &q.ids {
            if ids.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let first = args.len() + 1;
            args.extend(ids.iter().map(UserId::to_string));
            conds.push(format!("id IN ({})", placeholders(first, ids.len())));
        }
        let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let total = match (&q.tenant_id, only_tenant_filter(q)) {
            // The hot path (a tenant's user page): count from indexes, not by probing every member's row.
            (Some(tenant_id), true) => count_members(&self.read, tenant_id, q.include_invisible).await?,
            _ => {
                let sql = format!("SELECT COUNT(*) FROM users{where_sql}");
                let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
                for a in &args {
                    count = count.bind(a.clone());
                }
                count.fetch_one(&self.read).await.map_err(db_err)?
            }
        };
        let sort = match q.sort {
            UserSort::CreatedAt => "created_at",
            UserSort::Name => "COALESCE(name, '')",
            UserSort::Email => "email_norm",
            UserSort::Id => "id",
            UserSort::Verified => "verified",
            UserSort::IsLocked => "locked",
            UserSort::Provider => "provider",
            UserSort::TenantId => "COALESCE(active_tenant_id, '')",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users{where_sql} ORDER BY {sort} {dir}, id {dir} LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in &args {
            query = query.bind(a.clone());
        }
        let rows = query
            .bind(i64::try_from(q.page.limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(q.page.offset).unwrap_or(i64::MAX))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let users = rows.iter().map(User::from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok((users, u64::try_from(total).unwrap_or_default()))
    }
}
