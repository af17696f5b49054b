//! The store's closed error type.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The addressed row does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or reference constraint refused the change; names what clashed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A mutation closure refused the change; the message is for the client.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database failed; details are for the log only.
    #[error("store backend error: {0}")]
    Backend(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;
