//! Bulk loading of tenant members: the benchmark's loader (`cargo xtask bench` fills its growth-curve tenants with
//! it, up to a store of a million users, where the API manages about 1,500 users a second) and the shape an import
//! would take. Not used by the server.
//!
//! [`insert_members`] writes what [`yolk_store::UserStore::create_user`] writes for a user who joins an existing
//! tenant — the user row, the membership and the roles held there — for many users at once: multi-row `INSERT`s
//! of [`rows_per_statement`] users with bound parameters (the same SQL on SQLite and PostgreSQL but for the
//! placeholders, prepared once per connection since every full batch has the same text), committed every
//! [`ROWS_PER_TRANSACTION`] users. A
//! transaction is all or nothing: an email or username already taken fails it with `Conflict`, as `create_user`
//! would, and leaves the batches committed before it in place.
//!
//! The SQL is in this file only and follows the schema of the migrations: a migration that adds something every
//! member needs (a maintained member count, sort keys carried by the membership row) adapts `MEMBER_SQL` and
//! `insert_batch` too, and the contract `bulk` (tests/contract/bulk.rs) checks that bulk-loaded members are
//! listed and counted exactly like members created one by one.

use std::sync::OnceLock;

use sqlx::AssertSqlSafe;
use yolk_domain::{RoleId, TenantId, User};
use yolk_store::{Entity, StoreError, StoreResult};

use crate::rows::{exists, flag, missing, ms};
use crate::{Backend, SqlStore, db_err};

/// Users per multi-row `INSERT` on SQLite (18 parameters each: 9,000, under SQLite's 32,766 per statement).
pub const SQLITE_ROWS_PER_STATEMENT: usize = 500;
/// Users per multi-row `INSERT` on PostgreSQL: few enough that a statement's messages stay small. sqlx does not
/// turn off Nagle's algorithm on its PostgreSQL socket, and a request it writes in more than one piece waits for the
/// server's delayed ACK (40 ms) before its last piece leaves: measured, 50 users a statement loaded 10,000-20,000
/// users/s, 70 or more 2,000-7,000/s.
pub const POSTGRES_ROWS_PER_STATEMENT: usize = 32;

/// Users per multi-row `INSERT` on `backend`.
pub fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => SQLITE_ROWS_PER_STATEMENT,
        Backend::Postgres => POSTGRES_ROWS_PER_STATEMENT,
    }
}
/// Users per transaction.
pub const ROWS_PER_TRANSACTION: usize = 50_000;

/// A user to load: the row as [`yolk_store::users::NewUser`] carries it. Its membership is in the tenant given
/// to [`insert_members`], created at the user's `created_at`, enabled and not pending, as `create_user` makes it.
#[derive(Debug, Clone)]
pub struct BulkUser {
    pub user: User,
    /// argon2id PHC string, or none.
    pub password_hash: Option<String>,
}

/// One table's multi-row `INSERT`: the fixed head and the text of one row.
struct TableSql {
    head: &'static str,
    /// One row's `VALUES` tuple, `{}` for each parameter.
    row: &'static str,
}

/// Everything a member is made of today (migrations 0001–0005): the user row, the membership, one `user_roles` row
/// per role held.
struct MemberSql {
    users: TableSql,
    memberships: TableSql,
    user_roles: TableSql,
    /// The login address of each user that has one (migration 0014).
    user_emails: TableSql,
}

const MEMBER_SQL: MemberSql = MemberSql {
    users: TableSql {
        head: "INSERT INTO users (id, email, email_norm, username, name, phone_number, profile_picture_url, metadata, \
               external_id, provider, password_hash, verified, locked, super_user, invisible, active_tenant_id, \
               last_login, created_at, updated_at) VALUES ",
        row: "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, {}, {})",
    },
    memberships: TableSql {
        head: "INSERT INTO memberships \
               (tenant_id, user_id, disabled, pending, created_at, user_created_at, user_invisible) VALUES ",
        row: "({}, {}, 0, 0, {}, {}, {})",
    },
    user_roles: TableSql { head: "INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ", row: "({}, {}, {})" },
    user_emails: TableSql {
        head: "INSERT INTO user_emails (id, user_id, email, email_norm, claim, verified, code_failures, created_at, \
               updated_at) VALUES ",
        row: "({}, {}, {}, {}, {}, {}, 0, {}, {})",
    },
};

impl TableSql {
    /// The statement for `rows` rows. Parameters are `$1, $2, ...` on PostgreSQL and anonymous `?` on SQLite:
    /// SQLite keeps numbered and named parameters in a list it searches linearly, and sqlx looks each one up by
    /// number when binding, so binding a statement of n numbered parameters costs O(n²) there (at 9,000
    /// parameters, 85 % of the load's time went to `sqlite3_bind_parameter_name`).
    fn statement(&self, rows: usize, backend: Backend) -> String {
        let mut sql = String::with_capacity(self.head.len() + rows * (self.row.len() + 32));
        sql.push_str(self.head);
        let mut n = 1;
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            let mut parts = self.row.split("{}");
            sql.push_str(parts.next().unwrap_or_default());
            for part in parts {
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
                n += 1;
                sql.push_str(part);
            }
        }
        sql
    }

    /// The statement for a full batch, built once per backend.
    fn full(&self, cells: &'static [OnceLock<String>; 2], backend: Backend) -> &'static str {
        let cell = &cells[usize::from(backend == Backend::Postgres)];
        cell.get_or_init(|| self.statement(rows_per_statement(backend), backend))
    }

    /// The statement for `rows` rows: the cached one for a full batch.
    fn for_rows<'s>(
        &self,
        cells: &'static [OnceLock<String>; 2],
        backend: Backend,
        rows: usize,
        owned: &'s mut String,
    ) -> &'s str {
        if rows == rows_per_statement(backend) {
            self.full(cells, backend)
        } else {
            *owned = self.statement(rows, backend);
            owned
        }
    }
}

static USERS_FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
static MEMBERSHIPS_FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
static USER_ROLES_FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
static USER_EMAILS_FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];

/// Inserts `users` as members of `tenant_id` holding `role_ids`, in batches (see the module docs); returns how
/// many were inserted. `NotFound(Tenant)` for an unknown tenant, `NotFound(Role)` for a role that is unknown or
/// belongs to another tenant, `Conflict` for an email or username already taken (that transaction rolls back).
pub async fn insert_members<I>(
    store: &SqlStore,
    tenant_id: &TenantId,
    role_ids: &[RoleId],
    users: I,
) -> StoreResult<u64>
where
    I: IntoIterator<Item = BulkUser>,
    I::IntoIter: Send,
{
    {
        let mut conn = store.write.acquire().await.map_err(db_err)?;
        let tenant = "SELECT tenant_id FROM tenants WHERE tenant_id = $1";
        if !exists(&mut conn, tenant, &[tenant_id.into()]).await? {
            return Err(StoreError::NotFound(Entity::Tenant));
        }
        for role in role_ids {
            let role = role.to_string();
            let usable = "SELECT id FROM roles WHERE id = $1 AND (tenant_id IS NULL OR tenant_id = $2)";
            if !exists(&mut conn, usable, &[(&role).into(), tenant_id.into()]).await? {
                return Err(StoreError::NotFound(Entity::Role));
            }
        }
    }
    let backend = store.backend_kind();
    if backend == Backend::Sqlite {
        set_cache(store, BULK_CACHE).await?;
    }
    let outcome = insert_all(store, backend, tenant_id, role_ids, users.into_iter()).await;
    if backend == Backend::Sqlite {
        set_cache(store, DEFAULT_CACHE).await?;
    }
    outcome
}

/// SQLite's page cache of the writer connection during a load, KiB (an upper bound: pages are allocated as used):
/// the users' and memberships' indexes are keyed by random UUIDs, so each insert lands on a random page; with
/// SQLite's default cache (2 MiB) a load of 100,000 users spent most of its time copying pages from and to the OS
/// (12,600 users/s instead of 39,000/s at 20,000). The randomly written indexes of a million members take about
/// 250 MB.
const BULK_CACHE: i64 = 1024 * 1024;
/// SQLite's default page cache, KiB (`cache_size = -2000`).
const DEFAULT_CACHE: i64 = 2000;

async fn set_cache(store: &SqlStore, kib: i64) -> StoreResult<()> {
    let sql = format!("PRAGMA cache_size = -{kib}");
    sqlx::query(AssertSqlSafe(sql)).execute(&store.write).await.map_err(db_err)?;
    Ok(())
}

async fn insert_all(
    store: &SqlStore,
    backend: Backend,
    tenant_id: &TenantId,
    role_ids: &[RoleId],
    mut users: impl Iterator<Item = BulkUser> + Send,
) -> StoreResult<u64> {
    let mut inserted = 0u64;
    loop {
        let mut tx = store.write.begin().await.map_err(db_err)?;
        // The maintained counts move in the same transaction as the rows (see `counts.rs`).
        let mut tally = crate::counts::Tally::default();
        let mut in_tx = 0;
        while in_tx < ROWS_PER_TRANSACTION {
            let batch: Vec<BulkUser> = users.by_ref().take(rows_per_statement(backend)).collect();
            if batch.is_empty() {
                break;
            }
            in_tx += batch.len();
            for b in &batch {
                tally.members(tenant_id.as_str(), 1, b.user.invisible);
                tally.users(1, b.user.invisible);
            }
            insert_batch(&mut tx, backend, tenant_id, role_ids, &batch).await?;
        }
        if in_tx == 0 {
            return Ok(inserted);
        }
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        inserted += in_tx as u64;
    }
}

/// One statement per table for up to [`rows_per_statement`] users, inside the caller's transaction.
async fn insert_batch(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    tenant_id: &TenantId,
    role_ids: &[RoleId],
    batch: &[BulkUser],
) -> StoreResult<()> {
    let sql = &MEMBER_SQL;
    let tenant = tenant_id.as_str();
    let mut owned = String::new();
    let mut q = sqlx::query(AssertSqlSafe(sql.users.for_rows(&USERS_FULL, backend, batch.len(), &mut owned)));
    for BulkUser { user: u, password_hash } in batch {
        q = crate::users::bind_new_user(q, u, password_hash.as_deref());
    }
    q.execute(&mut *tx).await.map_err(db_err)?;

    let with_email: Vec<&User> = batch.iter().map(|b| &b.user).filter(|u| !u.email.is_empty()).collect();
    if !with_email.is_empty() {
        let mut owned = String::new();
        let text = sql.user_emails.for_rows(&USER_EMAILS_FULL, backend, with_email.len(), &mut owned);
        let mut q = sqlx::query(AssertSqlSafe(text));
        for u in with_email {
            let norm = yolk_domain::values::normalize_email(&u.email);
            q = q
                .bind(u.id.to_string())
                .bind(u.id.to_string())
                .bind(u.email.clone())
                .bind(norm.clone())
                .bind(norm)
                .bind(flag(u.verified))
                .bind(ms(u.created_at))
                .bind(ms(u.created_at));
        }
        q.execute(&mut *tx).await.map_err(db_err)?;
    }

    let mut owned = String::new();
    let mut q =
        sqlx::query(AssertSqlSafe(sql.memberships.for_rows(&MEMBERSHIPS_FULL, backend, batch.len(), &mut owned)));
    for b in batch {
        q = q
            .bind(tenant.to_owned())
            .bind(b.user.id.to_string())
            .bind(ms(b.user.created_at))
            .bind(ms(b.user.created_at))
            .bind(flag(b.user.invisible));
    }
    q.execute(&mut *tx).await.map_err(missing(Entity::Tenant))?;

    for role in role_ids {
        let role = role.to_string();
        let mut owned = String::new();
        let mut q =
            sqlx::query(AssertSqlSafe(sql.user_roles.for_rows(&USER_ROLES_FULL, backend, batch.len(), &mut owned)));
        for b in batch {
            q = q.bind(tenant.to_owned()).bind(b.user.id.to_string()).bind(role.clone());
        }
        q.execute(&mut *tx).await.map_err(missing(Entity::Role))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_parameters_in_order() {
        let m = &MEMBER_SQL.memberships;
        assert_eq!(
            m.statement(2, Backend::Postgres),
            "INSERT INTO memberships \
               (tenant_id, user_id, disabled, pending, created_at, user_created_at, user_invisible) VALUES \
             ($1, $2, 0, 0, $3, $4, $5), ($6, $7, 0, 0, $8, $9, $10)"
        );
        assert_eq!(
            m.statement(2, Backend::Sqlite),
            "INSERT INTO memberships \
               (tenant_id, user_id, disabled, pending, created_at, user_created_at, user_invisible) VALUES \
             (?, ?, 0, 0, ?, ?, ?), (?, ?, 0, 0, ?, ?, ?)"
        );
        let users = MEMBER_SQL.users.statement(2, Backend::Postgres);
        assert!(users.ends_with("$35, $36)"), "{users}");
        assert_eq!(users.matches('$').count(), 36);
        assert_eq!(MEMBER_SQL.users.statement(2, Backend::Sqlite).matches('?').count(), 36);
    }
}
