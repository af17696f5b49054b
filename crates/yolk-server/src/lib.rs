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

/// The whole application as a service: routes plus middleware, with path normalization in front of routing.
pub fn app(state: AppState) -> normalize::Normalized<Router> {
    let cors = cors(&state.config.allowed_origins);
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
            Duration::from_secs(30),
        ));
    normalize::Normalized::new(router)
}

/// CORS for the browser SDKs: credentials allowed, the origin echoed when allowed. Loopback origins are always
/// allowed (local development); others must be listed in `allowed_origins` (`*` allows all).
fn cors(allowed: &[String]) -> CorsLayer {
    let allowed: Vec<String> = allowed.to_vec();
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let Ok(o) = origin.to_str() else { return false };
        is_loopback_origin(o) || allowed.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(o))
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
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).unwrap_or("");
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}
