//! A user's tenants: removal and deletion, joining, the active tenant, migration, enable/disable.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;
use yolk_domain::UserId;

use super::{REFRESH, USERS_V1, role_keys, tenant_ids, try_login, vendor_get};
use crate::support::{TestApp, assert_error, claims};

async fn refresh(app: &TestApp, token: &str) -> StatusCode {
    app.post(REFRESH).json(json!({ "refreshToken": token })).send().await.status
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn delete_with_a_tenant_removes_the_membership_then_the_last_one_deletes_the_user() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    app.add_member(ann, &b, &[]).await;
    let session = app.login("ann@a.io").await; // lands in a (first membership)
    let refresh_a = session.body["refreshToken"].as_str().unwrap().to_owned();

    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.is_empty(), "{}", res.text);
    assert_eq!(tenant_ids(&vendor_get(&app, &vendor, &ann.to_string()).await), [b.as_str()]);
    assert_eq!(refresh(&app, &refresh_a).await, StatusCode::UNAUTHORIZED);
    let login = app.login("ann@a.io").await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["tenantId"], b.as_str());

    // Not a member any more: 404, nothing changes.
    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&vendor).tenant(&a).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&vendor).tenant(&b).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(vendor_get(&app, &vendor, &ann.to_string()).await.is_null());
    assert_error(&try_login(&app, "ann@a.io").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn delete_without_a_tenant_deletes_the_user_and_its_sessions() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let refresh_token = app.login("ann@a.io").await.body["refreshToken"].as_str().unwrap().to_owned();

    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.is_empty());
    assert!(vendor_get(&app, &vendor, &ann.to_string()).await.is_null());
    assert_eq!(refresh(&app, &refresh_token).await, StatusCode::UNAUTHORIZED);
    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{USERS_V1}/nope")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_tenant_admin_deletes_only_members_of_its_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let bob = app.seed_user("bob@b.io", &b, &[]).await;
    let (_, admin) = app.member_with("admin@a.io", &a, &["fe.secure.delete.users"]).await;
    let (_, writer) = app.member_with("writer@a.io", &a, &["fe.secure.write.users"]).await;

    let res = app.delete(&format!("{USERS_V1}/{bob}")).bearer(&admin).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{USERS_V1}/{bob}")).bearer(&admin).tenant(&b).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(!vendor_get(&app, &vendor, &bob.to_string()).await.is_null());
    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&writer).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.delete(&format!("{USERS_V1}/{ann}")).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert!(!vendor_get(&app, &vendor, &ann.to_string()).await.is_null());

    let res = app.delete(&format!("{USERS_V1}/{ann}")).bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(vendor_get(&app, &vendor, &ann.to_string()).await.is_null());
}

#[tokio::test]
async fn add_user_to_tenant_joins_with_roles() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let role = app.seed_role("auditor", Some(&b), false, &[]).await;
    app.seed_role("member", None, true, &[]).await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let path = format!("{USERS_V1}/{ann}/tenant");

    let res = app
        .post(&path)
        .bearer(&vendor)
        .json(json!({ "tenantId": b, "skipInviteEmail": true, "roleIds": [role.to_string()] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], b.as_str());
    assert_eq!(role_keys(&res.body), ["auditor"]);
    assert_eq!(tenant_ids(&res.body), sorted(vec![a.clone(), b.clone()]));

    let res = app.post(&path).bearer(&vendor).json(json!({ "tenantId": b })).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let c = app.seed_tenant("c").await;
    for (body, status) in [
        (json!({ "tenantId": "ghost" }), StatusCode::NOT_FOUND),
        (json!({ "tenantId": c, "roleIds": [Uuid::new_v4().to_string()] }), StatusCode::NOT_FOUND),
        (json!({ "tenantId": "" }), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        let res = app.post(&path).bearer(&vendor).json(body).send().await;
        assert_error(&res, status);
    }
    assert_eq!(tenant_ids(&vendor_get(&app, &vendor, &ann.to_string()).await).len(), 2);
    let res = app
        .post(&format!("{USERS_V1}/{}/tenant", Uuid::new_v4()))
        .bearer(&vendor)
        .json(json!({ "tenantId": c }))
        .send()
        .await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let token = app.user_token("ann@a.io").await;
    let res = app.post(&path).bearer(&token).json(json!({ "tenantId": c })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn set_active_tenant_moves_the_next_login_and_may_create_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    app.add_member(ann, &b, &[]).await;
    let path = format!("{USERS_V1}/{ann}/tenant");

    let res = app.put(&path).bearer(&vendor).json(json!({ "tenantId": b })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], b.as_str());
    let login = app.login("ann@a.io").await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["tenantId"], b.as_str());

    // validateTenantExist: an unknown tenant is a 404 and nothing is created.
    let res =
        app.put(&path).bearer(&vendor).json(json!({ "tenantId": "new-t", "validateTenantExist": true })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert!(app.store.get_tenant(&crate::support::tenant("new-t")).await.is_err());
    // Otherwise the tenant is created and the user joins it.
    let res = app.put(&path).bearer(&vendor).json(json!({ "tenantId": "new-t" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.store.get_tenant(&crate::support::tenant("new-t")).await.unwrap().name, "new-t");
    assert_eq!(tenant_ids(&res.body).len(), 3);
    let login = app.login("ann@a.io").await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["tenantId"], "new-t");

    let res = app.put(&path).bearer(&vendor).json(json!({ "tenantId": 5 })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let token = app.user_token("ann@a.io").await;
    let res = app.put(&path).bearer(&token).json(json!({ "tenantId": a })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn migrate_moves_every_member_in_one_go() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let src = app.seed_tenant("src").await;
    let target = app.seed_tenant("target").await;
    let global = app.seed_role("global", None, false, &[]).await;
    let local = app.seed_role("local", Some(&src), false, &[]).await;
    let ann = app.seed_user("ann@s.io", &src, &[global, local]).await;
    let bob = app.seed_user("bob@s.io", &src, &[]).await;
    app.add_member(bob, &target, &[]).await;
    let refresh_token = app.login("ann@s.io").await.body["refreshToken"].as_str().unwrap().to_owned();
    let path = format!("{USERS_V1}/tenants/migrate");

    for (body, status) in [
        (json!({ "srcTenantId": src, "targetTenantId": src }), StatusCode::BAD_REQUEST),
        (json!({ "srcTenantId": src, "targetTenantId": "ghost" }), StatusCode::NOT_FOUND),
        (json!({ "srcTenantId": src }), StatusCode::BAD_REQUEST),
    ] {
        let res = app.put(&path).bearer(&vendor).json(body).send().await;
        assert_error(&res, status);
    }
    assert_eq!(tenant_ids(&vendor_get(&app, &vendor, &ann.to_string()).await), [src.as_str()]);
    let token = app.user_token("bob@s.io").await;
    let res = app.put(&path).bearer(&token).json(json!({ "srcTenantId": src, "targetTenantId": target })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    let res = app.put(&path).bearer(&vendor).json(json!({ "srcTenantId": src, "targetTenantId": target })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.is_empty());
    let moved = vendor_get(&app, &vendor, &ann.to_string()).await;
    assert_eq!(tenant_ids(&moved), [target.as_str()]);
    assert_eq!(role_keys(&moved), ["global"]);
    assert_eq!(tenant_ids(&vendor_get(&app, &vendor, &bob.to_string()).await), [target.as_str()]);
    let res = app.get(super::USERS_V3).bearer(&vendor).tenant(&src).send().await;
    assert_eq!(res.body["_metadata"]["totalItems"], 0);
    assert_eq!(refresh(&app, &refresh_token).await, StatusCode::UNAUTHORIZED);
    let login = app.login("ann@s.io").await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["tenantId"], target.as_str());
}

#[tokio::test]
async fn a_disabled_member_cannot_log_in_to_that_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    app.add_member(ann, &b, &[]).await;
    let session = app.login("ann@a.io").await; // lands in a (first membership)
    assert_eq!(claims(session.body["accessToken"].as_str().unwrap())["tenantId"], a.as_str());
    let refresh_token = session.body["refreshToken"].as_str().unwrap().to_owned();
    let disable = format!("/identity/resources/tenants/users/v1/{ann}/disable");
    let enable = format!("/identity/resources/tenants/users/v1/{ann}/enable");

    let res = app.post(&disable).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // The session in a is over (refresh does not silently move it to b); a new login lands in b.
    assert_eq!(refresh(&app, &refresh_token).await, StatusCode::UNAUTHORIZED);
    let login = app.login("ann@a.io").await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["tenantId"], b.as_str());
    let in_a = |user: &serde_json::Value| {
        user["tenants"].as_array().unwrap().iter().find(|t| t["tenantId"] == a.as_str()).unwrap()["isDisabled"].clone()
    };
    assert_eq!(in_a(&vendor_get(&app, &vendor, &ann.to_string()).await), true);

    // Disabled everywhere: no token at all.
    let res = app.post(&disable).bearer(&vendor).tenant(&b).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_error(&try_login(&app, "ann@a.io").await, StatusCode::UNAUTHORIZED);

    let res = app.post(&enable).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(in_a(&vendor_get(&app, &vendor, &ann.to_string()).await), false);
    let login = app.login("ann@a.io").await;
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["tenantId"], a.as_str());
}

#[tokio::test]
async fn enable_disable_checks_scope_and_permission() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let bob = app.seed_user("bob@b.io", &b, &[]).await;
    let (_, admin) = app.member_with("admin@a.io", &a, &["fe.secure.write.enableDisable"]).await;
    let (_, reader) = app.member_with("reader@a.io", &a, &["fe.secure.read.users"]).await;
    let path = |id: UserId| format!("/identity/resources/tenants/users/v1/{id}/disable");

    assert_error(&app.post(&path(ann)).send().await, StatusCode::UNAUTHORIZED);
    assert_error(&app.post(&path(ann)).bearer(&reader).send().await, StatusCode::FORBIDDEN);
    assert_error(&app.post(&path(bob)).bearer(&admin).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.post(&path(ann)).bearer(&vendor).send().await, StatusCode::BAD_REQUEST);
    assert_eq!(vendor_get(&app, &vendor, &bob.to_string()).await["tenants"][0]["isDisabled"], false);
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["tenants"][0]["isDisabled"], false);

    let res = app.post(&path(ann)).bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(vendor_get(&app, &vendor, &ann.to_string()).await["tenants"][0]["isDisabled"], true);
}
