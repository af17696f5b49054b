//! Domain outcomes a service can end in. The server maps each to an HTTP status.

use yolk_store::StoreError;

/// Why a service call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The request is malformed or violates a rule; the message is for the client.
    #[error("{0}")]
    BadRequest(String),
    /// Credentials or tokens are missing, wrong or expired; the message is for the client.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The addressed entity does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule refused the change.
    #[error("{0}")]
    Conflict(String),
    /// Something failed inside yolk; details go to the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::Invalid(msg) => Self::BadRequest(msg),
            StoreError::Backend(msg) => Self::Internal(msg),
        }
    }
}

/// Result of a service call.
pub type CoreResult<T> = Result<T, CoreError>;
