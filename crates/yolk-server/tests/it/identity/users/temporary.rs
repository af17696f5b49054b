//! Temporary users: the configuration, making users temporary (on create or later) only while it is enabled,
//! and the expiry enforced on login, refresh and every request of a live session; making a user permanent.

use axum::http::StatusCode;
use serde_json::json;

use super::{LOGIN, REFRESH, VENDOR_USERS, vendor_get};
use crate::support::{PASSWORD, TestApp, assert_error};

const CONFIG: &str = "/identity/resources/users/temporary/v1/configuration";
const TEMPORARY: &str = "/identity/resources/users/temporary/v1";
const ME: &str = "/identity/resources/users/v2/me";

async fn login(app: &TestApp, email: &str) -> axum::http::StatusCode {
    app.post(LOGIN).json(json!({"email": email, "password": PASSWORD})).send().await.status
}

#[tokio::test]
async fn the_configuration_is_read_and_set_by_the_environment_only() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let res = app.get(CONFIG).access_token(&vendor).send().await;
    assert_eq!((res.status, res.body.clone()), (StatusCode::OK, json!({"enabled": false})));
    for bad in [json!({}), json!({"enabled": "yes"}), json!([])] {
        assert_error(&app.put(CONFIG).access_token(&vendor).json(bad).send().await, StatusCode::BAD_REQUEST);
    }
    let res = app.put(CONFIG).access_token(&vendor).json(json!({"enabled": true})).send().await;
    assert_eq!((res.status, res.body.clone()), (StatusCode::OK, json!({"enabled": true})), "{}", res.text);
    assert_eq!(app.get(CONFIG).access_token(&vendor).send().await.body, json!({"enabled": true}));

    let tenant = app.seed_tenant("acme").await;
    let (_, member) = app.member_with("admin@x.io", &tenant, &["fe.secure.write.users"]).await;
    let res = app.put(CONFIG).access_token(&member).json(json!({"enabled": false})).send().await;
    assert!(res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::FORBIDDEN, "{}", res.text);
    assert_error(&app.get(CONFIG).send().await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(CONFIG).access_token(&vendor).send().await.body, json!({"enabled": true}));
}

/// Created temporary (only while enabled), the user logs in until its expiry; then login, refresh and its live
/// access token are refused; made permanent, it logs in again.
#[tokio::test]
async fn a_temporary_user_is_refused_after_its_expiry_until_made_permanent() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let body = json!({"email": "temp@x.io", "password": PASSWORD, "tenantId": tenant, "expirationInSeconds": 600});
    let res = app.post(VENDOR_USERS).access_token(&vendor).json(body.clone()).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "Temporary users are not enabled");

    app.put(CONFIG).access_token(&vendor).json(json!({"enabled": true})).send().await;
    let mut short = body.clone();
    short["expirationInSeconds"] = json!(299);
    assert_error(&app.post(VENDOR_USERS).access_token(&vendor).json(short).send().await, StatusCode::BAD_REQUEST);
    let res = app.post(VENDOR_USERS).access_token(&vendor).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let expiry = res.body["temporaryExpirationDate"].as_str().expect("temporaryExpirationDate").to_owned();
    assert_eq!(vendor_get(&app, &vendor, &id).await["temporaryExpirationDate"], expiry.as_str());

    let session = app.post(LOGIN).json(json!({"email": "temp@x.io", "password": PASSWORD})).send().await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    let access = session.body["accessToken"].as_str().unwrap().to_owned();
    let refresh = session.body["refreshToken"].as_str().unwrap().to_owned();
    assert_eq!(app.get(ME).access_token(&access).send().await.status, StatusCode::OK);

    app.clock.advance_secs(601);
    assert_eq!(login(&app, "temp@x.io").await, StatusCode::UNAUTHORIZED);
    assert_error(&app.get(ME).access_token(&access).send().await, StatusCode::UNAUTHORIZED);
    let res = app.post(REFRESH).json(json!({"refreshToken": refresh})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    let res = app.delete(&format!("{TEMPORARY}/{id}")).access_token(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(login(&app, "temp@x.io").await, StatusCode::OK);
    assert!(vendor_get(&app, &vendor, &id).await.get("temporaryExpirationDate").is_none());
}

/// A permanent user is given a time limit (only while enabled, at least 300 s, environment only).
#[tokio::test]
async fn a_permanent_user_is_given_a_time_limit() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let path = format!("{TEMPORARY}/{id}");
    let limit = json!({"expirationInSeconds": 300});
    assert_error(&app.put(&path).access_token(&vendor).json(limit.clone()).send().await, StatusCode::BAD_REQUEST);

    app.put(CONFIG).access_token(&vendor).json(json!({"enabled": true})).send().await;
    for bad in [json!({"expirationInSeconds": 299}), json!({}), json!({"expirationInSeconds": "300"})] {
        assert_error(&app.put(&path).access_token(&vendor).json(bad).send().await, StatusCode::BAD_REQUEST);
    }
    let (_, member) = app.member_with("admin@x.io", &tenant, &["fe.secure.write.users"]).await;
    let res = app.put(&path).access_token(&member).json(limit.clone()).send().await;
    assert!(res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::FORBIDDEN, "{}", res.text);
    let unknown = format!("{TEMPORARY}/{}", yolk_domain::UserId::new());
    assert_error(&app.put(&unknown).access_token(&vendor).json(limit.clone()).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.delete(&unknown).access_token(&vendor).send().await, StatusCode::NOT_FOUND);

    let res = app.put(&path).access_token(&vendor).json(limit.clone()).send().await;
    assert_eq!((res.status, res.body.clone()), (StatusCode::CREATED, limit), "{}", res.text);
    assert!(vendor_get(&app, &vendor, &id.to_string()).await["temporaryExpirationDate"].is_string());
    assert_eq!(login(&app, "ann@x.io").await, StatusCode::OK);
    app.clock.advance_secs(301);
    assert_eq!(login(&app, "ann@x.io").await, StatusCode::UNAUTHORIZED);
}
