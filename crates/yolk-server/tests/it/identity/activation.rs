//! Activation (`users/v1/activate`, `activate/strategy`, `activate/reset`) and the environment's generated links
//! (`links/generate-activation-token`, `generate-password-reset-token`), with links read from the outbox.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_domain::UserId;

use crate::support::{PASSWORD, TestApp, TestResponse, assert_error, claims};

pub(super) const NEW_PASSWORD: &str = "An0ther-long-secret!";
const ACTIVATE: &str = "/identity/resources/users/v1/activate";
const STRATEGY: &str = "/identity/resources/users/v1/activate/strategy";

/// `(userId, token)` from the newest email to `to` holding a link to `page` (e.g. `/account/activate`), waiting
/// until `to` has `count` emails. Also answers the message's subject.
pub(super) async fn link_in_outbox(app: &TestApp, to: &str, page: &str, count: usize) -> (String, String, String) {
    for _ in 0..500 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            let message = &messages[0];
            let link = message
                .text
                .split_whitespace()
                .find(|w| w.contains(&format!("{page}?")))
                .unwrap_or_else(|| panic!("a {page} link in {:?}", message.text));
            assert!(link.starts_with("http://127.0.0.1:8080/account/"), "links point at app_url: {link}");
            let query = link.split_once('?').unwrap().1;
            let param = |name: &str| {
                query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).expect("param").to_owned()
            };
            return (param("userId"), param("token"), message.subject.clone().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {count} message(s) to {to} in the outbox");
}

pub(super) async fn outbox_count(app: &TestApp, to: &str) -> usize {
    app.store.outbox(Some(to), 50).await.unwrap().len()
}

pub(super) async fn login_with(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.post("/identity/resources/auth/v1/user").json(json!({"email": email, "password": password})).send().await
}

async fn activate(app: &TestApp, body: Value) -> TestResponse {
    app.post(ACTIVATE).json(body).send().await
}

async fn strategy(app: &TestApp, user_id: &str, token: &str) -> TestResponse {
    app.get(&format!("{STRATEGY}?userId={user_id}&token={token}")).send().await
}

async fn sign_up(app: &TestApp, email: &str) -> TestResponse {
    let body = json!({"email": email, "password": PASSWORD, "companyName": "Acme", "name": "Ann"});
    let res = app.post("/identity/resources/users/v1/signUp").json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res
}

/// A sign-up that requires activation emails a link; the link logs the user in (login body + refresh cookie),
/// verifies it so the password login works, and works once.
#[tokio::test]
async fn a_sign_up_that_requires_activation_emails_a_link_that_activates_once_and_logs_in() {
    let app = TestApp::new().await;
    let res = sign_up(&app, "ann@x.io").await;
    assert_eq!(res.body["shouldActivate"], true);
    let tenant_id = res.body["tenantId"].as_str().unwrap().to_owned();
    assert_error(&login_with(&app, "ann@x.io", PASSWORD).await, StatusCode::UNAUTHORIZED);

    let (user_id, token, subject) = link_in_outbox(&app, "ann@x.io", "/account/activate", 1).await;
    assert_eq!(user_id, res.body["userId"].as_str().unwrap());
    assert_eq!(subject, "Activate your account");

    let res = strategy(&app, &user_id, &token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({"shouldSetPassword": false}), "the password was chosen at sign-up");

    let res = activate(&app, json!({"userId": user_id, "token": token})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.cookie("fe_refresh_").is_some(), "the refresh cookie is set");
    let access = res.body["accessToken"].as_str().unwrap();
    assert_eq!(claims(access)["tenantId"], tenant_id.as_str());
    let user = app.store.get_user(UserId::parse(&user_id).unwrap()).await.unwrap();
    assert!(user.verified);
    assert_eq!(login_with(&app, "ann@x.io", PASSWORD).await.status, StatusCode::OK);

    // Spent: the same link is refused, and so is the strategy query.
    assert_error(&activate(&app, json!({"userId": user_id, "token": token})).await, StatusCode::BAD_REQUEST);
    assert_error(&strategy(&app, &user_id, &token).await, StatusCode::BAD_REQUEST);
}

/// A user a tenant admin creates without a password gets an activation link that must set one (the policy
/// applies; a refused password leaves the link usable).
#[tokio::test]
async fn a_user_created_without_a_password_sets_it_on_activation() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let vendor = app.vendor_token().await;
    let res = app
        .post("/identity/resources/users/v1")
        .access_token(&vendor)
        .tenant(&tenant)
        .json(json!({"email": "bob@x.io", "name": "Bob"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let (user_id, token, _) = link_in_outbox(&app, "bob@x.io", "/account/activate", 1).await;
    assert_eq!(user_id, res.body["id"].as_str().unwrap());

    let res = strategy(&app, &user_id, &token).await;
    assert_eq!(res.body, json!({"shouldSetPassword": true}), "{}", res.text);
    let res = activate(&app, json!({"userId": user_id, "token": token})).await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("password"), "{}", res.text);
    assert_error(
        &activate(&app, json!({"userId": user_id, "token": token, "password": "short"})).await,
        StatusCode::BAD_REQUEST,
    );

    let res = activate(&app, json!({"userId": user_id, "token": token, "password": NEW_PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["tenantId"], tenant.as_str());
    assert_eq!(login_with(&app, "bob@x.io", NEW_PASSWORD).await.status, StatusCode::OK);
}

/// Wrong tokens are 400s, counted: after five the link is dead even for the right token. An unknown or malformed
/// user id, missing fields and malformed JSON are 400s with `errors`; an expired link is refused.
#[tokio::test]
async fn wrong_activation_tokens_are_refused_counted_and_kill_the_link() {
    let app = TestApp::new().await;
    sign_up(&app, "ann@x.io").await;
    let (user_id, token, _) = link_in_outbox(&app, "ann@x.io", "/account/activate", 1).await;

    for body in [
        json!({"userId": UserId::new().to_string(), "token": token}),
        json!({"userId": "not-a-uuid", "token": token}),
        json!({"userId": user_id}),
        json!({"token": token}),
    ] {
        assert_error(&activate(&app, body).await, StatusCode::BAD_REQUEST);
    }
    let res = app.post(ACTIVATE).raw("{not json", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_error(&app.get(&format!("{STRATEGY}?userId={user_id}")).send().await, StatusCode::BAD_REQUEST);

    for i in 0..5 {
        let res = activate(&app, json!({"userId": user_id, "token": format!("wrong-{i}")})).await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(res.error(), "The activation link is invalid or has expired");
    }
    assert_error(&activate(&app, json!({"userId": user_id, "token": token})).await, StatusCode::BAD_REQUEST);

    // A new link (resend) works, until it expires.
    let res = app.post("/identity/resources/users/v1/activate/reset").json(json!({"email": "ann@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let (_, fresh, _) = link_in_outbox(&app, "ann@x.io", "/account/activate", 2).await;
    assert_eq!(strategy(&app, &user_id, &fresh).await.status, StatusCode::OK);
    app.clock.advance_secs(72 * 3600);
    assert_error(&activate(&app, json!({"userId": user_id, "token": fresh})).await, StatusCode::BAD_REQUEST);
}

/// "Resend activation email" answers 201 with no body for every address; only an unverified user gets a new link,
/// which replaces the old one.
#[tokio::test]
async fn resending_the_activation_email_answers_the_same_for_every_address_and_replaces_the_link() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("verified@x.io", &tenant, &[]).await;
    sign_up(&app, "ann@x.io").await;
    let (user_id, old, _) = link_in_outbox(&app, "ann@x.io", "/account/activate", 1).await;
    for email in ["nobody@x.io", "verified@x.io", "ann@x.io"] {
        let res = app.post("/identity/resources/users/v1/activate/reset").json(json!({"email": email})).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.text, "");
    }
    let (_, new, _) = link_in_outbox(&app, "ann@x.io", "/account/activate", 2).await;
    assert_ne!(old, new);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(outbox_count(&app, "verified@x.io").await, 0, "a verified user gets no activation email");
    assert_eq!(outbox_count(&app, "nobody@x.io").await, 0);
    assert_error(&strategy(&app, &user_id, &old).await, StatusCode::BAD_REQUEST);
    let res = activate(&app, json!({"userId": user_id, "token": new})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.post("/identity/resources/users/v1/activate/reset").json(json!({})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

/// The environment makes activation and reset links without any email; each works with its own route.
#[tokio::test]
async fn the_environment_generates_activation_and_reset_links_without_email() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let verified = app.seed_user("ver@x.io", &tenant, &[]).await;
    sign_up(&app, "ann@x.io").await;
    let (user_id, emailed, _) = link_in_outbox(&app, "ann@x.io", "/account/activate", 1).await;
    let vendor = app.vendor_token().await;
    let path = |id: &str, what: &str| format!("/identity/resources/users/v1/{id}/links/generate-{what}-token");

    let res = app.post(&path(&user_id, "activation")).access_token(&vendor).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["userId"], user_id.as_str());
    let token = res.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        res.body["link"],
        format!("http://127.0.0.1:8080/account/activate?userId={user_id}&token={token}").as_str()
    );
    assert_eq!(outbox_count(&app, "ann@x.io").await, 1, "no email");
    assert_error(&strategy(&app, &user_id, &emailed).await, StatusCode::BAD_REQUEST);
    assert_eq!(activate(&app, json!({"userId": user_id, "token": token})).await.status, StatusCode::OK);

    // Already activated; unknown user; no environment token.
    assert_error(
        &app.post(&path(&verified.to_string(), "activation")).access_token(&vendor).send().await,
        StatusCode::BAD_REQUEST,
    );
    let unknown = UserId::new().to_string();
    assert_error(&app.post(&path(&unknown, "activation")).access_token(&vendor).send().await, StatusCode::NOT_FOUND);
    assert_error(
        &app.post(&path(&unknown, "password-reset")).access_token(&vendor).send().await,
        StatusCode::NOT_FOUND,
    );
    assert_error(&app.post(&path(&user_id, "activation")).send().await, StatusCode::UNAUTHORIZED);
    let member = app.user_token("ver@x.io").await;
    assert_error(&app.post(&path(&user_id, "password-reset")).bearer(&member).send().await, StatusCode::UNAUTHORIZED);

    // A reset link for the verified user: sets its password once.
    let res = app.post(&path(&verified.to_string(), "password-reset")).access_token(&vendor).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let token = res.body["token"].as_str().unwrap().to_owned();
    assert!(res.body["link"].as_str().unwrap().starts_with("http://127.0.0.1:8080/account/reset-password?userId="));
    let verify = json!({"userId": verified.to_string(), "token": token, "password": NEW_PASSWORD});
    let res = app.post("/identity/resources/users/v1/passwords/reset/verify").json(verify.clone()).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(login_with(&app, "ver@x.io", NEW_PASSWORD).await.status, StatusCode::OK);
    let res = app.post("/identity/resources/users/v1/passwords/reset/verify").json(verify).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}
