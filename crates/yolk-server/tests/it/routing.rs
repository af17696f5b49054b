//! Route spelling rules every client relies on.

use axum::http::StatusCode;

use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn unknown_route_is_404_naming_method_and_path_as_sent() {
    let app = TestApp::new().await;
    let res = app.get("/frontegg/no/such//thing/").send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_eq!(res.error(), "Cannot GET /frontegg/no/such//thing/");
    let res = app.delete("/auth/vendor").send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_eq!(res.error(), "Cannot DELETE /auth/vendor");
}

#[tokio::test]
async fn trailing_and_double_slashes_resolve_without_redirect() {
    let app = TestApp::new().await;
    for path in ["/health/", "//health", "/frontegg/health", "/frontegg//health//"] {
        let res = app.get(path).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn cors_preflight_allows_credentials_for_loopback_origins() {
    // Loopback origins are allowed in development mode only (`cors.rs` has the production cases).
    let app = TestApp::with_config(yolk_server::Config { dev_mode: true, ..Default::default() }).await;
    let res = app
        .request(axum::http::Method::OPTIONS, "/frontegg/identity/resources/auth/v1/user")
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,frontegg-source")
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.status);
    assert_eq!(res.headers["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(res.headers["access-control-allow-credentials"], "true");
    let res = app
        .request(axum::http::Method::OPTIONS, "/frontegg/identity/resources/auth/v1/user")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert!(res.headers.get("access-control-allow-origin").is_none());
}
