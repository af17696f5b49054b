//! identity.json tag Core settings: the captcha policy (`/resources/configurations/v1/captcha-policy`), and its
//! enforcement against a local service speaking reCAPTCHA's `siteverify` protocol.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, assert_error};

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
async fn a_malformed_captcha_policy_is_refused() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    for body in [
        json!({ "enabled": true, "siteKey": "", "secretKey": "", "minScore": 0.5 }),
        json!({ "enabled": false, "siteKey": "s", "secretKey": "k" }),
        json!({ "enabled": false, "siteKey": "s", "secretKey": "k", "minScore": 2 }),
        json!({ "enabled": false, "siteKey": "s", "secretKey": "k", "minScore": 0.5, "ignoredEmails": ["nope"] }),
        json!({ "enabled": "no", "siteKey": "s", "secretKey": "k", "minScore": 0.5 }),
    ] {
        assert_error(&app.post(CAPTCHA).bearer(&vt).json(body).send().await, StatusCode::BAD_REQUEST);
    }
    assert_error(&app.get(CAPTCHA).bearer(&vt).send().await, StatusCode::NOT_FOUND);
}

/// A `siteverify` service: `good` passes with score 0.9, `meh` with 0.1, anything else fails; it checks the secret.
async fn siteverify() -> String {
    use axum::extract::Form;
    async fn verify(Form(form): Form<std::collections::HashMap<String, String>>) -> axum::Json<Value> {
        let secret_ok = form.get("secret").map(String::as_str) == Some("s3cret");
        let (success, score) = match form.get("response").map(String::as_str) {
            Some("good") if secret_ok => (true, 0.9),
            Some("meh") if secret_ok => (true, 0.1),
            _ => (false, 0.0),
        };
        axum::Json(json!({ "success": success, "score": score }))
    }
    let router = axum::Router::new().route("/siteverify", axum::routing::post(verify));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/siteverify")
}

#[tokio::test]
async fn an_enabled_policy_guards_login_sign_up_and_reset_with_the_verifier() {
    let url = siteverify().await;
    let config = yolk_server::config::Config { captcha_verify_url: url, ..Default::default() };
    let app = TestApp::with_config(config).await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("qa@acme.io", &tenant, &[]).await;
    let vt = app.vendor_token().await;
    let mut enabled = policy("site");
    enabled["enabled"] = json!(true);
    let res = app.post(CAPTCHA).bearer(&vt).json(enabled).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    let login = "/identity/resources/auth/v1/user";
    let body = |token: Option<&str>| json!({ "email": "ann@x.io", "password": PASSWORD, "recaptchaToken": token });
    for token in [None, Some("bad"), Some("meh")] {
        let res = app.post(login).json(body(token)).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(res.error(), "Invalid recaptcha token");
    }
    let res = app.post(login).json(body(Some("good"))).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // An ignored address needs no token.
    let res = app.post(login).json(json!({ "email": "qa@acme.io", "password": PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let sign_up = "/identity/resources/users/v1/signUp";
    let new = json!({ "email": "new@x.io", "password": PASSWORD, "companyName": "New" });
    assert_error(&app.post(sign_up).json(new.clone()).send().await, StatusCode::BAD_REQUEST);
    let mut with = new.clone();
    with["recaptchaToken"] = json!("good");
    assert_eq!(app.post(sign_up).json(with).send().await.status, StatusCode::CREATED);

    let reset = "/identity/resources/users/v1/passwords/reset";
    assert_error(&app.post(reset).json(json!({ "email": "ann@x.io" })).send().await, StatusCode::BAD_REQUEST);
    let res = app.post(reset).json(json!({ "email": "ann@x.io", "recaptchaToken": "good" })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

#[tokio::test]
async fn a_captcha_service_that_does_not_answer_fails_closed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/siteverify", listener.local_addr().unwrap());
    drop(listener);
    let config = yolk_server::config::Config { captcha_verify_url: url, ..Default::default() };
    let app = TestApp::with_config(config).await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let vt = app.vendor_token().await;
    let mut enabled = policy("site");
    enabled["enabled"] = json!(true);
    app.post(CAPTCHA).bearer(&vt).json(enabled).send().await;
    let res = app
        .post("/identity/resources/auth/v1/user")
        .json(json!({ "email": "ann@x.io", "password": PASSWORD, "recaptchaToken": "good" }))
        .send()
        .await;
    assert_error(&res, StatusCode::SERVICE_UNAVAILABLE);
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
