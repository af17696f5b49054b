//! A user's state: lock, unlock, verify, super-user, invisible.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::{REFRESH, USERS_V1, try_login, vendor_get};
use crate::support::{TestApp, assert_error, claims};

#[tokio::test]
async fn lock_revokes_sessions_and_refuses_login_until_unlocked() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let refresh_token = app.login("ann@a.io").await.body["refreshToken"].as_str().unwrap().to_owned();
    let other_session = app.login("ann@a.io").await.body["refreshToken"].as_str().unwrap().to_owned();

    let res = app.post(&format!("{USERS_V1}/{ann}/lock")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.is_empty());
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["isLocked"], true);
    assert_error(&try_login(&app, "ann@a.io").await, StatusCode::UNAUTHORIZED);
    let res = app.post(REFRESH).json(json!({ "refreshToken": other_session })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    let res = app.post(&format!("{USERS_V1}/{ann}/unlock")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["isLocked"], false);
    assert_eq!(try_login(&app, "ann@a.io").await.status, StatusCode::OK);
    // The lock itself ended every session, not just the one a refresh was tried on while locked.
    let res = app.post(REFRESH).json(json!({ "refreshToken": refresh_token })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn state_routes_are_for_the_environment_only() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let token = app.user_token("ann@a.io").await;
    for action in ["lock", "unlock", "verify"] {
        let path = format!("{USERS_V1}/{ann}/{action}");
        let res = app.post(&path).bearer(&token).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT");
        assert_error(&app.post(&path).send().await, StatusCode::UNAUTHORIZED);
        let res = app.post(&format!("{USERS_V1}/{}/{action}", Uuid::new_v4())).bearer(&vendor).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    for (flag, body) in [("superuser", json!({ "superUser": true })), ("invisible", json!({ "invisible": true }))] {
        let path = format!("{USERS_V1}/{ann}/{flag}");
        assert_error(&app.put(&path).bearer(&token).json(body.clone()).send().await, StatusCode::UNAUTHORIZED);
        assert_error(&app.put(&path).bearer(&vendor).json(json!({})).send().await, StatusCode::BAD_REQUEST);
        let res = app.put(&path).bearer(&vendor).json(json!({ "superUser": "yes", "invisible": "yes" })).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        let res = app.put(&format!("{USERS_V1}/{}/{flag}", Uuid::new_v4())).bearer(&vendor).json(body).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    let stored = vendor_get(&app, &vendor, &ann.to_string()).await;
    assert_eq!((stored["isLocked"].clone(), stored["superUser"].clone()), (json!(false), json!(false)));
    assert_eq!(stored["invisible"], false);
    assert_eq!(try_login(&app, "ann@a.io").await.status, StatusCode::OK);
}

#[tokio::test]
async fn verify_marks_the_user_verified_in_its_next_token() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let res = app
        .post(super::USERS_V2)
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({ "email": "new@a.io", "password": "Str0ng-pass!" }))
        .send()
        .await;
    assert_eq!(res.body["verified"], false);
    let id = res.body["id"].as_str().unwrap().to_owned();

    let res = app.post(&format!("{USERS_V1}/{id}/verify")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(vendor_get(&app, &vendor, &id).await["verified"], true);
    let login = app.post(super::LOGIN).json(json!({ "email": "new@a.io", "password": "Str0ng-pass!" })).send().await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["email_verified"], true);
}

#[tokio::test]
async fn superuser_and_invisible_show_in_the_next_token() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let before = claims(&app.user_token("ann@a.io").await);
    assert!(before.get("superUser").is_none() && before.get("invisible").is_none());

    let res =
        app.put(&format!("{USERS_V1}/{ann}/superuser")).bearer(&vendor).json(json!({ "superUser": true })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["superUser"], true);
    let res =
        app.put(&format!("{USERS_V1}/{ann}/invisible")).bearer(&vendor).json(json!({ "invisible": true })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["invisible"], true);
    let after = claims(&app.user_token("ann@a.io").await);
    assert_eq!(after["superUser"], true);
    assert_eq!(after["invisible"], true);

    let res = app
        .put(&format!("{USERS_V1}/{ann}/superuser"))
        .bearer(&vendor)
        .json(json!({ "superUser": false }))
        .send()
        .await;
    assert_eq!(res.body["superUser"], false);
    assert!(claims(&app.user_token("ann@a.io").await).get("superUser").is_none());
}
