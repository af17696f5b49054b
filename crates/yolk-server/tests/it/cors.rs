//! CORS for the browser SDKs (`credentials: 'include'`) and the refresh cookie's attributes: which origins may
//! read yolk's answers with the user's cookie, and when the cookie is `Secure`. Each attack is a request a hostile
//! page would make (a page on a loopback port, any site when `*` is configured); the answer must not let the
//! browser hand the response to that page.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yolk_server::Config;

use crate::support::{CLIENT_ID, PASSWORD, TestApp, TestResponse};

const LOGIN: &str = "/frontegg/identity/resources/auth/v1/user";
const REFRESH: &str = "/frontegg/identity/resources/auth/v1/user/token/refresh";
const LOGOUT: &str = "/frontegg/identity/resources/auth/v1/logout";

/// The preflight a browser sends before the SDK's credentialed login call.
async fn preflight(app: &TestApp, origin: &str) -> TestResponse {
    app.request(Method::OPTIONS, LOGIN)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,frontegg-source")
        .send()
        .await
}

/// The actual (simple) request a page on `origin` makes, as `fetch(..., {credentials: 'include'})` would.
async fn actual(app: &TestApp, origin: &str) -> TestResponse {
    app.post(REFRESH).header("origin", origin).json(json!({ "tenantId": null })).send().await
}

fn header<'a>(res: &'a TestResponse, name: &str) -> Option<&'a str> {
    res.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The browser would let a page on `origin` read this credentialed response.
fn readable_with_credentials(res: &TestResponse, origin: &str) -> bool {
    header(res, "access-control-allow-origin") == Some(origin)
        && header(res, "access-control-allow-credentials") == Some("true")
}

/// The answer grants `origin` nothing: no allowed origin echoed, no credentials.
#[track_caller]
fn assert_refused(res: &TestResponse, origin: &str) {
    let allow = header(res, "access-control-allow-origin");
    assert!(allow.is_none() || allow == Some("*"), "origin {origin} allowed: {:?}", res.headers);
    assert!(!readable_with_credentials(res, origin), "origin {origin} may read with credentials: {:?}", res.headers);
    assert!(
        header(res, "access-control-allow-credentials").is_none() || allow.is_none(),
        "credentials never go with `*` or no origin: {:?}",
        res.headers
    );
}

#[tokio::test]
async fn loopback_origins_get_no_credentialed_cors_outside_dev_mode() {
    let app = TestApp::new().await;
    for origin in ["http://localhost:3000", "http://127.0.0.1:5173", "https://localhost", "http://[::1]:8000"] {
        assert_refused(&preflight(&app, origin).await, origin);
        assert_refused(&actual(&app, origin).await, origin);
    }
}

#[tokio::test]
async fn loopback_origins_are_allowed_with_credentials_in_dev_mode() {
    let app = TestApp::with_config(Config { dev_mode: true, ..Config::default() }).await;
    for origin in ["http://localhost:3000", "http://127.0.0.1:5173", "https://localhost", "http://[::1]:8000"] {
        let res = preflight(&app, origin).await;
        assert!(res.status.is_success(), "{origin}: {}", res.status);
        assert!(readable_with_credentials(&res, origin), "{origin}: {:?}", res.headers);
        assert!(readable_with_credentials(&actual(&app, origin).await, origin), "{origin}");
    }
    // Dev mode opens loopback only.
    for origin in ["https://evil.example", "http://localhost.evil.example", "null"] {
        assert_refused(&preflight(&app, origin).await, origin);
        assert_refused(&actual(&app, origin).await, origin);
    }
}

#[tokio::test]
async fn a_star_in_allowed_origins_never_grants_credentials() {
    // `Config::validate` refuses `*` at start-up; an app built with it anyway must still not echo any origin with
    // credentials.
    let config = Config { allowed_origins: vec!["*".into()], ..Config::default() };
    let app = TestApp::with_config(config).await;
    for origin in ["https://evil.example", "http://localhost:3000"] {
        assert_refused(&preflight(&app, origin).await, origin);
        assert_refused(&actual(&app, origin).await, origin);
    }
}

#[tokio::test]
async fn a_listed_origin_is_allowed_with_credentials_and_an_unlisted_one_is_not() {
    let config = Config { allowed_origins: vec!["https://app.example.com".into()], ..Config::default() };
    let app = TestApp::with_config(config).await;

    let res = preflight(&app, "https://app.example.com").await;
    assert!(res.status.is_success(), "{}", res.status);
    assert!(readable_with_credentials(&res, "https://app.example.com"), "{:?}", res.headers);
    let allowed_headers = header(&res, "access-control-allow-headers").unwrap_or_default();
    assert!(allowed_headers.contains("frontegg-source"), "{allowed_headers}");
    let res = actual(&app, "https://app.example.com").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "no cookie: {}", res.text);
    assert!(readable_with_credentials(&res, "https://app.example.com"), "{:?}", res.headers);

    for origin in [
        "https://evil.example",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://app.example.com:8443",
        "http://localhost:3000",
        "null",
    ] {
        assert_refused(&preflight(&app, origin).await, origin);
        assert_refused(&actual(&app, origin).await, origin);
    }
}

#[tokio::test]
async fn the_refresh_cookie_is_secure_when_the_issuer_is_https() {
    let config = Config { issuer: Some("https://auth.example.com".into()), ..Config::default() };
    let app = TestApp::with_config(config).await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let name = format!("fe_refresh_{}", CLIENT_ID.replace('-', ""));

    let res = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let cookie = res.cookie(&name).expect("refresh cookie");
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "login: {cookie}");
    assert!(cookie.contains("SameSite=Lax"), "the environment's default SameSite is kept: {cookie}");

    let token = res.body["refreshToken"].as_str().expect("refreshToken").to_owned();
    let res = app.post(REFRESH).header("cookie", &format!("{name}={token}")).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let cookie = res.cookie(&name).expect("rotated cookie");
    assert!(cookie.contains("; Secure"), "refresh: {cookie}");

    let res = app.post(LOGOUT).send().await;
    let cookie = res.cookie(&name).expect("cleared cookie");
    assert!(cookie.contains("Max-Age=0") && cookie.contains("; Secure"), "logout: {cookie}");
}

#[tokio::test]
async fn the_refresh_cookie_is_not_secure_on_a_plain_http_issuer() {
    // Loopback development over http: a `Secure` cookie would never come back.
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let name = format!("fe_refresh_{}", CLIENT_ID.replace('-', ""));
    let res = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": PASSWORD })).send().await;
    let cookie = res.cookie(&name).expect("refresh cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let cookie = app.post(LOGOUT).send().await.cookie(&name).expect("cleared cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
}
