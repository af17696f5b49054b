//! How long one call may hold the store ([`StoreOptions::statement_timeout`]). On PostgreSQL every pooled
//! connection carries a `statement_timeout`: a statement that runs, or waits for a lock, longer is cancelled by the
//! server and answered [`StoreError::Timeout`]; the pool serves on. Migrations are not bounded by it. SQLite ignores
//! the option (a statement cannot be interrupted through sqlx's `Any` driver).

use std::time::{Duration, Instant};

use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
use yolk_store::{Store, StoreError, TenantStore};
use yolk_store_sql::{SqlStore, StoreOptions};
use yolk_testkit::{POSTGRES_ENV, TestDb};

use crate::{at, tenant, tid};

const TIMEOUT: Duration = Duration::from_millis(50);

fn bounded(timeout: Option<Duration>) -> StoreOptions {
    StoreOptions { statement_timeout: timeout }
}

/// A fresh PostgreSQL schema, or `None` (after saying so) when the variable is unset.
async fn postgres() -> Option<TestDb> {
    match std::env::var(POSTGRES_ENV) {
        Ok(base) if !base.is_empty() => Some(TestDb::postgres(&base).await),
        _ => {
            eprintln!("skipped: {POSTGRES_ENV} not set");
            None
        }
    }
}

/// Another session of the same database, holding `tenants` exclusively in an open transaction: every statement
/// touching the table, a plain read included, waits for it.
async fn lock_tenants(url: &str) -> AnyConnection {
    let mut conn = AnyConnection::connect(url).await.expect("connect");
    conn.execute("BEGIN").await.expect("begin");
    conn.execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE").await.expect("lock");
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cancels_a_statement_past_the_timeout() {
    let Some(db) = postgres().await else { return };
    let store = SqlStore::open_with(&db.url, at(0), bounded(Some(TIMEOUT))).await.expect("open store");
    store.create_tenant(&tenant("t1")).await.unwrap();
    let mut blocker = lock_tenants(&db.url).await;

    for _ in 0..2 {
        let started = Instant::now();
        let err = store.get_tenant(&tid("t1")).await.expect_err("the read waits past the timeout");
        assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "cancelled after {:?}", started.elapsed());
    }
    let err = store.create_tenant(&tenant("t2")).await.expect_err("the write waits past the timeout");
    assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");

    blocker.execute("ROLLBACK").await.expect("release");
    // The connections whose statements were cancelled serve again, and the cancelled write left nothing.
    assert_eq!(store.get_tenant(&tid("t1")).await.unwrap().name, "Tenant t1");
    assert!(matches!(store.get_tenant(&tid("t2")).await, Err(StoreError::NotFound(_))));
    store.ping().await.unwrap();
    store.close().await;
}

/// Without a limit the same read waits for the lock as long as it is held (what every read did before the
/// timeout existed), then succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_without_a_timeout_waits_for_the_lock() {
    let Some(db) = postgres().await else { return };
    let store = SqlStore::open_with(&db.url, at(0), bounded(None)).await.expect("open store");
    store.create_tenant(&tenant("t1")).await.unwrap();
    let mut blocker = lock_tenants(&db.url).await;

    let reader = tokio::spawn({
        let store = store.clone();
        async move { store.get_tenant(&tid("t1")).await }
    });
    tokio::time::sleep(TIMEOUT * 6).await;
    assert!(!reader.is_finished(), "the read waits for the lock");
    blocker.execute("ROLLBACK").await.expect("release");
    assert_eq!(reader.await.unwrap().unwrap().name, "Tenant t1");
    store.close().await;
}

/// Migrations are not bounded by the statement timeout: a node waiting for another's migration (the advisory lock)
/// longer than the timeout still opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_are_not_bounded_by_the_timeout() {
    let Some(db) = postgres().await else { return };
    let mut migrating = AnyConnection::connect(&db.url).await.expect("connect");
    // The migrator's lock ("yolk"), as a node that is migrating holds it.
    migrating.execute(AssertSqlSafe(format!("SELECT pg_advisory_lock({})", 0x796f_6c6b_i64))).await.expect("lock");
    let opening = tokio::spawn({
        let url = db.url.clone();
        async move { SqlStore::open_with(&url, at(0), bounded(Some(TIMEOUT))).await }
    });
    tokio::time::sleep(TIMEOUT * 6).await;
    migrating.execute(AssertSqlSafe(format!("SELECT pg_advisory_unlock({})", 0x796f_6c6b_i64))).await.expect("unlock");
    let store = opening.await.unwrap().expect("the store opens once the other migration is done");
    // Its pooled connections are bounded all the same.
    store.create_tenant(&tenant("t1")).await.unwrap();
    let _blocker = lock_tenants(&db.url).await;
    assert!(matches!(store.get_tenant(&tid("t1")).await, Err(StoreError::Timeout(_))));
    store.close().await;
}

/// SQLite accepts the option and ignores it: a tiny timeout changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ignores_the_statement_timeout() {
    let db = TestDb::sqlite();
    let store = SqlStore::open_with(&db.url, at(0), bounded(Some(Duration::from_millis(1)))).await.expect("open");
    store.create_tenant(&tenant("t1")).await.unwrap();
    assert_eq!(store.get_tenant(&tid("t1")).await.unwrap().name, "Tenant t1");
    store.close().await;
}
