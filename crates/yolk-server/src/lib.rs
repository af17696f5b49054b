//! yolk's HTTP server: a Frontegg-compatible router over the core services.
//!
//! Request path: [`normalize`] rewrites the URI (drops the `/frontegg` prefix, collapses `//`, drops a trailing
//! `/`) → the route table in [`routes`] → a handler, which extracts (auth first), converts, calls one service
//! method of `yolk_core` and renders the result through [`convert`]. Every failure renders as
//! `{"errors":[...]}` through [`error::ApiError`].

pub mod config;
pub mod convert;
pub mod error;
pub mod extract;
pub mod list;
pub mod normalize;
pub mod routes;
pub mod state;
pub mod throttle;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest a request may take (handler and body reading); then it is answered 408 and its future dropped.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

// The password-hashing queue is sized to finish its work within half of the request timeout (see
// `yolk_core::passwords::QUEUE_BUDGET`); changing one without the other breaks that guarantee.
const _: () = assert!(yolk_core::passwords::QUEUE_BUDGET.as_secs() * 2 <= REQUEST_TIMEOUT.as_secs());

/// The whole application as a service: routes plus middleware, with path normalization in front of routing.
pub fn app(state: AppState) -> normalize::Normalized<Router> {
    let cors = cors(&state.config);
    let max_body = state.config.max_body_bytes;
    let router = routes::router()
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            HeaderName::from_static("x-access-token"),
            HeaderName::from_static("x-api-key"),
        ]))
        .layer(cors)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    normalize::Normalized::new(router)
}

/// CORS for the browser SDKs: credentials allowed, the origin echoed when allowed. Allowed: the origins listed in
/// `allowed_origins` (exactly, case-insensitively), and loopback origins only in `dev_mode`. A `*` entry allows
/// nothing: `Config::validate` refuses it at start-up, and an origin wildcard is never combined with credentials.
fn cors(config: &Config) -> CorsLayer {
    let allowed: Vec<String> = config.allowed_origins.iter().filter(|o| o.trim() != "*").cloned().collect();
    let dev_mode = config.dev_mode;
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let Ok(o) = origin.to_str() else { return false };
        (dev_mode && is_loopback_origin(o)) || allowed.iter().any(|a| a.eq_ignore_ascii_case(o))
    });
    let headers = [
        "content-type",
        "authorization",
        "x-access-token",
        "x-api-key",
        "x-frontegg-framework",
        "x-frontegg-sdk",
        "frontegg-source",
        "frontegg-requested-application-id",
        "frontegg-login-alias",
        "frontegg-scoped-tenant",
        "frontegg-tenant-id",
        "frontegg-user-id",
        "frontegg-vendor-host",
        "x-request-id",
    ]
    .map(HeaderName::from_static);
    CorsLayer::new()
        .allow_origin(origin)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .allow_headers(headers)
        .max_age(Duration::from_secs(600))
}

fn is_loopback_origin(origin: &str) -> bool {
    let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    let host = match authority.strip_prefix('[') {
        // `[::1]` or `[::1]:port`
        Some(v6) => v6.split_once(']').map_or("", |(h, _)| h),
        None => authority.split_once(':').map_or(authority, |(h, _)| h),
    };
    matches!(host.to_ascii_lowercase().as_str(), "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::is_loopback_origin;

    #[test]
    fn loopback_origins() {
        for o in
            ["http://localhost:3000", "https://localhost", "http://127.0.0.1:5173", "http://[::1]", "http://[::1]:8080"]
        {
            assert!(is_loopback_origin(o), "{o}");
        }
        for o in ["http://localhost.evil.example", "https://app.example", "null", "file://", "http://127.0.0.1.nip.io"]
        {
            assert!(!is_loopback_origin(o), "{o}");
        }
    }
}
