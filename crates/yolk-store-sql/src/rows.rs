//! Decoding columns in the portable encoding (TEXT ids, BIGINT times and booleans), and the one lock-then-read
//! helper every read-modify-write goes through.

use chrono::{DateTime, Utc};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use uuid::Uuid;
use yolk_domain::TenantId;
use yolk_store::{Entity, StoreError, StoreResult};

use crate::db_err;

/// Typed column access that turns decoding failures into `StoreError::Backend`.
pub(crate) trait RowExt {
    fn text(&self, col: &str) -> StoreResult<String>;
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    fn int(&self, col: &str) -> StoreResult<i64>;
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, col: &str) -> StoreResult<bool> {
        Ok(self.int(col)? != 0)
    }
    fn time(&self, col: &str) -> StoreResult<DateTime<Utc>> {
        Ok(from_ms(self.int(col)?))
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.opt_int(col)?.map(from_ms))
    }
    /// A typed UUID id (`UserId`, `RoleId`, ...).
    fn id<T: From<Uuid>>(&self, col: &str) -> StoreResult<T> {
        parse_uuid(&self.text(col)?).map(T::from)
    }
    fn opt_id<T: From<Uuid>>(&self, col: &str) -> StoreResult<Option<T>> {
        self.opt_text(col)?.as_deref().map(|s| parse_uuid(s).map(T::from)).transpose()
    }
    fn tenant_id(&self, col: &str) -> StoreResult<TenantId> {
        Ok(TenantId::from_stored(self.text(col)?))
    }
    fn opt_tenant_id(&self, col: &str) -> StoreResult<Option<TenantId>> {
        Ok(self.opt_text(col)?.map(TenantId::from_stored))
    }
}

impl RowExt for AnyRow {
    fn text(&self, col: &str) -> StoreResult<String> {
        self.try_get::<String, _>(col).map_err(|e| decode_err(col, e))
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.try_get::<Option<String>, _>(col).map_err(|e| decode_err(col, e))
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.try_get::<i64, _>(col).map_err(|e| decode_err(col, e))
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.try_get::<Option<i64>, _>(col).map_err(|e| decode_err(col, e))
    }
}

fn decode_err(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("decoding column {col}: {e}"))
}

fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Backend(format!("bad uuid in store: {e}")))
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// A table holding one aggregate's rows, addressed by one key column.
pub(crate) trait Record: Sized {
    /// The table.
    const TABLE: &'static str;
    /// The column a read-modify-write addresses a row by.
    const KEY: &'static str;
    /// What is missing when no row has the key.
    const ENTITY: Entity;
    /// Decodes a `SELECT *` row.
    fn from_row<R: RowExt>(row: &R) -> StoreResult<Self>;
}

/// What a read decodes each row into, from either driver's row (sqlx's, or an inline read's: `src/inline.rs`).
pub(crate) trait Decode: Sized {
    fn decode<R: RowExt>(row: &R) -> StoreResult<Self>;
}

impl<T: Record> Decode for T {
    fn decode<R: RowExt>(row: &R) -> StoreResult<Self> {
        T::from_row(row)
    }
}

/// Locks one row for the rest of the transaction, then reads it: the first step of every read-modify-write.
///
/// The lock is a no-op write (`UPDATE t SET updated_at = updated_at WHERE key = $1`), which takes the row lock on
/// PostgreSQL (a concurrent read-modify-write of the same row waits here, before reading, so it sees this
/// transaction's result) and the database write lock on SQLite. A plain `SELECT` would let two transactions read
/// the same version and the second write would silently undo the first. `NotFound(R::ENTITY)` when no row has the
/// key.
pub(crate) async fn lock_and_read<R: Record>(tx: &mut AnyConnection, key: &str) -> StoreResult<R> {
    let lock = format!("UPDATE {t} SET updated_at = updated_at WHERE {k} = $1", t = R::TABLE, k = R::KEY);
    touched(sqlx::query(AssertSqlSafe(lock)).bind(key).execute(&mut *tx).await, R::ENTITY)?;
    read_by_key(tx, key).await
}

/// The aggregate's row with this key, read on the caller's connection (say, to answer what a write stored).
pub(crate) async fn read_by_key<R: Record>(tx: &mut AnyConnection, key: &str) -> StoreResult<R> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT * FROM {t} WHERE {k} = $1", t = R::TABLE, k = R::KEY)))
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound(R::ENTITY))?;
    R::from_row(&row)
}

/// A statement parameter in the portable encoding: text (ids, keys) or an integer (times, flags).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Self::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Self::Text(s)
    }
}

impl<'a> From<&'a TenantId> for Arg<'a> {
    fn from(t: &'a TenantId) -> Self {
        Self::Text(t.as_str())
    }
}

impl From<i64> for Arg<'_> {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<DateTime<Utc>> for Arg<'_> {
    fn from(t: DateTime<Utc>) -> Self {
        Self::Int(ms(t))
    }
}

fn bound<'q>(sql: &'static str, args: &[Arg<'q>]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match *a {
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        };
    }
    q
}

/// Whether `sql` (a `SELECT` with parameters `$1, $2, ...`) finds a row, on the caller's connection.
pub(crate) async fn exists(tx: &mut AnyConnection, sql: &'static str, args: &[Arg<'_>]) -> StoreResult<bool> {
    Ok(bound(sql, args).fetch_optional(&mut *tx).await.map_err(db_err)?.is_some())
}

/// Runs a write with parameters `$1, $2, ...` on the caller's connection; how many rows it touched.
pub(crate) async fn execute(tx: &mut AnyConnection, sql: &'static str, args: &[Arg<'_>]) -> StoreResult<u64> {
    Ok(bound(sql, args).execute(&mut *tx).await.map_err(db_err)?.rows_affected())
}

/// A write that must have touched a row: `NotFound(entity)` when it touched none.
pub(crate) fn touched(result: Result<AnyQueryResult, sqlx::Error>, entity: Entity) -> StoreResult<()> {
    if result.map_err(db_err)?.rows_affected() == 0 { Err(StoreError::NotFound(entity)) } else { Ok(()) }
}

/// Deletes the aggregate's row with this key (its dependents cascade); `NotFound(R::ENTITY)` when there is none.
pub(crate) async fn delete_by_key<R: Record>(pool: &sqlx::AnyPool, key: &str) -> StoreResult<()> {
    let sql = format!("DELETE FROM {t} WHERE {k} = $1", t = R::TABLE, k = R::KEY);
    touched(sqlx::query(AssertSqlSafe(sql)).bind(key).execute(pool).await, R::ENTITY)
}

/// Maps a failed write's foreign-key violation to the entity that was missing (the caller knows which reference
/// it was writing; SQLite does not name the constraint).
pub(crate) fn missing(entity: Entity) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound(entity),
        _ => db_err(e),
    }
}
