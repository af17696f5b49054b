//! Bulk loading of tenant members: the benchmark's loader (`cargo xtask bench` fills its growth-curve tenants with
//! it, up to a store of a million users, where the API manages about 1,500 users a second) and the shape an import
//! would take. Not used by the server.
//!
//! [`insert_members`] writes what [`yolk_store::UserStore::create_user`] writes for a user who joins an existing
//! tenant — the user row, the membership and the roles held there — for many users at once: multi-row `INSERT`s
//! of [`ROWS_PER_STATEMENT`] users with bound parameters (the same SQL on SQLite and PostgreSQL, prepared once per
//! connection since every full batch has the same text), committed every [`ROWS_PER_TRANSACTION`] users. A
//! transaction is all or nothing: an email or username already taken fails it with `Conflict`, as `create_user`
//! would, and leaves the batches committed before it in place.
//!
//! The SQL is in this file only and follows the schema of the migrations: a migration that adds something every
//! member needs (a maintained member count, sort keys carried by the membership row) adapts `MEMBER_SQL` and
//! `insert_batch` too, and the contract `bulk` (tests/contract/bulk.rs) checks that bulk-loaded members are
//! listed and counted exactly like members created one by one.

use std::sync::OnceLock;

use sqlx::AssertSqlSafe;
use yolk_domain::values::normalize_email;
use yolk_domain::{RoleId, TenantId, User};
use yolk_store::{Entity, StoreError, StoreResult};

use crate::rows::{exists, flag, missing, ms};
use crate::{SqlStore, db_err};

/// Users per multi-row `INSERT` (18 parameters each: 9,000 per statement, under SQLite's 32,766 and PostgreSQL's
/// 65,535).
pub const ROWS_PER_STATEMENT: usize = 500;
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

/// The statements of one batch, by table: the fixed head and the text of one row with its parameters numbered
/// from `$1` (see [`MemberSql::statement`]).
struct TableSql {
    head: &'static str,
    /// One row's `VALUES` tuple: `{}` placeholders, filled with parameter numbers in order.
    row: &'static str,
    /// Parameters per row.
    params: usize,
}

/// Everything a member is made of today (migrations 0001–0005): the user row, the membership, one `user_roles` row
/// per role held.
struct MemberSql {
    users: TableSql,
    /// `$1` is the tenant; each row's own parameters follow.
    memberships: TableSql,
    /// `$1` is the tenant, `$2` the role; each row's user id follows.
    user_roles: TableSql,
}

const MEMBER_SQL: MemberSql = MemberSql {
    users: TableSql {
        head: "INSERT INTO users (id, email, email_norm, username, name, phone_number, profile_picture_url, metadata, \
               external_id, provider, password_hash, verified, locked, super_user, invisible, active_tenant_id, \
               last_login, created_at, updated_at) VALUES ",
        row: "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, {}, {})",
        params: 18,
    },
    memberships: TableSql {
        head: "INSERT INTO memberships (tenant_id, user_id, disabled, pending, created_at) VALUES ",
        row: "($1, {}, 0, 0, {})",
        params: 2,
    },
    user_roles: TableSql {
        head: "INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ",
        row: "($1, {}, $2)",
        params: 1,
    },
};

impl TableSql {
    /// The statement for `rows` rows whose parameters start at `$first`.
    fn statement(&self, rows: usize, first: usize) -> String {
        let mut sql = String::with_capacity(self.head.len() + rows * (self.row.len() + 8 * self.params));
        sql.push_str(self.head);
        let mut n = first;
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            let mut parts = self.row.split("{}");
            sql.push_str(parts.next().unwrap_or_default());
            for part in parts {
                sql.push('$');
                sql.push_str(&n.to_string());
                n += 1;
                sql.push_str(part);
            }
        }
        sql
    }

    /// The statement for a full batch, built once.
    fn full(&self, cell: &'static OnceLock<String>, first: usize) -> &'static str {
        cell.get_or_init(|| self.statement(ROWS_PER_STATEMENT, first))
    }
}

static USERS_FULL: OnceLock<String> = OnceLock::new();
static MEMBERSHIPS_FULL: OnceLock<String> = OnceLock::new();
static USER_ROLES_FULL: OnceLock<String> = OnceLock::new();

/// Users without an email (username sign-up) store NULL so the unique index ignores them (as `create_user`).
fn email_or_null(email: &str) -> Option<String> {
    (!email.is_empty()).then(|| email.to_owned())
}

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
        if !exists(&mut *conn, tenant, &[tenant_id.into()]).await? {
            return Err(StoreError::NotFound(Entity::Tenant));
        }
        for role in role_ids {
            let role = role.to_string();
            let usable = "SELECT id FROM roles WHERE id = $1 AND (tenant_id IS NULL OR tenant_id = $2)";
            if !exists(&mut *conn, usable, &[(&role).into(), tenant_id.into()]).await? {
                return Err(StoreError::NotFound(Entity::Role));
            }
        }
    }
    let mut users = users.into_iter();
    let mut inserted = 0u64;
    loop {
        let mut tx = store.write.begin().await.map_err(db_err)?;
        let mut in_tx = 0;
        while in_tx < ROWS_PER_TRANSACTION {
            let batch: Vec<BulkUser> = users.by_ref().take(ROWS_PER_STATEMENT).collect();
            if batch.is_empty() {
                break;
            }
            in_tx += batch.len();
            insert_batch(&mut tx, tenant_id, role_ids, &batch).await?;
        }
        if in_tx == 0 {
            return Ok(inserted);
        }
        tx.commit().await.map_err(db_err)?;
        inserted += in_tx as u64;
    }
}

/// One statement per table for up to [`ROWS_PER_STATEMENT`] users, inside the caller's transaction.
async fn insert_batch(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &TenantId,
    role_ids: &[RoleId],
    batch: &[BulkUser],
) -> StoreResult<()> {
    let full = batch.len() == ROWS_PER_STATEMENT;
    let sql = &MEMBER_SQL;
    let owned;
    let text = if full {
        sql.users.full(&USERS_FULL, 1)
    } else {
        owned = sql.users.statement(batch.len(), 1);
        &owned
    };
    let mut q = sqlx::query(AssertSqlSafe(text));
    for BulkUser { user: u, password_hash } in batch {
        q = q
            .bind(u.id.to_string())
            .bind(email_or_null(&u.email))
            .bind(email_or_null(&u.email).map(|e| normalize_email(&e)))
            .bind(u.username.clone())
            .bind(u.name.clone())
            .bind(u.phone_number.clone())
            .bind(u.profile_picture_url.clone())
            .bind(u.metadata.clone())
            .bind(u.external_id.clone())
            .bind(u.provider.clone())
            .bind(password_hash.clone())
            .bind(flag(u.verified))
            .bind(flag(u.locked))
            .bind(flag(u.super_user))
            .bind(flag(u.invisible))
            .bind(u.active_tenant_id.as_ref().map(|t| t.as_str().to_owned()))
            .bind(ms(u.created_at))
            .bind(ms(u.updated_at));
    }
    q.execute(&mut *tx).await.map_err(db_err)?;

    let owned;
    let text = if full {
        sql.memberships.full(&MEMBERSHIPS_FULL, 2)
    } else {
        owned = sql.memberships.statement(batch.len(), 2);
        &owned
    };
    let mut q = sqlx::query(AssertSqlSafe(text)).bind(tenant_id.as_str().to_owned());
    for b in batch {
        q = q.bind(b.user.id.to_string()).bind(ms(b.user.created_at));
    }
    q.execute(&mut *tx).await.map_err(missing(Entity::Tenant))?;

    for role in role_ids {
        let owned;
        let text = if full {
            sql.user_roles.full(&USER_ROLES_FULL, 3)
        } else {
            owned = sql.user_roles.statement(batch.len(), 3);
            &owned
        };
        let mut q = sqlx::query(AssertSqlSafe(text)).bind(tenant_id.as_str().to_owned()).bind(role.to_string());
        for b in batch {
            q = q.bind(b.user.id.to_string());
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
            m.statement(2, 2),
            "INSERT INTO memberships (tenant_id, user_id, disabled, pending, created_at) VALUES \
             ($1, $2, 0, 0, $3), ($1, $4, 0, 0, $5)"
        );
        let users = MEMBER_SQL.users.statement(2, 1);
        assert!(users.ends_with("$35, $36)"), "{users}");
        assert_eq!(users.matches('$').count(), 2 * MEMBER_SQL.users.params);
        assert_eq!(MEMBER_SQL.user_roles.statement(1, 3), format!("{}($1, $3, $2)", MEMBER_SQL.user_roles.head));
    }
}
