//! Domain outcomes a service can end in. The server maps each to an HTTP status and message in one place.

use yolk_store::{Constraint, Entity, StoreError};

/// Why a service call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The request is malformed or violates a rule; the message is for the client.
    #[error("{0}")]
    BadRequest(String),
    /// Credentials or tokens are missing, wrong or expired; the message is for the client.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not do this; the message is for the client.
    #[error("{0}")]
    Forbidden(String),
    /// The addressed entity does not exist (or is not visible to the caller: the same answer, so nothing can be
    /// probed).
    #[error("{} not found", .0.name())]
    NotFound(Entity),
    /// A uniqueness rule refused the change.
    #[error("conflict: {0:?}")]
    Conflict(Constraint),
    /// A uniqueness rule refused the change, and the message (naming what clashed) is for the client.
    #[error("{0}")]
    ConflictWith(String),
    /// yolk cannot take the request now (a queue is full); the client may retry after `retry_after_secs`. The
    /// message is for the client.
    #[error("{message}")]
    Unavailable { message: String, retry_after_secs: u64 },
    /// Something failed inside yolk; details go to the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a client is told when the store did not answer in time (a statement cancelled by the statement timeout,
/// or no connection free): a 503 with `Retry-After`, not a 500: the same request may succeed once the store is
/// less busy.
const STORE_TIMEOUT_MESSAGE: &str = "The store took too long to answer";
/// The `Retry-After` (seconds) of that answer.
const STORE_TIMEOUT_RETRY_AFTER_SECS: u64 = 1;

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(entity) => Self::NotFound(entity),
            StoreError::Conflict(constraint) => Self::Conflict(constraint),
            StoreError::Invalid(msg) => Self::BadRequest(msg),
            StoreError::Timeout(_) => Self::Unavailable {
                message: STORE_TIMEOUT_MESSAGE.to_owned(),
                retry_after_secs: STORE_TIMEOUT_RETRY_AFTER_SECS,
            },
            StoreError::Backend(msg) => Self::Internal(msg),
        }
    }
}

impl CoreError {
    /// What a client is told about this outcome (the server's message for it): for reports that list per-item
    /// failures. Internal details stay out.
    pub fn client_message(&self) -> String {
        match self {
            Self::NotFound(entity) => entity.not_found_message().to_owned(),
            Self::Conflict(constraint) => constraint.message().to_owned(),
            Self::Internal(_) => "Internal error".to_owned(),
            other => other.to_string(),
        }
    }

    /// A store `NotFound` of `from` reported as `to` (say, a missing membership answered as a missing user);
    /// other errors unchanged.
    pub fn not_found_as(from: Entity, to: Entity) -> impl Fn(StoreError) -> CoreError {
        move |e| match e {
            StoreError::NotFound(entity) if entity == from => CoreError::NotFound(to),
            other => other.into(),
        }
    }
}

/// Result of a service call.
pub type CoreResult<T> = Result<T, CoreError>;
