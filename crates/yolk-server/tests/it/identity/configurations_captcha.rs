//! identity.json tag Core settings: the captcha policy (`/resources/configurations/v1/captcha-policy`), a stored
//! document that yolk accepts only disabled (it cannot verify reCAPTCHA tokens).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error};

const CAPTCHA: &str = "/identity/resources/configurations/v1/captcha-policy";

fn policy(site_key: &str) -> Value {
    json!({ "enabled": false, "siteKey": site_key, "secretKey": "s3cret", "minScore": 0.5,
            "ignoredEmails": ["qa@acme.io"] })
}

#[tokio::test]
async fn the_captcha_policy_is_created_read_and_replaced() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    assert_error(&app.get(CAPTCHA).bearer(&vt).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.put(CAPTCHA).bearer(&vt).json(policy("site")).send().await, StatusCode::NOT_FOUND);

    let created = app.post(CAPTCHA).bearer(&vt).json(policy("site")).send().await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(uuid::Uuid::parse_str(created.body["id"].as_str().unwrap()).is_ok());
    assert_eq!(created.body["siteKey"], "site");
    assert_eq!(created.body["secretKey"], "s3cret");
    assert_eq!(created.body["enabled"], false);
    assert_eq!(created.body["minScore"], 0.5);
    assert_eq!(created.body["ignoredEmails"], json!(["qa@acme.io"]));
    assert!(created.body["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(app.get(CAPTCHA).bearer(&vt).send().await.body, created.body);
    assert_error(&app.post(CAPTCHA).bearer(&vt).json(policy("other")).send().await, StatusCode::CONFLICT);

    let replaced = app.put(CAPTCHA).bearer(&vt).json(policy("new-site")).send().await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.body["siteKey"], "new-site");
    assert_eq!(replaced.body["id"], created.body["id"]);
    assert_eq!(replaced.body["createdAt"], created.body["createdAt"]);
    assert_eq!(app.get(CAPTCHA).bearer(&vt).send().await.body["siteKey"], "new-site");
}

#[tokio::test]
async fn an_enabled_or_malformed_captcha_policy_is_refused() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let mut enabled = policy("site");
    enabled["enabled"] = json!(true);
    let res = app.post(CAPTCHA).bearer(&vt).json(enabled.clone()).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("reCAPTCHA"), "{}", res.text);
    for body in [
        json!({ "enabled": false, "siteKey": "s", "secretKey": "k" }),
        json!({ "enabled": false, "siteKey": "s", "secretKey": "k", "minScore": 2 }),
        json!({ "enabled": false, "siteKey": "s", "secretKey": "k", "minScore": 0.5, "ignoredEmails": ["nope"] }),
        json!({ "enabled": "no", "siteKey": "s", "secretKey": "k", "minScore": 0.5 }),
    ] {
        assert_error(&app.post(CAPTCHA).bearer(&vt).json(body).send().await, StatusCode::BAD_REQUEST);
    }
    assert_error(&app.get(CAPTCHA).bearer(&vt).send().await, StatusCode::NOT_FOUND);

    app.post(CAPTCHA).bearer(&vt).json(policy("site")).send().await;
    assert_error(&app.put(CAPTCHA).bearer(&vt).json(enabled).send().await, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(CAPTCHA).bearer(&vt).send().await.body["enabled"], false);
}

#[tokio::test]
async fn the_captcha_policy_requires_an_environment_token() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let user = app.user_token("ann@acme.io").await;
    for method in [Method::GET, Method::POST, Method::PUT] {
        assert_error(&app.request(method.clone(), CAPTCHA).json(policy("s")).send().await, StatusCode::UNAUTHORIZED);
        let res = app.request(method.clone(), CAPTCHA).bearer(&user).json(policy("s")).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT");
    }
    let vt = app.vendor_token().await;
    assert_error(&app.get(CAPTCHA).bearer(&vt).send().await, StatusCode::NOT_FOUND);
}
