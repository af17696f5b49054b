//! Usernames (`usernames/v1`) and the environment's phone numbers (`users/phone-numbers/v1/vendor`).

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_error};

const USERNAMES: &str = "/identity/resources/usernames/v1";

#[tokio::test]
async fn a_user_sets_its_username_and_the_environment_lists_and_removes_it() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let bob = app.user_token("bob@x.io").await;
    let env = app.vendor_token().await;

    let res = app.get(&format!("{USERNAMES}/me")).bearer(&token).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.post(USERNAMES).bearer(&token).json(json!({"username": "ann.smith"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.post(USERNAMES).bearer(&bob).json(json!({"username": "ann.smith"})).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let res = app.post(USERNAMES).bearer(&bob).json(json!({"username": "no spaces"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(&format!("{USERNAMES}/me")).bearer(&token).send().await;
    assert_eq!(res.body, json!({"username": "ann.smith", "userId": ann.to_string()}));
    // The username logs in.
    let login = app
        .post("/identity/resources/auth/v1/user")
        .json(json!({"username": "ann.smith", "password": crate::support::PASSWORD}))
        .send()
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);

    let res = app.get(&format!("{USERNAMES}?_usernamePrefix=ann")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["items"], json!([{"username": "ann.smith", "userId": ann.to_string()}]));
    let res = app.get(USERNAMES).bearer(&token).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    let res = app.delete(&format!("{USERNAMES}/ann.smith")).bearer(&token).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.delete(&format!("{USERNAMES}/ann.smith")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.delete(&format!("{USERNAMES}/ann.smith")).bearer(&env).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_eq!(app.store.get_user(ann).await.unwrap().username, None);
}

#[tokio::test]
async fn the_environment_adds_and_removes_phone_numbers() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    let bob = app.seed_user("bob@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    let base = "/identity/resources/users/phone-numbers/v1/vendor";

    let res = app.post(&format!("{base}/{ann}")).bearer(&env).json(json!({"phoneNumber": "+14155552671"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let res = app.post(&format!("{base}/{bob}")).bearer(&env).json(json!({"phoneNumber": "+14155552671"})).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let res = app.post(&format!("{base}/{bob}")).bearer(&env).json(json!({"phoneNumber": "12345"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let unknown = uuid::Uuid::new_v4();
    let res =
        app.post(&format!("{base}/{unknown}")).bearer(&env).json(json!({"phoneNumber": "+14155552672"})).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);

    let res = app.delete(&format!("{base}/{bob}/{id}")).bearer(&env).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let token = app.user_token("ann@x.io").await;
    let res = app.delete(&format!("{base}/{ann}/{id}")).bearer(&token).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.delete(&format!("{base}/{ann}/{id}")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.delete(&format!("{base}/{ann}/{id}")).bearer(&env).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
}
