//! Test support. [`TestDb`] gives each test its own database: a SQLite file in a temporary directory, or, when
//! `YOLK_TEST_POSTGRES_URL` is set, a fresh schema on that server (selected through the connection's
//! `search_path`), so tests run in parallel without seeing each other's rows.

pub mod saml_idp;
pub mod smtp;

use std::sync::OnceLock;

use sqlx::Executor;
use yolk_domain::SigningKey;

/// The environment variable selecting PostgreSQL for the test suites.
pub const POSTGRES_ENV: &str = "YOLK_TEST_POSTGRES_URL";

/// An isolated database for one test. Dropping it removes a SQLite directory; PostgreSQL schemas are left for
/// inspection and removed by `cleanup_postgres_schemas` at the start of the next run (see `.ci/run`).
pub struct TestDb {
    /// The URL a store should connect to.
    pub url: String,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new empty database on the backend the environment selects.
    pub async fn new() -> Self {
        match std::env::var(POSTGRES_ENV) {
            Ok(base) if !base.is_empty() => Self::postgres(&base).await,
            _ => Self::sqlite(),
        }
    }

    /// A new SQLite database in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("yolk.db").display());
        Self { url, backend: "sqlite", _dir: Some(dir) }
    }

    /// A new schema on the PostgreSQL server at `base`.
    pub async fn postgres(base: &str) -> Self {
        sqlx::any::install_default_drivers();
        let schema = format!("yolk_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            <sqlx::AnyConnection as sqlx::Connection>::connect(base).await.expect("connect to YOLK_TEST_POSTGRES_URL");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).await.expect("create test schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Self { url, backend: "postgres", _dir: None }
    }
}

/// One RSA key for the whole test process: generating a key per test would dominate test time.
pub fn signing_key() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| yolk_core::keys::generate_signing_key(chrono::Utc::now()).expect("generate test key")).clone()
}
