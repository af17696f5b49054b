//! A small migrator: numbered SQL files compiled into the binary, applied in order, each in a transaction,
//! recorded in `schema_migrations`. On PostgreSQL an advisory lock serializes nodes migrating at once.

use chrono::{DateTime, Utc};
use sqlx::{AnyPool, AssertSqlSafe, Connection};
use yolk_store::StoreResult;

use crate::{Backend, db_err};

/// The migrations, in order: (version, SQL). Never edit an applied one.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_users_invisible_index.sql")),
    (3, include_str!("../migrations/0003_pending_memberships.sql")),
    (4, include_str!("../migrations/0004_signing_key_envelope_and_rotation.sql")),
    (5, include_str!("../migrations/0005_failed_logins.sql")),
    (6, include_str!("../migrations/0006_list_pages_in_order.sql")),
    (7, include_str!("../migrations/0007_outbox.sql")),
    (8, include_str!("../migrations/0008_one_time_secrets.sql")),
    (9, include_str!("../migrations/0009_one_time_secrets_by_hash.sql")),
    (10, include_str!("../migrations/0010_mfa.sql")),
    (11, include_str!("../migrations/0011_invitation_secrets.sql")),
    (12, include_str!("../migrations/0012_password_history.sql")),
    (14, include_str!("../migrations/0014_user_identifiers.sql")),
    (15, include_str!("../migrations/0015_tenant_invites_and_codes.sql")),
    (16, include_str!("../migrations/0016_webauthn.sql")),
    (17, include_str!("../migrations/0017_user_phone_numbers_verification.sql")),
    (18, include_str!("../migrations/0018_user_tasks_and_temporary_users.sql")),
    (19, include_str!("../migrations/0019_sso.sql")),
    (20, include_str!("../migrations/0020_scim.sql")),
    (21, include_str!("../migrations/0021_sso_logins.sql")),
    (22, include_str!("../migrations/0022_social_providers.sql")),
];

const LOCK_ID: i64 = 0x796f_6c6b; // "yolk"

/// Tables a migration rewrote row by row (version, table). On PostgreSQL each old row version stays in the
/// table's indexes until a vacuum: an index built in the same transaction holds them too (0006's
/// `memberships_page`, under the old rows' default sort keys, which an ascending page would walk before the first
/// live entry). Autovacuum may be off or late, so the migrator vacuums (and analyzes) these tables right after.
const VACUUM_AFTER: &[(i64, &str)] = &[(6, "VACUUM (ANALYZE) memberships")];

pub(crate) async fn run(pool: &AnyPool, backend: Backend, now: DateTime<Utc>) -> StoreResult<usize> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    if backend == Backend::Postgres {
        // Neither a migration nor the wait for another node's is bounded by the statement timeout: a migration
        // over a large table may rightly take longer. The connection leaves the pool afterwards rather than go back
        // without its timeout.
        conn.close_on_drop();
        sqlx::query("SET statement_timeout = 0").execute(&mut *conn).await.map_err(db_err)?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK_ID).execute(&mut *conn).await.map_err(db_err)?;
    }
    let result = apply(&mut conn, backend, now).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_ID).execute(&mut *conn).await.map_err(db_err)?;
    }
    result
}

/// Applies the pending migrations, each in its own transaction that first re-checks it is still pending. On
/// PostgreSQL the advisory lock already serializes migrators; on SQLite the transaction starts with
/// `BEGIN IMMEDIATE`, which takes the database's write lock before the check (another process starting on the
/// same new file waits on the busy timeout, then finds the migration applied).
async fn apply(conn: &mut sqlx::AnyConnection, backend: Backend, now: DateTime<Utc>) -> StoreResult<usize> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS {
        let mut tx = match backend {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => conn.begin().await,
        }
        .map_err(db_err)?;
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(*version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.is_some() {
            tx.rollback().await.map_err(db_err)?;
            continue;
        }
        for statement in statements(sql) {
            sqlx::query(AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(db_err)?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(now.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tracing::info!(version, "applied migration");
        applied += 1;
        if backend == Backend::Postgres {
            for (_, vacuum) in VACUUM_AFTER.iter().filter(|(v, _)| v == version) {
                sqlx::query(*vacuum).execute(&mut *conn).await.map_err(db_err)?;
            }
        }
    }
    Ok(applied)
}

/// Splits a migration into statements (no migration puts `;` inside a literal), dropping `--` comments.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String =
        sql.lines().map(|l| l.split_once("--").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    without_comments.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}
