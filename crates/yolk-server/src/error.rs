//! The one error type handlers return and its one rendering: `{"errors":[...]}` with the HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use yolk_core::CoreError;
use yolk_store::StoreError;

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
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match self {
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                "Internal server error".to_owned()
            }
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::PayloadTooLarge(m) => m,
        };
        (status, Json(json!({ "errors": [message] }))).into_response()
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::BadRequest(m) => Self::BadRequest(m),
            CoreError::Unauthorized(m) => Self::Unauthorized(m),
            CoreError::Forbidden(m) => Self::Forbidden(m),
            CoreError::NotFound(what) => Self::NotFound(not_found_message(what)),
            CoreError::Conflict(m) => Self::Conflict(conflict_message(&m)),
            CoreError::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        CoreError::from(e).into()
    }
}

fn not_found_message(what: &str) -> String {
    let mut chars = what.chars();
    match chars.next() {
        Some(c) => format!("{}{} not found", c.to_uppercase(), chars.as_str()),
        None => "Not found".to_owned(),
    }
}

/// Turns a constraint name or database message into a client message without leaking schema details.
fn conflict_message(raw: &str) -> String {
    let r = raw.to_lowercase();
    let message = if r.contains("memberships") || r.contains("user_roles") {
        "User is already a member of this tenant"
    } else if r.contains("email") {
        "User with this email already exists"
    } else if r.contains("username") {
        "User with this username already exists"
    } else if r.contains("alias") {
        "Tenant alias already in use"
    } else if r.contains("roles") {
        "Role with this key already exists"
    } else if r.contains("permission") {
        "Permission with this key already exists"
    } else if r.contains("tenant") {
        "Tenant with this id already exists"
    } else {
        "Already exists"
    };
    message.to_owned()
}

/// The body of a response for a panicking handler (caught by `CatchPanicLayer`).
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::Internal("panic".into()).into_response()
}
