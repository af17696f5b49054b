//! Users: rows, lookups, lists and the changes that touch a user row (with its sessions when locking).

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Connection, Executor};
use yolk_domain::values::normalize_email;
use yolk_domain::{TenantId, User, UserId};
use yolk_store::users::{IdentifierKind, LoginIdentifier, NewUser, UserQuery, UserSort};
use yolk_store::{Entity, Mutation, StoreError, StoreResult, UserStore};

use crate::counts::{Tally, UserKeys, UserLock, lock_user};
use crate::memberships::{NewMembership, insert_membership};
use crate::rows::{Arg, Decode, Record, RowExt, flag, lock_and_read, ms, touched};
use crate::{Backend, SqlStore, db_err, placeholders};

impl Record for User {
    const TABLE: &'static str = "users";
    const KEY: &'static str = "id";
    const ENTITY: Entity = Entity::User;

    fn from_row<R: RowExt>(r: &R) -> StoreResult<Self> {
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
            temporary_expires_at: r.opt_time("temporary_expires_at")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

const USER_COLUMNS: &str = "id, email, email_norm, username, name, phone_number, profile_picture_url, metadata, \
     external_id, provider, verified, locked, super_user, invisible, active_tenant_id, last_login, created_at, updated_at, \
     temporary_expires_at";

/// Users without an email (username sign-up) store NULL so the unique index ignores them.
fn email_or_null(email: &str) -> Option<String> {
    (!email.is_empty()).then(|| email.to_owned())
}

/// A query over `sqlx::Any`.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds the 18 values of a new user's row, in the order of the `INSERT` column list shared by `create_user` and
/// the bulk loader: `id, email, email_norm, username, name, phone_number, profile_picture_url, metadata,
/// external_id, provider, password_hash, verified, locked, super_user, invisible, active_tenant_id` (then
/// `last_login` is NULL) `, created_at, updated_at`.
pub(crate) fn bind_new_user<'q>(q: AnyQuery<'q>, u: &User, password_hash: Option<&str>) -> AnyQuery<'q> {
    q.bind(u.id.to_string())
        .bind(email_or_null(&u.email))
        .bind(email_or_null(&u.email).map(|e| normalize_email(&e)))
        .bind(u.username.clone())
        .bind(u.name.clone())
        .bind(u.phone_number.clone())
        .bind(u.profile_picture_url.clone())
        .bind(u.metadata.clone())
        .bind(u.external_id.clone())
        .bind(u.provider.clone())
        .bind(password_hash.map(str::to_owned))
        .bind(flag(u.verified))
        .bind(flag(u.locked))
        .bind(flag(u.super_user))
        .bind(flag(u.invisible))
        .bind(u.active_tenant_id.as_ref().map(|t| t.as_str().to_owned()))
        .bind(ms(u.created_at))
        .bind(ms(u.updated_at))
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

/// Escapes `LIKE` wildcards (`%`, `_`) and the escape character itself, for `ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Inserts a new user (its tenant first when `new.new_tenant`, its login address, its membership when
/// `new.tenant_id`), counted in `tally`, inside the caller's transaction: what `create_user` commits, and what SCIM
/// provisioning writes with its directory record in one transaction.
pub(crate) async fn insert_new_user(tx: &mut sqlx::AnyConnection, new: &NewUser, tally: &mut Tally) -> StoreResult<()> {
    let u = &new.user;
    if let Some(t) = &new.new_tenant {
        crate::tenants::insert_tenant(&mut *tx, t, tally).await?;
    }
    bind_new_user(
        sqlx::query(
            "INSERT INTO users (id, email, email_norm, username, name, phone_number, profile_picture_url, metadata,
             external_id, provider, password_hash, verified, locked, super_user, invisible, active_tenant_id,
             last_login, created_at, updated_at, temporary_expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, NULL, $17, $18, $19)",
        ),
        u,
        new.password_hash.as_deref(),
    )
    .bind(u.temporary_expires_at.map(ms))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    crate::identifiers::claim_login_email(&mut *tx, u).await?;
    tally.users(1, u.invisible);
    if let Some(tenant_id) = &new.tenant_id {
        let keys = UserKeys { created_at: ms(u.created_at), invisible: u.invisible };
        let m = NewMembership {
            user_id: u.id,
            keys,
            tenant_id,
            role_ids: &new.role_ids,
            pending: false,
            created_at: u.created_at,
        };
        insert_membership(&mut *tx, &m, tally).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, new: &NewUser) -> StoreResult<User> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut tally = Tally::default();
        insert_new_user(&mut tx, new, &mut tally).await?;
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(new.user.clone())
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let id = id.to_string();
        self.fetch_bounded(&sql, &[Arg::from(&id)]).await?.pop().ok_or(StoreError::NotFound(Entity::User))
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
        let was_invisible = u.invisible;
        let old_email = u.email.clone();
        change(&mut u)?;
        u.id = id;
        u.updated_at = now;
        sqlx::query(
            "UPDATE users SET email = $1, email_norm = $2, username = $3, name = $4, phone_number = $5,
             profile_picture_url = $6, metadata = $7, external_id = $8, provider = $9, verified = $10, locked = $11,
             super_user = $12, invisible = $13, active_tenant_id = $14, last_login = $15, updated_at = $16,
             temporary_expires_at = $17
             WHERE id = $18",
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
        .bind(u.temporary_expires_at.map(ms))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        crate::identifiers::move_login_email(&mut tx, id, &old_email, &u.email, now).await?;
        if u.invisible != was_invisible {
            // The user's memberships carry the flag (the row lock above keeps a membership from being added with
            // the old one meanwhile).
            let delta = if u.invisible { 1 } else { -1 };
            let rows = sqlx::query("UPDATE memberships SET user_invisible = $1 WHERE user_id = $2 RETURNING tenant_id")
                .bind(flag(u.invisible))
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
            let mut tally = Tally::default();
            for r in &rows {
                tally.invisible_member(&r.text("tenant_id")?, delta);
            }
            tally.invisible_user(delta);
            tally.apply(&mut tx).await?;
        }
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
        // An unlock link emailed by the lockout policy must not undo a lock set (or outlive an unlock) by other means.
        sqlx::query("DELETE FROM one_time_secrets WHERE user_id = $1 AND purpose = $2 AND spent_at IS NULL")
            .bind(id.to_string())
            .bind(yolk_store::SecretPurpose::Unlock.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
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
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let user = id.to_string();
        let keys = lock_user(&mut tx, self.backend, &user, UserLock::Update).await?;
        let keys = keys.ok_or(StoreError::NotFound(Entity::User))?;
        let mut tally = Tally::default();
        delete_user_row(&mut tx, &user, keys, &mut tally).await?;
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn list_users(&self, q: &UserQuery) -> StoreResult<(Vec<User>, u64)> {
        let Some(plan) = user_page(q, self.backend) else { return Ok((Vec::new(), 0)) };
        let counted = match &plan.total {
            Total::Counted(sql) => {
                let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql.clone()));
                for a in &plan.args {
                    count = count.bind(a.clone());
                }
                Some(count.fetch_one(&self.read).await.map_err(db_err)?)
            }
            Total::Maintained(_) => None,
        };
        let offset = i64::try_from(q.page.offset).unwrap_or(i64::MAX);
        let rows: Vec<PageRow> = if plan.bounded {
            let mut args: Vec<Arg<'_>> = plan.args.iter().map(Arg::from).collect();
            args.push(Arg::Int(offset));
            self.fetch_bounded(&plan.sql, &args).await?
        } else {
            let mut query = sqlx::query(AssertSqlSafe(plan.sql.clone()));
            for a in &plan.args {
                query = query.bind(a.clone());
            }
            let rows = query.bind(offset).fetch_all(&self.read).await.map_err(db_err)?;
            rows.iter().map(PageRow::decode).collect::<StoreResult<_>>()?
        };
        let total = match (counted, &plan.total, rows.first()) {
            (Some(n), _, _) => n,
            // The maintained total came with the page's rows; a page past the end reads it alone.
            (None, _, Some(r)) => r.total.unwrap_or_default(),
            (None, Total::Maintained(sql), None) => {
                let mut alone = sqlx::query_scalar::<_, i64>(*sql);
                if let Some(tenant_id) = plan.args.first() {
                    alone = alone.bind(tenant_id.clone());
                }
                alone.fetch_optional(&self.read).await.map_err(db_err)?.unwrap_or_default()
            }
            (None, Total::Counted(_), None) => 0,
        };
        let users = rows.into_iter().map(|r| r.user).collect();
        Ok((users, u64::try_from(total).unwrap_or_default()))
    }
}

/// A row of a user page: the user, and the maintained total when the plan selects it (`list_total`).
struct PageRow {
    user: User,
    total: Option<i64>,
}

impl Decode for PageRow {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self { user: User::from_row(r)?, total: r.opt_int("list_total")? })
    }
}

/// The users columns, on the table aliased `u`.
const U_COLUMNS: &str = "u.id, u.email, u.email_norm, u.username, u.name, u.phone_number, u.profile_picture_url, \
     u.metadata, u.external_id, u.provider, u.verified, u.locked, u.super_user, u.invisible, u.active_tenant_id, \
     u.last_login, u.created_at, u.updated_at, u.temporary_expires_at";

/// Where a user page's total comes from.
#[derive(Debug)]
enum Total {
    /// A count the store maintains (`src/counts.rs`): a one-row statement, also selected with the page's rows as
    /// `list_total` (its parameters are the page's first ones).
    Maintained(&'static str),
    /// `SELECT COUNT(*)` over the query's rows (filters other than the tenant).
    Counted(String),
}

/// The statements of one user page: the page (its parameters `args`, then the offset) and its total.
///
/// The limit is written into the page's text (an integer, at most the route's maximum `_limit`): every plan then
/// knows it, PostgreSQL's generic plan for a cached statement included, which would otherwise guess a tenth of
/// the table and may choose to hash-join the whole of `users`.
#[derive(Debug)]
struct UserPage {
    sql: String,
    args: Vec<String>,
    total: Total,
    /// Whether the page's cost is bounded by the page (read inline on SQLite: [`SqlStore::fetch_bounded`]).
    bounded: bool,
}

/// The maintained total of a query that filters by nothing but the tenant and visibility (`$1` = the tenant).
fn maintained_total(q: &UserQuery) -> Option<&'static str> {
    if !only_tenant_filter(q) {
        return None;
    }
    Some(match (q.tenant_id.is_some(), q.include_invisible) {
        (true, true) => "SELECT members FROM tenant_member_counts WHERE tenant_id = $1",
        (true, false) => "SELECT members - invisible_members FROM tenant_member_counts WHERE tenant_id = $1",
        (false, true) => "SELECT users FROM store_counts WHERE id = 1",
        (false, false) => "SELECT users - invisible_users FROM store_counts WHERE id = 1",
    })
}

/// The statements serving `q`; `None` when it cannot match anything (an empty id list).
///
/// A tenant's page by creation time (the hot read: `GET /users/v3` with no filter) is one statement driven by the
/// `memberships_page` index: the page's memberships in order (`LIMIT`/`OFFSET` over the index range of the tenant,
/// invisible users skipped in the index), then their users by primary key, with the tenant's maintained count as
/// a column. Its cost is the page (plus the offset's index entries), whatever the size of the tenant or the store,
/// and its plan needs no statistics: the offset is a sub-select, which PostgreSQL's planner cannot see through, so
/// it never trades the ordered index range for sorting the whole tenant because an offset exceeds its (default,
/// without `ANALYZE`: 0.5 % of the table) estimate of the tenant's size; the limit is known (see [`UserPage`]).
/// Other queries filter and sort `users` (as before issue 7); their total is the maintained count when only the
/// tenant filters, else a `COUNT(*)` of what they match.
fn user_page(q: &UserQuery, backend: Backend) -> Option<UserPage> {
    let dir = if q.descending { "DESC" } else { "ASC" };
    let limit = i64::try_from(q.page.limit).unwrap_or(i64::MAX);
    let maintained = maintained_total(q);
    if let (Some(tenant_id), Some(total), UserSort::CreatedAt) = (&q.tenant_id, maintained, q.sort) {
        let visible = if q.include_invisible { "" } else { " AND user_invisible = 0" };
        // Each row of the page, then its user by primary key. SQLite's planner does that by itself. PostgreSQL's
        // may hash-join a `users` it believes small (without statistics, or truly so: up to ~10k rows) instead: a
        // lateral sub-select that it cannot flatten (`OFFSET 0`) leaves it only the per-row lookup.
        let users = match backend {
            Backend::Sqlite => "CROSS JOIN users u WHERE u.id = p.user_id".to_owned(),
            Backend::Postgres => {
                format!("CROSS JOIN LATERAL (SELECT {USER_COLUMNS} FROM users WHERE users.id = p.user_id OFFSET 0) u")
            }
        };
        let sql = format!(
            "SELECT {U_COLUMNS}, ({total}) AS list_total
             FROM (SELECT user_id, user_created_at FROM memberships WHERE tenant_id = $1{visible}
                   ORDER BY user_created_at {dir}, user_id {dir} LIMIT {limit} OFFSET (SELECT CAST($2 AS BIGINT))) p
             {users}
             ORDER BY p.user_created_at {dir}, p.user_id {dir}"
        );
        let args = vec![tenant_id.as_str().to_owned()];
        return Some(UserPage { sql, args, total: Total::Maintained(total), bounded: true });
    }
    // Conditions are appended with numbered placeholders; the values are collected in the same order.
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    if !q.include_invisible {
        conds.push("u.invisible = 0".to_owned());
    }
    if let Some(t) = &q.tenant_id {
        args.push(t.as_str().to_owned());
        conds.push(format!(
            "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.tenant_id = ${})",
            args.len()
        ));
    }
    if let Some(e) = &q.email {
        args.push(normalize_email(e));
        conds.push(format!("u.email_norm = ${}", args.len()));
    }
    if let Some(f) = &q.filter {
        args.push(format!("%{}%", like_escape(&normalize_email(f))));
        conds.push(format!(
            "(u.email_norm LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(u.name, '')) LIKE ${n} ESCAPE '\\')",
            n = args.len()
        ));
    }
    if let Some(p) = &q.name_prefix {
        args.push(format!("{}%", like_escape(&p.to_lowercase())));
        conds.push(format!("LOWER(COALESCE(u.name, '')) LIKE ${} ESCAPE '\\'", args.len()));
    }
    if let Some((kind, prefix)) = &q.identifier {
        let column = match kind {
            IdentifierKind::Email => "COALESCE(u.email_norm, '')",
            IdentifierKind::PhoneNumber => "COALESCE(u.phone_number, '')",
            IdentifierKind::Username => "LOWER(COALESCE(u.username, ''))",
        };
        args.push(format!("{}%", like_escape(&prefix.to_lowercase())));
        conds.push(format!("{column} LIKE ${} ESCAPE '\\'", args.len()));
    }
    if let Some(external) = &q.external_ids {
        if external.is_empty() {
            return None;
        }
        let first = args.len() + 1;
        args.extend(external.iter().cloned());
        conds.push(format!("u.external_id IN ({})", placeholders(first, external.len())));
    }
    if let Some(ids) = &q.ids {
        if ids.is_empty() {
            return None;
        }
        let first = args.len() + 1;
        args.extend(ids.iter().map(UserId::to_string));
        conds.push(format!("u.id IN ({})", placeholders(first, ids.len())));
    }
    let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    let sort = match q.sort {
        UserSort::CreatedAt => "u.created_at",
        UserSort::Name => "COALESCE(u.name, '')",
        UserSort::Email => "u.email_norm",
        UserSort::Id => "u.id",
        UserSort::Verified => "u.verified",
        UserSort::IsLocked => "u.locked",
        UserSort::Provider => "u.provider",
        UserSort::TenantId => "COALESCE(u.active_tenant_id, '')",
    };
    let offset = args.len() + 1;
    let (total, total_column) = match maintained {
        Some(sql) => (Total::Maintained(sql), format!(", ({sql}) AS list_total")),
        // A counted total comes from its own statement; the column keeps every page's rows of one shape.
        None => (
            Total::Counted(format!("SELECT COUNT(*) FROM users u{where_sql}")),
            ", CAST(NULL AS BIGINT) AS list_total".to_owned(),
        ),
    };
    let sql = format!(
        "SELECT {U_COLUMNS}{total_column} FROM users u{where_sql} ORDER BY {sort} {dir}, u.id {dir} \
         LIMIT {limit} OFFSET ${offset}"
    );
    Some(UserPage { sql, args, total, bounded: false })
}

/// Deletes a user whose row the caller's transaction has locked (`lock_user(.., UserLock::Update)`): its
/// memberships first, counted (their role assignments cascade), then the row (its sessions and refresh tokens
/// cascade).
pub(crate) async fn delete_user_row(
    tx: &mut sqlx::AnyConnection,
    user_id: &str,
    keys: UserKeys,
    tally: &mut Tally,
) -> StoreResult<()> {
    let rows = sqlx::query("DELETE FROM memberships WHERE user_id = $1 RETURNING tenant_id, user_invisible")
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
    for r in &rows {
        tally.members(&r.text("tenant_id")?, -1, r.flag("user_invisible")?);
    }
    let sql = "DELETE FROM users WHERE id = $1";
    touched(sqlx::query(sql).bind(user_id).execute(&mut *tx).await, Entity::User)?;
    tally.users(-1, keys.invisible);
    Ok(())
}

impl SqlStore {
    /// The query plans of the statement that serves `q`'s page (`list_users`), for diagnostics and the plan
    /// contract: SQLite's `EXPLAIN QUERY PLAN` lines; on PostgreSQL the plan for `q`'s values, then the generic plan
    /// a cached prepared statement may switch to (`plan_cache_mode = force_generic_plan`). Empty when `q` matches
    /// nothing without a statement.
    pub async fn explain_user_page(&self, q: &UserQuery) -> StoreResult<Vec<String>> {
        let Some(plan) = user_page(q, self.backend) else { return Ok(Vec::new()) };
        let offset = i64::try_from(q.page.offset).unwrap_or(i64::MAX);
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let explain = match self.backend {
            Backend::Sqlite => "EXPLAIN QUERY PLAN",
            Backend::Postgres => "EXPLAIN",
        };
        let mut query = sqlx::query(AssertSqlSafe(format!("{explain} {}", plan.sql)));
        for a in &plan.args {
            query = query.bind(a.clone());
        }
        let rows = query.bind(offset).fetch_all(&mut *conn).await.map_err(db_err)?;
        let column = match self.backend {
            Backend::Sqlite => "detail",
            Backend::Postgres => "QUERY PLAN",
        };
        let mut lines = rows.iter().map(|r| r.text(column)).collect::<StoreResult<Vec<_>>>()?;
        if self.backend == Backend::Postgres {
            // A generic plan does not depend on the values: any will do.
            let values: Vec<String> = plan.args.iter().map(|_| "'x'".to_owned()).chain([offset.to_string()]).collect();
            let mut tx = conn.begin().await.map_err(db_err)?;
            tx.execute(AssertSqlSafe(format!("PREPARE yolk_explain AS {}", plan.sql))).await.map_err(db_err)?;
            tx.execute("SET LOCAL plan_cache_mode = force_generic_plan").await.map_err(db_err)?;
            let generic = sqlx::query(AssertSqlSafe(format!("EXPLAIN EXECUTE yolk_explain({})", values.join(", "))))
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err);
            tx.execute("DEALLOCATE yolk_explain").await.map_err(db_err)?;
            tx.rollback().await.map_err(db_err)?;
            lines.push("-- generic plan --".to_owned());
            for r in &generic? {
                lines.push(r.text(column)?);
            }
        }
        Ok(lines)
    }
}
