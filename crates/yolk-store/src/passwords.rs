//! A user's password lifecycle: the passwords it replaced (for the history policy) and when its password was set
//! (for rotation). Every path that sets a password records both in the same transaction.

use chrono::{DateTime, Utc};
use yolk_domain::UserId;

use crate::StoreResult;

/// Replaced passwords kept per user (the largest history policy).
pub const HISTORY_KEPT: i64 = 10;

/// Password history and age.
#[async_trait::async_trait]
pub trait PasswordHistoryStore {
    /// The user's `n` most recent password hashes: its current one first (if any), then the ones it replaced,
    /// newest first.
    async fn recent_password_hashes(&self, user: UserId, n: i64) -> StoreResult<Vec<String>>;

    /// When the user's current password was set (its creation time if never replaced); `None` when it has none.
    /// `NotFound(User)` for an unknown user.
    async fn password_set_at(&self, user: UserId) -> StoreResult<Option<DateTime<Utc>>>;
}
