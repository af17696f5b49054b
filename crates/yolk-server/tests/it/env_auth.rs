//! `POST /auth/vendor`.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{API_KEY, CLIENT_ID, TestApp, assert_error};

#[tokio::test]
async fn vendor_token_is_issued_for_right_credentials_on_every_spelling() {
    let app = TestApp::new().await;
    for path in ["/auth/vendor", "/auth/vendor/", "/frontegg/auth/vendor", "//auth//vendor/"] {
        let res = app.post(path).json(json!({ "clientId": CLIENT_ID, "secret": API_KEY })).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert!(res.body["token"].as_str().is_some_and(|t| t.split('.').count() == 3));
        assert!(res.body["expiresIn"].is_u64(), "expiresIn must be an integer: {}", res.text);
    }
}

#[tokio::test]
async fn vendor_token_opens_management_routes_by_either_header() {
    let app = TestApp::new().await;
    let token = app.vendor_token().await;
    let res = app.get("/identity/resources/configurations/v1").access_token(&token).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let res = app.get("/identity/resources/configurations/v1").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body["publicKey"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    let app = TestApp::new().await;
    for body in [
        json!({ "clientId": CLIENT_ID, "secret": "wrong" }),
        json!({ "clientId": "00000000-0000-0000-0000-000000000000", "secret": API_KEY }),
    ] {
        let res = app.post("/auth/vendor").json(body).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = TestApp::new().await;
    let res = app.post("/auth/vendor").raw("{not json", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post("/auth/vendor").json(json!({ "clientId": 5, "secret": API_KEY })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("secret"), "{}", res.text);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = TestApp::new().await;
    let big = format!(r#"{{"clientId":"{}","secret":"{}"}}"#, CLIENT_ID, "x".repeat(2 * 1024 * 1024));
    let res = app.post("/auth/vendor").raw(big, "application/json").send().await;
    assert_error(&res, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn management_routes_refuse_missing_garbage_and_user_tokens() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let user_token = app.user_token("ann@acme.io").await;
    for res in [
        app.get("/identity/resources/configurations/v1").send().await,
        app.get("/identity/resources/configurations/v1").bearer("garbage").send().await,
        app.get("/identity/resources/configurations/v1").bearer(&user_token).send().await,
        app.get("/identity/resources/configurations/v1").access_token(&user_token).send().await,
    ] {
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT");
    }
}
