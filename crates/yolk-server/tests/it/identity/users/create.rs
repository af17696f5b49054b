//! Creating users: in a tenant (v1, v2) and vendor-only.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::{USERS_V1, USERS_V2, VENDOR_USERS, role_keys, tenant_ids, try_login, vendor_get};
use crate::support::{PASSWORD, TestApp, assert_error, claims};

#[tokio::test]
async fn create_user_v2_makes_a_member_with_the_given_roles_who_can_log_in() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let role = app.seed_role("editor", None, false, &["docs.write"]).await;
    let res = app
        .post(USERS_V2)
        .bearer(&vendor)
        .tenant(&tenant)
        .json(json!({
            "email": "New@Acme.io", "name": "New", "password": "Str0ng-pass!", "metadata": { "plan": "pro" },
            "roleIds": [role.to_string()], "skipInviteEmail": true, "phoneNumber": "+15550100",
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    Uuid::parse_str(&id).unwrap();
    assert_eq!(res.body["email"], "New@Acme.io");
    assert_eq!(res.body["name"], "New");
    assert_eq!(res.body["metadata"], r#"{"plan":"pro"}"#);
    assert_eq!(res.body["tenantId"], tenant.as_str());
    assert_eq!(res.body["verified"], false);
    assert_eq!(res.body["activatedForTenant"], true);
    assert_eq!(role_keys(&res.body), ["editor"]);
    assert!(chrono::DateTime::parse_from_rfc3339(res.body["createdAt"].as_str().unwrap()).is_ok());

    let stored = vendor_get(&app, &vendor, &id).await;
    assert_eq!(tenant_ids(&stored), [tenant.as_str()]);
    assert_eq!(stored["phoneNumber"], "+15550100");
    // An invited user has not proved its email: no login (Frontegg's default) until verified.
    let creds = json!({ "email": "new@acme.io", "password": "Str0ng-pass!" });
    let login = app.post(super::LOGIN).json(creds.clone()).send().await;
    assert_error(&login, StatusCode::UNAUTHORIZED);
    let res = app.post(&format!("/identity/resources/users/v1/{id}/verify")).bearer(&vendor).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    let login = app.post(super::LOGIN).json(creds).send().await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let claims = claims(login.body["accessToken"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["editor"]));
    assert_eq!(claims["tenantId"], tenant.as_str());
}

#[tokio::test]
async fn create_user_v1_without_roles_gets_the_default_roles() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let other = app.seed_tenant("other").await;
    app.seed_role("member", None, true, &[]).await;
    app.seed_role("tenant-default", Some(&tenant), true, &[]).await;
    app.seed_role("foreign-default", Some(&other), true, &[]).await;
    app.seed_role("admin", None, false, &[]).await;
    // The shape a Rust management client sends.
    let res = app
        .post(USERS_V1)
        .bearer(&vendor)
        .tenant(&tenant)
        .json(json!({ "name": "Ann", "email": "ann@acme.io", "metadata": "{\"a\":1}", "skipInviteEmail": true }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["metadata"], r#"{"a":1}"#);
    assert_eq!(role_keys(&res.body), ["member", "tenant-default"]);
    assert_eq!(res.body["tenants"][0]["tenantId"], tenant.as_str());
    assert_eq!(res.body["tenants"][0]["roles"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn creating_an_existing_email_adds_that_user_to_the_tenant_and_keeps_its_password() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let id = app.seed_user("ann@a.io", &a, &[]).await;
    let res = app
        .post(USERS_V2)
        .bearer(&vendor)
        .tenant(&b)
        .json(json!({ "email": "ANN@a.io", "name": "Changed", "password": "Other-pass-1" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["id"], id.to_string());
    assert_eq!(res.body["tenantId"], b.as_str());
    let stored = vendor_get(&app, &vendor, &id.to_string()).await;
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(tenant_ids(&stored), both);
    assert_eq!(stored["name"], "User ann@a.io");
    assert_eq!(try_login(&app, "ann@a.io").await.status, StatusCode::OK);

    // Already a member: 409, nothing changes.
    let again = app.post(USERS_V2).bearer(&vendor).tenant(&b).json(json!({ "email": "ann@a.io" })).send().await;
    assert_error(&again, StatusCode::CONFLICT);
    assert_eq!(tenant_ids(&vendor_get(&app, &vendor, &id.to_string()).await), both);
}

#[tokio::test]
async fn create_user_rejects_bad_input_and_creates_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let other = app.seed_tenant("other").await;
    let foreign_role = app.seed_role("theirs", Some(&other), false, &[]).await;
    let cases = [
        (json!({ "name": "no identifier" }), StatusCode::BAD_REQUEST),
        (json!({ "email": "not-an-email" }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "password": "abc" }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "roleIds": [Uuid::new_v4().to_string()] }), StatusCode::NOT_FOUND),
        (json!({ "email": "x@acme.io", "roleIds": [foreign_role.to_string()] }), StatusCode::NOT_FOUND),
        (json!({ "email": "x@acme.io", "roleIds": ["nope"] }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "metadata": 5 }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "metadata": "not json" }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "provider": "myspace" }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "expirationInSeconds": 60 }), StatusCode::BAD_REQUEST),
        (json!({ "email": "x@acme.io", "username": "bad name!" }), StatusCode::BAD_REQUEST),
        (json!({ "email": 5 }), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let res = app.post(USERS_V2).bearer(&vendor).tenant(&tenant).json(body.clone()).send().await;
        assert_error(&res, status);
        assert!(app.store.get_user_by_email("x@acme.io").await.is_err(), "created by {body}");
    }
    let res = app.post(USERS_V2).bearer(&vendor).tenant(&tenant).raw("{", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    // No tenant in scope, or an unknown one.
    let res = app.post(USERS_V2).bearer(&vendor).json(json!({ "email": "x@acme.io" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(USERS_V2).bearer(&vendor).tenant("ghost").json(json!({ "email": "x@acme.io" })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert!(app.store.get_user_by_email("x@acme.io").await.is_err());
}

#[tokio::test]
async fn create_user_checks_the_callers_token_and_permission() {
    let app = TestApp::new().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let body = json!({ "email": "new@a.io" });

    let res = app.post(USERS_V2).tenant(&a).json(body.clone()).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let (_, reader) = app.member_with("reader@a.io", &a, &["fe.secure.read.users"]).await;
    let res = app.post(USERS_V2).bearer(&reader).json(body.clone()).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let (_, admin) = app.member_with("admin@a.io", &a, &["fe.secure.write.users"]).await;
    let res = app.post(USERS_V2).bearer(&admin).tenant(&b).json(body.clone()).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(app.store.get_user_by_email("new@a.io").await.is_err());

    // The tenant comes from the admin's token.
    let res = app.post(USERS_V2).bearer(&admin).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], a.as_str());

    // Adding a member of another tenant does not reveal that tenant.
    app.seed_user("bob@b.io", &b, &[]).await;
    let res = app.post(USERS_V2).bearer(&admin).json(json!({ "email": "bob@b.io" })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantIds"], json!([a]));
    assert_eq!(res.body["tenants"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn vendor_only_create_makes_a_verified_user_in_the_named_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let body = json!({
        "email": "v@acme.io", "name": "V", "password": PASSWORD, "tenantId": tenant, "externalId": "ext-1",
        "mfaBypass": true,
    });
    let res = app.post(VENDOR_USERS).bearer(&vendor).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["verified"], true);
    assert_eq!(res.body["externalId"], "ext-1");
    assert_eq!(res.body["tenantId"], tenant.as_str());
    let login = try_login(&app, "v@acme.io").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(claims(login.body["accessToken"].as_str().unwrap())["email_verified"], true);

    // The same email again: 409 (no add-to-tenant here).
    let res = app.post(VENDOR_USERS).bearer(&vendor).json(body).send().await;
    assert_error(&res, StatusCode::CONFLICT);
}

#[tokio::test]
async fn vendor_only_create_rejects_bad_input_and_user_tokens() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let res = app.post(VENDOR_USERS).bearer(&vendor).json(json!({ "email": "v@acme.io" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res =
        app.post(VENDOR_USERS).bearer(&vendor).json(json!({ "email": "v@acme.io", "tenantId": "ghost" })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app
        .post(VENDOR_USERS)
        .bearer(&vendor)
        .json(json!({ "email": "v@acme.io", "tenantId": tenant, "vendorMetadata": { "x": 1 } }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(app.store.get_user_by_email("v@acme.io").await.is_err());

    let (_, token) = app.member_with("admin@acme.io", &tenant, &["fe.secure.write.users"]).await;
    let res =
        app.post(VENDOR_USERS).bearer(&token).json(json!({ "email": "v@acme.io", "tenantId": tenant })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
    let res = app.post(VENDOR_USERS).json(json!({ "email": "v@acme.io", "tenantId": tenant })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert!(app.store.get_user_by_email("v@acme.io").await.is_err());
}
