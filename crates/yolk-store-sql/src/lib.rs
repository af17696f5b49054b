//! The store on SQLite and PostgreSQL with one codebase: portable SQL through sqlx's `Any` driver.
//!
//! Why `Any` and hand-written SQL rather than an ORM: yolk's queries are few and simple, the portable subset of
//! SQL covers them all (`$N` placeholders work on both), and every statement stays greppable. The price is the
//! column types: ids and JSON are TEXT, times BIGINT epoch-ms, booleans BIGINT (see `migrations/`).
//!
//! SQLite has one writer. Rather than let many connections fight over the lock (SQLite's busy handler sleeps),
//! writes go through a pool of one connection and queue in the pool; reads use a pool of several (WAL mode).
//! On PostgreSQL both handles are the same pool.
//!
//! How long one request may hold the store: on PostgreSQL every pooled connection carries a `statement_timeout`
//! ([`StoreOptions::statement_timeout`], 10 s by default), so the server cancels a statement that runs, or waits
//! for a lock, longer; the caller gets [`StoreError::Timeout`] and the transaction rolls back. SQLite statements
//! cannot be interrupted through sqlx's `Any` driver; there the bounds are the statements themselves (pages and
//! list filters are bounded by the server), `busy_timeout` for the write lock, and the pools' acquire timeouts.
//!
//! TLS to PostgreSQL: a URL that names `sslmode` is obeyed. One that does not, and points at a loopback host
//! (`localhost`, `127.0.0.0/8`, `::1`), connects without TLS ([`postgres_url_for_connect`]): the bytes never leave
//! the machine, and sqlx's default (`prefer`) spent about 200 ms per new connection on loading the trust roots and
//! the handshake (start-up 350–430 ms on this machine, every pooled connection paying it again). Any other host
//! keeps sqlx's default.

#[doc(hidden)]
pub mod bulk;
mod categories;
mod counts;
mod identifiers;
mod inline;
mod invites;
mod keys;
mod memberships;
mod mfa;
mod migrate;
mod outbox;
mod passwords;
mod permissions;
mod roles;
mod rows;
mod scim;
mod secrets;
mod sessions;
mod settings;
mod social;
mod sso;
mod sso_logins;
mod tasks;
mod tenants;
mod users;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe, Executor};
use yolk_store::{Constraint, Store, StoreError, StoreResult};

use crate::inline::{Inline, InlineError};
use crate::rows::{Arg, Decode};

pub use migrate::MIGRATIONS;

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend for a database URL (`sqlite:` or `postgres:`/`postgresql:`).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Backend(format!(
                "unsupported database URL scheme (want sqlite: or postgres:): {}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// How long a node keeps retrying to open a SQLite file another process holds locked (see [`SqlStore::open_with`]).
pub const SQLITE_OPEN_RETRY: Duration = Duration::from_secs(10);

/// How the store bounds its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// On PostgreSQL, the longest a statement may run (waiting for locks included) before the server cancels it,
    /// answered as [`StoreError::Timeout`]; `None` for no limit. Set as `statement_timeout` on every pooled
    /// connection (migrations lift it: they may rightly take longer). SQLite has no equivalent reachable through
    /// sqlx's `Any` driver and ignores it.
    pub statement_timeout: Option<Duration>,
}

impl StoreOptions {
    /// The default statement timeout.
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { statement_timeout: Some(Self::DEFAULT_STATEMENT_TIMEOUT) }
    }
}

/// The SQL store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// On a SQLite file, the readers that run bounded reads on the calling thread ([`SqlStore::fetch_bounded`]).
    inline: Option<Arc<Inline>>,
}

impl SqlStore {
    /// Connects to `url` (creating a SQLite file if missing) without migrating, with the default
    /// [`StoreOptions`].
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, StoreOptions::default()).await
    }

    /// Connects to `url` (creating a SQLite file if missing) without migrating.
    pub async fn connect_with(url: &str, options: StoreOptions) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                let write = sqlite_pool(1).connect(&url).await.map_err(backend_err)?;
                // WAL is a property of the database file: set it once on the writer before readers open.
                write.execute("PRAGMA journal_mode = WAL").await.map_err(backend_err)?;
                let read = sqlite_pool(8).connect(&url).await.map_err(backend_err)?;
                let options: sqlx::sqlite::SqliteConnectOptions = url.parse().map_err(backend_err)?;
                // An in-memory database lives in sqlx's connections only: its reads stay there.
                let file = options.get_filename();
                let inline = (!file.as_os_str().is_empty() && file.as_os_str() != ":memory:")
                    .then(|| Arc::new(Inline::new(file)));
                Ok(Self { read, write, backend, inline })
            }
            Backend::Postgres => {
                // Whole milliseconds, at least 1 (`0` would mean no limit to PostgreSQL).
                let timeout_ms = options.statement_timeout.map_or(0, |t| t.as_millis().clamp(1, i32::MAX as u128));
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    // sqlx pings every connection it hands out: one more round trip per statement outside a
                    // transaction (a refresh made eight). A connection the server dropped fails its next statement
                    // instead (one request answered 503/500), and the pool then discards it.
                    .test_before_acquire(false)
                    .after_connect(move |conn, _meta| {
                        Box::pin(async move {
                            // `jit = off`: pages are small, compiling a plan never pays, and a blind estimate (a
                            // recursive query's, or any without statistics) made it cost 100-200 ms of a 1 ms read.
                            let setup = format!("SET statement_timeout = {timeout_ms}; SET jit = off");
                            conn.execute(AssertSqlSafe(setup)).await?;
                            Ok(())
                        })
                    })
                    .connect(&postgres_url_for_connect(url))
                    .await
                    .map_err(backend_err)?;
                Ok(Self { read: pool.clone(), write: pool, backend, inline: None })
            }
        }
    }

    /// Connects and applies pending migrations, recording them as applied at `now`, with the default
    /// [`StoreOptions`].
    pub async fn open(url: &str, now: DateTime<Utc>) -> StoreResult<Self> {
        Self::open_with(url, now, StoreOptions::default()).await
    }

    /// Connects with `options` and applies pending migrations, recording them as applied at `now`.
    ///
    /// On SQLite, nodes starting together on a new file contend for its lock in ways the busy timeout does not
    /// cover (switching the file to WAL, its first recovery): a "database is locked" while opening is retried for
    /// up to [`SQLITE_OPEN_RETRY`], and every attempt starts over on fresh connections.
    pub async fn open_with(url: &str, now: DateTime<Utc>, options: StoreOptions) -> StoreResult<Self> {
        let deadline = std::time::Instant::now() + SQLITE_OPEN_RETRY;
        let mut pause = Duration::from_millis(10);
        loop {
            let attempt = async {
                let store = Self::connect_with(url, options).await?;
                match store.migrate(now).await {
                    Ok(_) => Ok(store),
                    Err(e) => {
                        store.close().await;
                        Err(e)
                    }
                }
            };
            match attempt.await {
                Err(StoreError::Backend(msg))
                    if matches!(Backend::from_url(url), Ok(Backend::Sqlite))
                        && msg.contains("database is locked")
                        && std::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// Applies pending migrations (idempotent; safe when several nodes start at once).
    pub async fn migrate(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        migrate::run(&self.write, self.backend, now).await
    }

    /// Recomputes what the store maintains for O(page) lists (`src/counts.rs`: member counts, store-wide counts,
    /// the memberships' copies of their users' sort keys) from the base rows, in one transaction: O(store). For a
    /// store whose rows were written by raw SQL (a bulk load); run it while nothing else writes.
    /// On PostgreSQL the rewritten memberships are then vacuumed and analyzed (on a connection without the
    /// statement timeout, which then leaves the pool), so that no index keeps the old row versions.
    pub async fn rebuild_maintained_counts(&self) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        counts::rebuild(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        if self.backend == Backend::Postgres {
            let mut conn = self.write.acquire().await.map_err(db_err)?;
            conn.close_on_drop();
            sqlx::query("SET statement_timeout = 0").execute(&mut *conn).await.map_err(db_err)?;
            sqlx::query("VACUUM (ANALYZE) memberships").execute(&mut *conn).await.map_err(db_err)?;
        }
        Ok(())
    }

    /// Where what the store maintains for O(page) lists differs from the base rows (one line each; empty when
    /// consistent): O(store), exact while nothing writes.
    pub async fn maintained_counts_drift(&self) -> StoreResult<Vec<String>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        counts::drift(&mut conn).await
    }

    /// Runs a read whose cost is bounded by the rows it returns (a page along an index, rows by key; never a scan
    /// or a count): on SQLite on the calling thread (`src/inline.rs`), else on the read pool. `args` bind to `$1,
    /// $2, ...`.
    pub(crate) async fn fetch_bounded<T: Decode>(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<T>> {
        if let Some(inline) = &self.inline {
            match inline.fetch(sql, args) {
                Ok(rows) => return Ok(rows),
                Err(InlineError::Failed(e)) => return Err(e),
                Err(InlineError::Busy) => {}
            }
        }
        let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
        for a in args {
            q = match *a {
                Arg::Text(s) => q.bind(s.to_owned()),
                Arg::Int(i) => q.bind(i),
            };
        }
        q.fetch_all(&self.read).await.map_err(db_err)?.iter().map(T::decode).collect()
    }

    /// The backend in use.
    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// Closes the pools, waiting for checked-out connections.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// The PostgreSQL URL to connect with: `url` itself, plus `sslmode=disable` when it names no `sslmode` and its host
/// is a loopback address (see the module docs). A URL that does not parse is passed on unchanged for sqlx to
/// report.
pub fn postgres_url_for_connect(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_owned() };
    if parsed.query_pairs().any(|(k, _)| k == "sslmode" || k == "ssl-mode") {
        return url.to_owned();
    }
    let loopback = match parsed.host() {
        // `postgres:` is not a special scheme to the URL standard: an IPv4 address comes back as a domain.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback {
        return url.to_owned();
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.into()
}

fn sqlite_pool(size: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        // An embedded connection cannot drop the way a network one does; the ping sqlx sends on every checkout
        // is a round trip to the connection's worker thread (measured: 632 → 370 µs of CPU per `/users/v2/me`).
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                    .await?;
                Ok(())
            })
        })
}

#[async_trait::async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await.map_err(db_err)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Maps a database error: unique violations of the constraints in [`UNIQUE`] become `Conflict`; anything else,
/// including a clash on a random primary key or a foreign-key violation the caller did not expect (callers that
/// write a reference map its violation with `rows::missing`), is a backend failure.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            // PostgreSQL names the constraint (`users_email_norm_key`); SQLite names the columns in the message
            // (`UNIQUE constraint failed: users.email_norm`).
            let raw = d.constraint().unwrap_or_else(|| d.message());
            match unique_constraint(raw) {
                Some(c) => StoreError::Conflict(c),
                None => backend_err(e),
            }
        }
        // PostgreSQL's `query_canceled`: the statement timeout fired (or an operator cancelled the query).
        sqlx::Error::Database(d) if d.code().as_deref() == Some(QUERY_CANCELED) => timeout_err(e),
        sqlx::Error::PoolTimedOut => timeout_err(e),
        _ => backend_err(e),
    }
}

/// PostgreSQL's SQLSTATE for a cancelled statement.
const QUERY_CANCELED: &str = "57014";

fn timeout_err(e: sqlx::Error) -> StoreError {
    tracing::warn!(error = %e, "the store did not answer in time");
    StoreError::Timeout(e.to_string())
}

/// The uniqueness rules of the schema: (PostgreSQL constraint name, SQLite `table.column` list, the rule).
const UNIQUE: &[(&str, &str, Constraint)] = &[
    ("tenants_tenant_id_key", "tenants.tenant_id", Constraint::TenantId),
    ("tenants_alias_key", "tenants.alias", Constraint::TenantAlias),
    ("users_email_norm_key", "users.email_norm", Constraint::UserEmail),
    ("users_username_key", "users.username", Constraint::Username),
    ("memberships_pkey", "memberships.tenant_id, memberships.user_id", Constraint::Membership),
    ("roles_scope_key_key", "roles.scope, roles.key", Constraint::RoleKey),
    ("permissions_key_key", "permissions.key", Constraint::PermissionKey),
    ("permission_categories_pkey", "permission_categories.id", Constraint::CategoryId),
    ("settings_pkey", "settings.key", Constraint::Setting),
    ("user_emails_claim_key", "user_emails.claim", Constraint::UserEmail),
    ("user_emails_user_id_email_norm_key", "user_emails.user_id, user_emails.email_norm", Constraint::OwnEmail),
    ("user_phone_numbers_claim_key", "user_phone_numbers.claim", Constraint::PhoneNumber),
    (
        "user_phone_numbers_user_id_phone_norm_key",
        "user_phone_numbers.user_id, user_phone_numbers.phone_norm",
        Constraint::OwnPhoneNumber,
    ),
    ("mfa_devices_credential", "mfa_devices.credential_id", Constraint::WebAuthnCredential),
    ("passkeys_credential_id_key", "passkeys.credential_id", Constraint::WebAuthnCredential),
    ("sso_domains_claim_key", "sso_domains.claim", Constraint::SsoDomain),
    (
        "sso_domains_configuration_id_domain_key",
        "sso_domains.configuration_id, sso_domains.domain",
        Constraint::SsoDomainInConfiguration,
    ),
    ("sso_groups_configuration_id_name_key", "sso_groups.configuration_id, sso_groups.name", Constraint::SsoGroup),
    ("sso_excluded_emails_pkey", "sso_excluded_emails.email_norm", Constraint::SsoExcludedEmail),
    (
        "scim_users_connection_id_user_name_norm_key",
        "scim_users.connection_id, scim_users.user_name_norm",
        Constraint::ScimUserName,
    ),
];

fn unique_constraint(raw: &str) -> Option<Constraint> {
    let columns = raw.strip_prefix("UNIQUE constraint failed: ");
    UNIQUE.iter().find(|(pg, sqlite, _)| columns.map_or(raw == *pg, |c| c == *sqlite)).map(|(_, _, c)| *c)
}

pub(crate) fn backend_err(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// `$from, $from+1, ...` for `n` values: placeholders for an `IN (...)` list.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No connection free in time is a timeout too (a 503 for the client), not a backend failure.
    #[test]
    fn loopback_postgres_urls_without_sslmode_connect_without_tls() {
        use super::postgres_url_for_connect as f;
        assert_eq!(
            f("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
        );
        assert_eq!(
            f("postgres://u@localhost/db?application_name=y"),
            "postgres://u@localhost/db?application_name=y&sslmode=disable"
        );
        assert_eq!(f("postgresql://u@[::1]:5432/db"), "postgresql://u@[::1]:5432/db?sslmode=disable");
        // An explicit choice is obeyed, and a remote host keeps sqlx's default.
        assert_eq!(f("postgres://u@127.0.0.1/db?sslmode=require"), "postgres://u@127.0.0.1/db?sslmode=require");
        assert_eq!(f("postgres://u@db.example.com/db"), "postgres://u@db.example.com/db");
        assert_eq!(f("not a url"), "not a url");
    }

    #[test]
    fn a_pool_timeout_is_a_store_timeout() {
        assert!(matches!(db_err(sqlx::Error::PoolTimedOut), StoreError::Timeout(_)));
        assert!(matches!(db_err(sqlx::Error::RowNotFound), StoreError::Backend(_)));
    }
}
