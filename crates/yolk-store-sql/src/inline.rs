//! SQLite reads on the calling thread: the bounded reads of the hot paths (a page in index order, rows by key),
//! through rusqlite on connections of their own, with statements prepared once per connection.
//!
//! Why: sqlx runs every SQLite statement on a worker thread of its connection and converts each row into its
//! `Any` form. For a page of 25 users that is three round trips between threads (futex wake-ups, a context switch
//! each way) and per-column allocations; `perf` of the users-page load put the hand-off alone (kernel scheduling,
//! `pthread_mutex`, sqlx's worker) at about 40 % of the server's CPU. A bounded read costs SQLite a few tens of
//! microseconds, less than the hand-off, so running it where the request already runs is cheaper than any queue.
//!
//! The price is that the read holds the async worker while SQLite runs, so only statements whose cost is bounded by
//! what they return go here (callers say so: [`crate::SqlStore::fetch_bounded`]); scans (filters, counts) stay on
//! sqlx's pool. A connection never waits for a lock: `busy_timeout` is 0, and a busy database (a reader meets one
//! only while the writer recovers or restarts the WAL) sends the read to the pool, which waits properly.
//! The same SQL text serves both drivers: SQLite reads `$1` as a parameter named `$1`, bound here by name.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use yolk_store::{StoreError, StoreResult};

use crate::rows::{Arg, Decode, RowExt};

/// Idle connections kept for reuse; more are opened when more reads run at once, and closed after.
const MAX_IDLE: usize = 8;

/// Prepared statements each connection keeps (page shapes, `IN` lists of each length).
const STATEMENT_CACHE: usize = 128;

/// Why an inline read did not answer.
#[derive(Debug)]
pub(crate) enum InlineError {
    /// The database was busy: run the read on the pool instead.
    Busy,
    /// Any other failure, final.
    Failed(StoreError),
}

/// The inline readers of one SQLite database file, and its inline writer ([`Inline::write`]).
pub(crate) struct Inline {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The connection of [`Inline::write`], opened on first use.
    writer: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inline").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Inline {
    /// Readers of the database file at `path` (opened lazily, on first use).
    pub(crate) fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()), writer: Mutex::new(None) }
    }

    /// Runs `f` in an immediate transaction on the writer connection, committing when it returns `Ok`. Blocking
    /// (call it from a blocking thread), and only while holding the store's write lock (its sqlx writer
    /// connection): then no other writer of this process is running, and the busy wait below only ever waits for
    /// another process on the same file.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>) -> StoreResult<T> {
        let mut slot = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            let conn = Connection::open(&self.path).map_err(write_err)?;
            conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                .map_err(write_err)?;
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            *slot = Some(conn);
        }
        let conn = slot.as_mut().expect("opened above");
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(write_err)?;
        let out = f(&tx).map_err(write_err)?;
        tx.commit().map_err(write_err)?;
        Ok(out)
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // Reads only; never wait for a lock on the async worker (see the module docs).
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 0;")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Runs `sql` with `args` (bound to `$1, $2, ...`) and decodes every row.
    pub(crate) fn fetch<T: Decode>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>, InlineError> {
        let taken = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let conn = match taken {
            Some(conn) => conn,
            None => self.open().map_err(inline_err)?,
        };
        let result = run(&conn, sql, args);
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        result
    }
}

fn run<T: Decode>(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>, InlineError> {
    let mut stmt = conn.prepare_cached(sql).map_err(inline_err)?;
    for (i, arg) in args.iter().enumerate() {
        let name = format!("${}", i + 1);
        match *arg {
            Arg::Text(s) => stmt.raw_bind_parameter(name.as_str(), s),
            Arg::Int(n) => stmt.raw_bind_parameter(name.as_str(), n),
        }
        .map_err(inline_err)?;
    }
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(inline_err)? {
        out.push(T::decode(&InlineRow { row, names: &names, next: Cell::new(0) }).map_err(InlineError::Failed)?);
    }
    Ok(out)
}

fn write_err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn inline_err(e: rusqlite::Error) -> InlineError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => InlineError::Busy,
        _ => InlineError::Failed(StoreError::Backend(e.to_string())),
    }
}

/// One row of an inline read, its columns addressed by name.
struct InlineRow<'a> {
    row: &'a rusqlite::Row<'a>,
    names: &'a [String],
    /// Where the next lookup starts: decoders mostly read columns in the order they are selected, so a lookup
    /// usually matches at once.
    next: Cell<usize>,
}

impl InlineRow<'_> {
    fn value(&self, col: &str) -> StoreResult<ValueRef<'_>> {
        let n = self.names.len();
        let start = self.next.get();
        let idx = (0..n)
            .map(|i| (start + i) % n)
            .find(|&i| self.names[i] == col)
            .ok_or_else(|| StoreError::Backend(format!("decoding column {col}: no such column")))?;
        self.next.set(idx + 1);
        self.row.get_ref(idx).map_err(|e| StoreError::Backend(format!("decoding column {col}: {e}")))
    }
}

fn mismatch(col: &str, want: &str) -> StoreError {
    StoreError::Backend(format!("decoding column {col}: not {want}"))
}

impl RowExt for InlineRow<'_> {
    fn text(&self, col: &str) -> StoreResult<String> {
        self.opt_text(col)?.ok_or_else(|| mismatch(col, "text (null)"))
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(b) => String::from_utf8(b.to_vec()).map(Some).map_err(|_| mismatch(col, "UTF-8 text")),
            _ => Err(mismatch(col, "text")),
        }
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.opt_int(col)?.ok_or_else(|| mismatch(col, "an integer (null)"))
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(n) => Ok(Some(n)),
            _ => Err(mismatch(col, "an integer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct X(i64);

    impl Decode for X {
        fn decode<R: RowExt>(row: &R) -> StoreResult<Self> {
            row.int("x").map(X)
        }
    }

    /// A locked file is `Busy` at once (the caller then reads on the pool, which waits): an inline read never
    /// waits for a lock on the async worker, nor fails the request because of one. Here another connection holds
    /// the file in exclusive mode mid-transaction, the one state in which a WAL reader cannot start.
    #[test]
    fn a_locked_file_is_busy_at_once_and_readable_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);
                 PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE t SET x = 8;",
            )
            .unwrap();
        let reads = Inline::new(&path);
        assert!(matches!(reads.fetch::<X>("SELECT x FROM t WHERE x > $1", &[Arg::Int(0)]), Err(InlineError::Busy)));
        holder.execute_batch("COMMIT").unwrap();
        drop(holder);
        let rows = reads.fetch::<X>("SELECT x FROM t WHERE x > $1", &[Arg::Int(0)]).unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![8]);
        assert!(matches!(reads.fetch::<X>("SELECT nope FROM t", &[]), Err(InlineError::Failed(_))));
    }
}
