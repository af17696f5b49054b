//! Reading one user: by id, vendor-only, by email; the vendor-only password check.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::{USERS_V1, VENDOR_USERS, role_keys, tenant_ids};
use crate::support::{PASSWORD, TestApp, assert_error};

#[tokio::test]
async fn get_user_by_id_is_scoped_to_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let role = app.seed_role("viewer", None, false, &[]).await;
    let ann = app.seed_user("ann@a.io", &a, &[role]).await;
    let bob = app.seed_user("bob@b.io", &b, &[]).await;

    let res = app.get(&format!("{USERS_V1}/{ann}")).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], ann.to_string());
    assert_eq!(res.body["sub"], ann.to_string());
    assert_eq!(res.body["email"], "ann@a.io");
    assert_eq!(res.body["tenantId"], a.as_str());
    assert_eq!(role_keys(&res.body), ["viewer"]);
    assert_eq!(res.body["metadata"], "{}", "no metadata: an empty JSON object, encoded");
    assert_eq!(res.body["roles"][0]["vendorId"], crate::support::CLIENT_ID);

    // Not a member of that tenant: 404. The environment without a tenant reads anyone.
    let res = app.get(&format!("{USERS_V1}/{bob}")).bearer(&vendor).tenant(&a).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.get(&format!("{USERS_V1}/{bob}")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["tenantId"], b.as_str());

    let res = app.get(&format!("{USERS_V1}/{}", Uuid::new_v4())).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.get(&format!("{USERS_V1}/not-a-uuid")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_tenant_user_reads_members_of_its_own_tenant_only() {
    let app = TestApp::new().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let bob = app.seed_user("bob@b.io", &b, &[]).await;
    let (_, reader) = app.member_with("reader@a.io", &a, &["fe.secure.read.users"]).await;
    let (_, nobody) = app.member_with("nobody@a.io", &a, &[]).await;

    app.add_member(ann, &b, &[]).await;
    let res = app.get(&format!("{USERS_V1}/{ann}")).bearer(&reader).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Its other tenant stays hidden from a tenant user.
    assert_eq!(res.body["tenantIds"], serde_json::json!([a]));
    assert_eq!(tenant_ids(&res.body), [a.as_str()]);
    let res = app.get(&format!("{USERS_V1}/email?email=ann@a.io")).bearer(&reader).send().await;
    assert_eq!(res.body["tenantIds"], serde_json::json!([a]));
    let res = app.get(&format!("{USERS_V1}/{bob}")).bearer(&reader).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.get(&format!("{USERS_V1}/{bob}")).bearer(&reader).tenant(&b).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.get(&format!("{USERS_V1}/{ann}")).bearer(&nobody).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.get(&format!("{USERS_V1}/{ann}")).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn vendor_only_get_returns_every_membership_with_roles() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let role = app.seed_role("admin", None, false, &[]).await;
    let ann = app.seed_user("ann@a.io", &a, &[role]).await;
    app.add_member(ann, &b, &[]).await;

    let res = app.get(&format!("{VENDOR_USERS}/{ann}")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(tenant_ids(&res.body), both);
    let in_a = res.body["tenants"].as_array().unwrap().iter().find(|t| t["tenantId"] == a.as_str()).unwrap();
    assert_eq!(in_a["roles"][0]["key"], "admin");
    assert_eq!(in_a["isDisabled"], false);

    let res = app.get(&format!("{VENDOR_USERS}/{}", Uuid::new_v4())).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.get(&format!("{VENDOR_USERS}/x")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let token = app.user_token("ann@a.io").await;
    let res = app.get(&format!("{VENDOR_USERS}/{ann}")).bearer(&token).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
}

#[tokio::test]
async fn get_user_by_email_is_case_insensitive_and_scoped() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ann = app.seed_user("Ann@A.io", &a, &[]).await;
    app.seed_user("bob@b.io", &b, &[]).await;

    let res = app.get(&format!("{USERS_V1}/email?email=ann%40a.IO")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], ann.to_string());
    assert_eq!(res.body["email"], "Ann@A.io");

    let (_, reader) = app.member_with("reader@a.io", &a, &["fe.secure.read.users"]).await;
    let res = app.get(&format!("{USERS_V1}/email?email=ann@a.io")).bearer(&reader).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let res = app.get(&format!("{USERS_V1}/email?email=bob@b.io")).bearer(&reader).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.get(&format!("{USERS_V1}/email?email=ghost@b.io")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.get(&format!("{USERS_V1}/email")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(&format!("{USERS_V1}/email?email=ann@a.io")).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn verify_password_answers_valid_without_revealing_who_exists() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    app.seed_user("ann@a.io", &a, &[]).await;
    let path = format!("{VENDOR_USERS}/passwords/verify");

    let res = app.post(&path).bearer(&vendor).json(json!({ "email": "ANN@a.io", "password": PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({ "valid": true }));
    let wrong =
        app.post(&path).bearer(&vendor).json(json!({ "email": "ann@a.io", "password": "nope-nope" })).send().await;
    let unknown =
        app.post(&path).bearer(&vendor).json(json!({ "email": "who@a.io", "password": "nope-nope" })).send().await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(wrong.body, json!({ "valid": false }));
    assert_eq!((unknown.status, unknown.body), (wrong.status, wrong.body));

    let res = app.post(&path).bearer(&vendor).json(json!({ "email": "ann@a.io" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let token = app.user_token("ann@a.io").await;
    let res = app.post(&path).bearer(&token).json(json!({ "email": "ann@a.io", "password": PASSWORD })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}
