//! Item 3: a user token is refused once its session is revoked, its user locked or deleted, or its membership
//! removed or disabled, on every request; and its permissions are the ones the store gives now. One node sees its
//! own revocations at once; another within the access cache's TTL (2 s).

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_error};

const ME: &str = "/identity/resources/users/v2/me";
const LOGOUT: &str = "/identity/resources/auth/v1/logout";
const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
const USERS_V1: &str = "/identity/resources/users/v1";

/// A tenant with an admin (`fe.secure.*` users permissions); answers (tenant, admin id, admin's login body).
async fn admin(app: &TestApp) -> (String, String, serde_json::Value) {
    let tenant = app.seed_tenant("acme").await;
    let (id, _) = app.member_with("admin@acme.io", &tenant, &["fe.secure.read.users", "fe.secure.write.users"]).await;
    let login = app.login("admin@acme.io").await;
    (tenant, id.to_string(), login.body)
}

#[tokio::test]
async fn an_access_token_is_refused_after_logout() {
    let app = TestApp::new().await;
    let (_, _, login) = admin(&app).await;
    let token = login["accessToken"].as_str().unwrap();
    assert_eq!(app.get(ME).bearer(token).send().await.status, StatusCode::OK);
    let res = app.post(LOGOUT).bearer(token).json(json!({ "refreshToken": login["refreshToken"] })).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_error(&app.get(ME).bearer(token).send().await, StatusCode::UNAUTHORIZED);
    assert_error(&app.get(USERS_V1).bearer(token).send().await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_access_token_is_refused_after_reuse_detection_revokes_its_session() {
    let app = TestApp::new().await;
    let (_, _, login) = admin(&app).await;
    let first = login["refreshToken"].as_str().unwrap();
    let res = app.post(REFRESH).json(json!({ "refreshToken": first })).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    let token = res.body["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(app.get(ME).bearer(&token).send().await.status, StatusCode::OK);
    // The stolen first refresh token is replayed: the session is revoked, and with it every access token of it.
    let res = app.post(REFRESH).json(json!({ "refreshToken": first })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_error(&app.get(ME).bearer(&token).send().await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_locked_admins_token_no_longer_creates_users() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (tenant, id, login) = admin(&app).await;
    let token = login["accessToken"].as_str().unwrap();
    let res = app.post(&format!("{USERS_V1}/{id}/lock")).bearer(&vt).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = app.post(USERS_V1).bearer(token).json(json!({ "email": "x@acme.io" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert!(app.store.get_user_by_email("x@acme.io").await.is_err(), "nothing was created");
    assert_error(&app.get(ME).bearer(token).send().await, StatusCode::UNAUTHORIZED);
    // Locking ended the user's sessions: unlocked, the old token stays refused and a new login works.
    let res = app.post(&format!("{USERS_V1}/{id}/unlock")).bearer(&vt).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_error(&app.get(ME).bearer(token).send().await, StatusCode::UNAUTHORIZED);
    let token = app.user_token("admin@acme.io").await;
    assert_eq!(app.get(USERS_V1).bearer(&token).tenant(&tenant).send().await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_is_refused_after_its_user_is_removed_disabled_or_deleted() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (tenant, id, login) = admin(&app).await;
    let token = login["accessToken"].as_str().unwrap();
    let other = app.seed_tenant("other").await;
    app.add_member(yolk_domain::UserId::parse(&id).unwrap(), &other, &[]).await;
    // Disabled in the token's tenant.
    let disable = format!("/identity/resources/tenants/users/v1/{id}/disable");
    assert!(app.post(&disable).bearer(&vt).tenant(&tenant).send().await.status.is_success());
    assert_error(&app.get(ME).bearer(token).send().await, StatusCode::UNAUTHORIZED);
    let enable = format!("/identity/resources/tenants/users/v1/{id}/enable");
    assert!(app.post(&enable).bearer(&vt).tenant(&tenant).send().await.status.is_success());
    let token = app.user_token("admin@acme.io").await;
    assert_eq!(app.get(ME).bearer(&token).send().await.status, StatusCode::OK);
    // Removed from the token's tenant (still a user elsewhere).
    let res = app.delete(&format!("{USERS_V1}/{id}")).bearer(&vt).tenant(&tenant).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_error(&app.get(ME).bearer(&token).send().await, StatusCode::UNAUTHORIZED);
    // Deleted altogether.
    let token = app.user_token("admin@acme.io").await;
    assert_eq!(app.get(ME).bearer(&token).send().await.status, StatusCode::OK);
    let res = app.delete(&format!("{USERS_V1}/{id}")).bearer(&vt).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_error(&app.get(ME).bearer(&token).send().await, StatusCode::UNAUTHORIZED);
}

/// A demoted admin loses its permissions at once, whatever its token says.
#[tokio::test]
async fn permissions_are_the_stores_not_the_tokens() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (tenant, id, login) = admin(&app).await;
    let token = login["accessToken"].as_str().unwrap();
    assert_eq!(app.get(USERS_V1).bearer(token).send().await.status, StatusCode::OK);
    let roles = app.store.memberships(&[yolk_domain::UserId::parse(&id).unwrap()]).await.unwrap();
    let role_ids: Vec<String> = roles.values().next().unwrap()[0].roles.iter().map(|r| r.id.to_string()).collect();
    let res = app
        .delete(&format!("{USERS_V1}/{id}/roles"))
        .bearer(&vt)
        .tenant(&tenant)
        .json(json!({ "roleIds": role_ids }))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_error(&app.get(USERS_V1).bearer(token).send().await, StatusCode::FORBIDDEN);
}

/// Two nodes over one store: a logout on A is seen by B within the access cache's TTL, not later.
#[tokio::test]
async fn another_node_sees_a_revocation_within_the_ttl() {
    let a = TestApp::new().await;
    let b = a.second_node().await;
    let (_, _, login) = admin(&a).await;
    let token = login["accessToken"].as_str().unwrap();
    assert_eq!(b.get(ME).bearer(token).send().await.status, StatusCode::OK, "B caches the grant");
    let res = a.post(LOGOUT).bearer(token).json(json!({ "refreshToken": login["refreshToken"] })).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_error(&a.get(ME).bearer(token).send().await, StatusCode::UNAUTHORIZED);
    // B still holds its cached grant (its clock has not moved): the stated staleness.
    assert_eq!(b.get(ME).bearer(token).send().await.status, StatusCode::OK);
    a.clock.advance_secs(2);
    assert_error(&b.get(ME).bearer(token).send().await, StatusCode::UNAUTHORIZED);
}
