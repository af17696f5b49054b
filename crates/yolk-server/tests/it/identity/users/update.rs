//! Updating users: vendor (global), the user in context, and the email.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::{LOGIN, USERS_V1, try_login, vendor_get};
use crate::support::{PASSWORD, TestApp, assert_error, claims};

#[tokio::test]
async fn vendor_update_changes_only_the_given_fields() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let path = format!("{USERS_V1}/{ann}");

    let res = app
        .put(&path)
        .bearer(&vendor)
        .json(json!({ "name": "Ann B", "phoneNumber": "+15550101", "metadata": { "k": "v" }, "externalId": "e-9" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["name"], "Ann B");
    assert_eq!(res.body["phoneNumber"], "+15550101");
    assert_eq!(res.body["metadata"], r#"{"k":"v"}"#);
    assert_eq!(res.body["externalId"], "e-9");
    assert_eq!(res.body["email"], "ann@a.io");

    let res = app.put(&path).bearer(&vendor).json(json!({ "profilePictureUrl": "https://x.io/p.png" })).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let stored = vendor_get(&app, &vendor, &ann.to_string()).await;
    assert_eq!(stored["name"], "Ann B");
    assert_eq!(stored["metadata"], r#"{"k":"v"}"#);
    assert_eq!(stored["profilePictureUrl"], "https://x.io/p.png");
    // The next token carries the new profile.
    let login = try_login(&app, "ann@a.io").await;
    let claims = claims(login.body["accessToken"].as_str().unwrap());
    assert_eq!(claims["name"], "Ann B");
    assert_eq!(claims["metadata"], json!({ "k": "v" }));
}

#[tokio::test]
async fn vendor_update_rejects_bad_input_and_user_tokens_without_changes() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let path = format!("{USERS_V1}/{ann}");
    for body in [
        json!({ "name": "X", "metadata": 5 }),
        json!({ "name": "X", "metadata": "{broken" }),
        json!({ "name": "X", "vendorMetadata": { "secret": 1 } }),
        json!({ "name": 5 }),
    ] {
        let res = app.put(&path).bearer(&vendor).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let token = app.user_token("ann@a.io").await;
    let res = app.put(&path).bearer(&token).json(json!({ "name": "X" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["name"], "User ann@a.io");

    let res =
        app.put(&format!("{USERS_V1}/{}", Uuid::new_v4())).bearer(&vendor).json(json!({ "name": "X" })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_users_v1_updates_the_user_in_context() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let bob = app.seed_user("bob@a.io", &a, &[]).await;
    let token = app.user_token("ann@a.io").await;

    let res = app.put(USERS_V1).bearer(&token).json(json!({ "name": "Annie", "metadata": "{\"x\":1}" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], ann.to_string());
    assert_eq!(res.body["name"], "Annie");
    assert_eq!(res.body["tenantId"], a.as_str());
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["metadata"], r#"{"x":1}"#);

    // The environment names the user in a header.
    let res = app.put(USERS_V1).bearer(&vendor).user(&bob.to_string()).json(json!({ "name": "Bobby" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(vendor_get(&app, &vendor, &bob.to_string()).await["name"], "Bobby");

    let res = app.put(USERS_V1).bearer(&token).json(json!({ "metadata": [1] })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.put(USERS_V1).json(json!({ "name": "X" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["name"], "Annie");
}

#[tokio::test]
async fn email_update_moves_the_login_to_the_new_address() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    app.seed_user("bob@a.io", &a, &[]).await;
    let path = format!("{USERS_V1}/{ann}/email");

    let res = app.put(&path).bearer(&vendor).json(json!({ "email": "Ann.New@a.io" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["email"], "Ann.New@a.io");
    let res = app.post(LOGIN).json(json!({ "email": "ann.new@a.io", "password": PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_error(&try_login(&app, "ann@a.io").await, StatusCode::UNAUTHORIZED);

    let res = app.put(&path).bearer(&vendor).json(json!({ "email": "BOB@a.io" })).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let res = app.put(&path).bearer(&vendor).json(json!({ "email": "nope" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.put(&path).bearer(&vendor).json(json!({})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["email"], "Ann.New@a.io");
    let token = app.user_token("bob@a.io").await;
    let res = app.put(&path).bearer(&token).json(json!({ "email": "x@a.io" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}
