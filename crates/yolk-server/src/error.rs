//! The one error type handlers return and its one rendering: `{"errors":[...]}` with the HTTP status. Every
//! domain outcome ([`CoreError`]) maps to its status and client message here, and nowhere else.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use yolk_core::CoreError;

/// A failed request, by HTTP meaning.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 503 with `Retry-After: <retry_after_secs>`: yolk cannot take the request now (a full queue); no wait.
    #[error("{message}")]
    ServiceUnavailable { message: String, retry_after_secs: u64 },
    /// 429 with `Retry-After: <retry_after_secs>`: a rate limit of the password paths (see `throttle`).
    #[error("Too many attempts, try again later")]
    TooManyRequests { retry_after_secs: u64 },
    /// Logged with details; the client sees only a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ServiceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut retry_after = None;
        let message = match self {
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                "Internal server error".to_owned()
            }
            Self::ServiceUnavailable { message, retry_after_secs } => {
                retry_after = Some(retry_after_secs);
                message
            }
            Self::TooManyRequests { retry_after_secs } => {
                retry_after = Some(retry_after_secs);
                "Too many attempts, try again later".to_owned()
            }
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::PayloadTooLarge(m) => m,
        };
        let mut response = (status, Json(json!({ "errors": [message] }))).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::BadRequest(m) => Self::BadRequest(m),
            CoreError::Unauthorized(m) => Self::Unauthorized(m),
            CoreError::Forbidden(m) => Self::Forbidden(m),
            CoreError::NotFound(entity) => Self::NotFound(entity.not_found_message().to_owned()),
            CoreError::Conflict(constraint) => Self::Conflict(constraint.message().to_owned()),
            CoreError::ConflictWith(m) => Self::Conflict(m),
            CoreError::Unavailable { message, retry_after_secs } => {
                Self::ServiceUnavailable { message, retry_after_secs }
            }
            CoreError::Internal(m) => Self::Internal(m),
        }
    }
}

/// The body of a response for a panicking handler (caught by `CatchPanicLayer`).
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::Internal("panic".into()).into_response()
}
