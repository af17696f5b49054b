//! The outbox: emails and SMS kept in the store instead of sent, when no channel is configured.

use yolk_domain::OutboxMessage;

use crate::StoreResult;

/// The outbox.
#[async_trait::async_trait]
pub trait OutboxStore {
    /// Keeps a message.
    async fn add_to_outbox(&self, message: &OutboxMessage) -> StoreResult<()>;

    /// The newest `limit` messages, newest first; only those to `to` (compared exactly after trimming and, for
    /// email addresses, case-insensitively) when given.
    async fn outbox(&self, to: Option<&str>, limit: u64) -> StoreResult<Vec<OutboxMessage>>;
}
