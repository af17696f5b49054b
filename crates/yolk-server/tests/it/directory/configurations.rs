//! SCIM configurations: create (token shown once), list with filters, get, patch, delete (with `deleteAll`), the
//! SDK's user count; environment only.

use axum::http::StatusCode;
use serde_json::json;

use super::{CONFIGS, SCIM, connection, create_scim_user, tenant_emails};
use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn create_shows_the_token_once_and_reads_never_return_it() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let res = app
        .post(CONFIGS)
        .bearer(&vendor)
        .tenant(&t)
        .json(json!({ "source": "azure-ad", "connectionName": "Entra" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let token = res.body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    assert_eq!(res.body["connectionName"], "Entra");

    let one = app.get(&format!("{CONFIGS}/{id}")).bearer(&vendor).send().await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.body["tenantId"], t.as_str());
    assert_eq!(one.body["source"], "azure-ad");
    assert_eq!(one.body["syncToUserManagement"], true);
    assert!(one.body["lastSync"].is_null());
    assert!(!one.text.contains(&token), "the token is never answered again");
    let all = app.get(CONFIGS).bearer(&vendor).send().await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(!all.text.contains(&token));
    assert!(all.text.contains(&id));
    // The store keeps only its hash.
    let c = app.store.get_scim_connection(&id, None).await.unwrap();
    assert_eq!(c.tenant_id.as_str(), t);
    // It works as a SCIM bearer token.
    let res = app.get(&format!("{SCIM}/Users")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn list_filters_by_tenant_source_name_and_id() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let (ida, _) = connection(&app, &vendor, &a, true).await;
    app.clock.advance_secs(1);
    let res = app
        .post(CONFIGS)
        .bearer(&vendor)
        .tenant(&b)
        .json(json!({ "source": "other", "connectionName": "Custom" }))
        .send()
        .await;
    let idb = res.body["id"].as_str().unwrap().to_owned();
    let ids = |res: &crate::support::TestResponse| -> Vec<String> {
        res.body.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    let all = app.get(CONFIGS).bearer(&vendor).send().await;
    assert_eq!(ids(&all), [ida.clone(), idb.clone()]);
    let res = app.get(&format!("{CONFIGS}?tenantId={b}")).bearer(&vendor).send().await;
    assert_eq!(ids(&res), [idb.as_str()]);
    let res = app.get(&format!("{CONFIGS}?source=okta")).bearer(&vendor).send().await;
    assert_eq!(ids(&res), [ida.as_str()]);
    let res = app.get(&format!("{CONFIGS}?connectionName=Custom")).bearer(&vendor).send().await;
    assert_eq!(ids(&res), [idb.as_str()]);
    let res = app.get(&format!("{CONFIGS}?id={ida}")).bearer(&vendor).send().await;
    assert_eq!(ids(&res), [ida.as_str()]);
    // The tenant header narrows to that tenant.
    let res = app.get(CONFIGS).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(ids(&res), [ida.as_str()]);
}

#[tokio::test]
async fn bad_input_is_a_400_and_changes_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    for body in [json!({ "source": "google" }), json!({}), json!({ "source": "okta", "connectionName": "a\u{0}b" })] {
        let res = app.post(CONFIGS).bearer(&vendor).tenant(&t).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.post(CONFIGS).bearer(&vendor).tenant(&t).raw("{not json", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    // No tenant named: 400; an unknown tenant: 404.
    let res = app.post(CONFIGS).bearer(&vendor).json(json!({ "source": "okta" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(CONFIGS).bearer(&vendor).tenant("no-such-tenant").json(json!({ "source": "okta" })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app
        .patch(&format!("{CONFIGS}/nope"))
        .bearer(&vendor)
        .json(json!({ "syncToUserManagement": true }))
        .send()
        .await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let (id, _) = connection(&app, &vendor, &t, true).await;
    let res =
        app.patch(&format!("{CONFIGS}/{id}")).bearer(&vendor).json(json!({ "syncToUserManagement": "x" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(CONFIGS).bearer(&vendor).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_the_environment_manages_connections() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (id, token) = connection(&app, &vendor, &t, true).await;
    // A tenant admin's user token, and a SCIM token, are not environment tokens.
    let (_, admin) = app
        .member_with("admin@acme.io", &t, &["fe.secure.write.users", "fe.secure.read.users", "fe.secure.delete.users"])
        .await;
    for bearer in [admin.as_str(), token.as_str(), "garbage"] {
        let res = app.get(CONFIGS).bearer(bearer).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        let res = app.post(CONFIGS).bearer(bearer).tenant(&t).json(json!({ "source": "okta" })).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        let res = app.delete(&format!("{CONFIGS}/{id}")).bearer(bearer).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
    }
    assert!(app.store.get_scim_connection(&id, None).await.is_ok());
}

#[tokio::test]
async fn another_tenants_header_cannot_reach_a_connection() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let (id, _) = connection(&app, &vendor, &a, true).await;
    let res = app.get(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&b).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app
        .patch(&format!("{CONFIGS}/{id}"))
        .bearer(&vendor)
        .tenant(&b)
        .json(json!({ "syncToUserManagement": false }))
        .send()
        .await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&b).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let c = app.store.get_scim_connection(&id, None).await.unwrap();
    assert!(c.sync_to_user_management);
}

#[tokio::test]
async fn patch_sets_sync_for_later_provisioning() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (id, token) = connection(&app, &vendor, &t, true).await;
    let res = app
        .patch(&format!("{CONFIGS}/{id}"))
        .bearer(&vendor)
        .tenant(&t)
        .json(json!({ "syncToUserManagement": false }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let one = app.get(&format!("{CONFIGS}/{id}")).bearer(&vendor).send().await;
    assert_eq!(one.body["syncToUserManagement"], false);
    create_scim_user(&app, &token, "dir-only", "dir@acme.io").await;
    assert!(tenant_emails(&app, &vendor, &t).await.is_empty(), "not synced: no member");
    let res = app
        .patch(&format!("{CONFIGS}/{id}"))
        .bearer(&vendor)
        .json(json!({ "syncToUserManagement": true }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    create_scim_user(&app, &token, "member", "member@acme.io").await;
    assert_eq!(tenant_emails(&app, &vendor, &t).await, ["member@acme.io"]);
    let one = app.get(&format!("{CONFIGS}/{id}")).bearer(&vendor).send().await;
    assert!(one.body["lastSync"].is_string());
}

#[tokio::test]
async fn users_count_counts_the_connections_users() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (id, token) = connection(&app, &vendor, &t, true).await;
    let count = format!("/directory/resources/scim/temp/{id}/Users/count");
    let res = app.get(&count).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({ "count": 0 }));
    let u = create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    create_scim_user(&app, &token, "bob", "bob@acme.io").await;
    assert_eq!(app.get(&count).bearer(&vendor).send().await.body["count"], 2);
    app.delete(&format!("{SCIM}/Users/{u}")).bearer(&token).send().await;
    assert_eq!(app.get(&format!("/frontegg{count}")).bearer(&vendor).send().await.body["count"], 1);
    assert_error(
        &app.get("/directory/resources/scim/temp/nope/Users/count").bearer(&vendor).send().await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn delete_revokes_the_token_and_keeps_members_unless_delete_all() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (id, token) = connection(&app, &vendor, &t, true).await;
    create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    let res = app.delete(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&t).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    // The token is dead; the member it made stays.
    let res = app.get(&format!("{SCIM}/Users")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(tenant_emails(&app, &vendor, &t).await, ["ann@acme.io"]);
    let res = app.delete(&format!("{CONFIGS}/{id}")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);

    // deleteAll, in the query or the body: the members it provisioned leave (and go, with no other tenant).
    for with_body in [false, true] {
        let (id, token) = connection(&app, &vendor, &t, true).await;
        let e1 = format!("one-{with_body}@acme.io");
        create_scim_user(&app, &token, &e1, &e1).await;
        let g =
            app.post(&format!("{SCIM}/Groups")).bearer(&token).json(json!({ "displayName": "admins" })).send().await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.text);
        let res = if with_body {
            app.delete(&format!("{CONFIGS}/{id}")).bearer(&vendor).json(json!({ "deleteAll": true })).send().await
        } else {
            app.delete(&format!("{CONFIGS}/{id}?deleteAll=true")).bearer(&vendor).send().await
        };
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
        assert_eq!(tenant_emails(&app, &vendor, &t).await, ["ann@acme.io"]);
    }
    assert_eq!(app.store.list_scim_connections(&Default::default()).await.unwrap().len(), 0);
}
