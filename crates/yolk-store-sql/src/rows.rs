//! Decoding columns in the portable encoding (TEXT ids, BIGINT times and booleans).

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;
use yolk_store::{StoreError, StoreResult};

/// Typed column access that turns decoding failures into `StoreError::Backend`.
pub(crate) trait RowExt {
    fn text(&self, col: &str) -> StoreResult<String>;
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    fn int(&self, col: &str) -> StoreResult<i64>;
    fn flag(&self, col: &str) -> StoreResult<bool> {
        Ok(self.int(col)? != 0)
    }
    fn time(&self, col: &str) -> StoreResult<DateTime<Utc>> {
        Ok(from_ms(self.int(col)?))
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>>;
    fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        parse_uuid(&self.text(col)?)
    }
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.opt_text(col)?.as_deref().map(parse_uuid).transpose()
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
    fn opt_time(&self, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(self.try_get::<Option<i64>, _>(col).map_err(|e| decode_err(col, e))?.map(from_ms))
    }
}

fn decode_err(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("decoding column {col}: {e}"))
}

pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
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
