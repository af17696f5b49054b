//! tenants.json tag Accounts, v1: create, read, list, update, delete, metadata.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{create_tenant, read_tenant, tenant};
use crate::support::{CLIENT_ID, TestApp, assert_error};

const TENANTS: &str = "/tenants/resources/tenants/v1";

fn path(id: &str) -> String {
    format!("{TENANTS}/{id}")
}

async fn count(app: &TestApp, vendor: &str) -> usize {
    app.get(TENANTS).bearer(vendor).send().await.body.as_array().expect("array").len()
}

#[tokio::test]
async fn create_keeps_the_chosen_id_encodes_metadata_and_reads_back_as_an_array() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let res = app
        .post(TENANTS)
        .access_token(&vendor)
        .json(json!({
            "tenantId": "acme-1", "name": "  Acme  ", "metadata": {"plan": "pro"}, "website": "https://acme.io",
            "creatorName": "Ann", "creatorEmail": "ann@acme.io", "isReseller": true, "currency": "EUR"
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let t = &res.body;
    assert_eq!(t["tenantId"], "acme-1");
    assert_eq!(t["name"], "Acme");
    assert_eq!(t["metadata"], r#"{"plan":"pro"}"#);
    assert_eq!(t["website"], "https://acme.io");
    assert_eq!(t["creatorName"], "Ann");
    assert_eq!(t["creatorEmail"], "ann@acme.io");
    assert_eq!(t["currency"], "EUR");
    assert_eq!(t["isReseller"], true);
    assert_eq!(t["vendorId"], CLIENT_ID);
    assert_eq!(t["deletedAt"], Value::Null);
    assert!(uuid::Uuid::parse_str(t["id"].as_str().unwrap()).is_ok());
    assert!(chrono::DateTime::parse_from_rfc3339(t["createdAt"].as_str().unwrap()).is_ok());

    let got = app.get(&path("acme-1")).bearer(&vendor).send().await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, json!([t]));
}

#[tokio::test]
async fn create_without_an_id_generates_a_uuid_and_accepts_any_json_metadata() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = create_tenant(&app, &vendor, json!({ "name": "Acme", "metadata": "{\"a\":1}" })).await;
    assert!(uuid::Uuid::parse_str(t["tenantId"].as_str().unwrap()).is_ok());
    assert_eq!(t["metadata"], r#"{"a":1}"#);
    // A Rust management client sends arbitrary JSON (say a number) and reads it back encoded.
    let n = create_tenant(&app, &vendor, json!({ "name": "Numbers", "metadata": 42 })).await;
    assert_eq!(n["metadata"], "42");
    let none = create_tenant(&app, &vendor, json!({ "name": "None", "metadata": null })).await;
    assert_eq!(none["metadata"], Value::Null);
}

#[tokio::test]
async fn create_rejects_bad_input_and_creates_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let bad = [
        json!({ "tenantId": "x" }),
        json!({ "tenantId": "x", "name": "   " }),
        json!({ "tenantId": "", "name": "Acme" }),
        json!({ "tenantId": "a\nb", "name": "Acme" }),
        json!({ "tenantId": "x".repeat(256), "name": "Acme" }),
        json!({ "tenantId": 5, "name": "Acme" }),
        json!({ "name": ["Acme"] }),
        json!({ "name": "Acme", "metadata": "not json" }),
        json!({ "name": "Acme", "isReseller": "yes" }),
        json!({ "name": "Acme", "website": "w".repeat(3000) }),
        json!([]),
    ];
    for body in bad {
        let res = app.post(TENANTS).bearer(&vendor).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert!(!res.error().is_empty(), "{body}");
    }
    let res = app.post(TENANTS).bearer(&vendor).raw("{\"name\":", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, &vendor).await, 0);
}

#[tokio::test]
async fn create_refuses_a_taken_id_and_an_unknown_parent() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    let dup = app.post(TENANTS).bearer(&vendor).json(json!({ "tenantId": "acme", "name": "Other" })).send().await;
    assert_error(&dup, StatusCode::CONFLICT);
    assert_eq!(dup.error(), "Tenant with this id already exists");
    assert_eq!(read_tenant(&app, &vendor, "acme").await["name"], "Tenant acme");

    let orphan =
        app.post(TENANTS).bearer(&vendor).json(json!({ "name": "Kid", "parentTenantId": "nope" })).send().await;
    assert_error(&orphan, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, &vendor).await, 1);

    let kid = tenant(&app, &vendor, "kid", Some("acme")).await;
    assert_eq!(kid["parentTenantId"], "acme");
}

#[tokio::test]
async fn get_answers_an_empty_array_for_an_unknown_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let res = app.get(&path("00000000-0000-0000-0000-000000000000")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, json!([]));
}

#[tokio::test]
async fn list_returns_every_tenant_as_an_array_ordered_by_tenant_id() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    for id in ["c", "a", "b"] {
        tenant(&app, &vendor, id, None).await;
    }
    let res = app.get(TENANTS).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let ids: Vec<&str> = res.body.as_array().unwrap().iter().map(|t| t["tenantId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn update_changes_present_fields_clears_nulls_and_keeps_the_rest() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let before = create_tenant(
        &app,
        &vendor,
        json!({ "tenantId": "acme", "name": "Acme", "website": "https://a.io", "address": "1 Road", "metadata": {"k": 1} }),
    )
    .await;
    app.clock.advance_secs(5);
    let res = app
        .put(&path("acme"))
        .bearer(&vendor)
        .json(json!({ "name": "Acme Inc", "website": null, "timezone": "Europe/Paris", "isReseller": true }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let t = read_tenant(&app, &vendor, "acme").await;
    assert_eq!(res.body, t);
    assert_eq!(t["name"], "Acme Inc");
    assert_eq!(t["website"], Value::Null);
    assert_eq!(t["timezone"], "Europe/Paris");
    assert_eq!(t["address"], "1 Road");
    assert_eq!(t["metadata"], r#"{"k":1}"#);
    assert_eq!(t["isReseller"], true);
    assert_eq!(t["createdAt"], before["createdAt"]);
    assert_ne!(t["updatedAt"], before["updatedAt"]);
}

#[tokio::test]
async fn update_rejects_bad_input_and_unknown_tenants_without_changing_anything() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let before = tenant(&app, &vendor, "acme", None).await;
    for body in [
        json!({}),
        json!({ "unknown": 1 }),
        json!({ "name": null }),
        json!({ "name": "" }),
        json!({ "name": 7 }),
        json!({ "isReseller": null }),
        json!({ "website": "https://ok.io", "alias": "not ok" }),
        json!({ "timezone": ["UTC"] }),
    ] {
        let res = app.put(&path("acme")).bearer(&vendor).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(read_tenant(&app, &vendor, "acme").await, before);
    let res = app.put(&path("nope")).bearer(&vendor).json(json!({ "name": "X" })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_eq!(read_tenant(&app, &vendor, "nope").await, json!([]));
}

#[tokio::test]
async fn delete_answers_an_empty_body_and_removes_the_tenant_and_its_own_users() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    tenant(&app, &vendor, "other", None).await;
    let only = app.seed_user("only@acme.io", "acme", &[]).await;
    let both = app.seed_user("both@acme.io", "acme", &[]).await;
    app.add_member(both, "other", &[]).await;
    let session = app.login("both@acme.io").await;

    let res = app.delete(&path("acme")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.text, "");
    assert_eq!(read_tenant(&app, &vendor, "acme").await, json!([]));
    assert!(app.store.get_user(only).await.is_err(), "a user of only this tenant is deleted");
    let kept = app.store.memberships(&[both]).await.unwrap().remove(&both).unwrap();
    assert_eq!(kept.iter().map(|m| m.tenant_id.as_str()).collect::<Vec<_>>(), ["other"]);
    // The session opened in the deleted tenant is over.
    let refresh = app
        .post("/identity/resources/auth/v1/user/token/refresh")
        .json(json!({ "refreshToken": session.body["refreshToken"] }))
        .send()
        .await;
    assert_error(&refresh, StatusCode::UNAUTHORIZED);

    let again = app.delete(&path("acme")).bearer(&vendor).send().await;
    assert_error(&again, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_moves_sub_accounts_up_to_the_deleted_tenants_parent() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "root", None).await;
    tenant(&app, &vendor, "mid", Some("root")).await;
    tenant(&app, &vendor, "leaf1", Some("mid")).await;
    tenant(&app, &vendor, "leaf2", Some("mid")).await;
    tenant(&app, &vendor, "top", None).await;
    tenant(&app, &vendor, "under-top", Some("top")).await;

    assert_eq!(app.delete(&path("mid")).bearer(&vendor).send().await.status, StatusCode::OK);
    assert_eq!(read_tenant(&app, &vendor, "leaf1").await["parentTenantId"], "root");
    assert_eq!(read_tenant(&app, &vendor, "leaf2").await["parentTenantId"], "root");
    assert_eq!(app.delete(&path("top")).bearer(&vendor).send().await.status, StatusCode::OK);
    assert_eq!(read_tenant(&app, &vendor, "under-top").await["parentTenantId"], Value::Null);
}

#[tokio::test]
async fn delete_current_tenant_needs_the_delete_account_permission() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    tenant(&app, &vendor, "beta", None).await;
    let plain = app.member_with("plain@acme.io", "acme", &[]).await.1;
    let res = app.delete(TENANTS).bearer(&plain).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    // The header cannot point a user token at another tenant.
    let admin = app.member_with("admin@acme.io", "acme", &["fe.account-settings.delete.account"]).await.1;
    let res = app.delete(TENANTS).bearer(&admin).tenant("beta").send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, &vendor).await, 2);

    let res = app.delete(TENANTS).bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.text, "");
    assert_eq!(read_tenant(&app, &vendor, "acme").await, json!([]));

    // The environment names the tenant in the header, and must name one.
    let res = app.delete(TENANTS).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.delete(TENANTS).bearer(&vendor).tenant("beta").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(count(&app, &vendor).await, 0);
}

#[tokio::test]
async fn add_metadata_merges_keys_and_returns_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    create_tenant(&app, &vendor, json!({ "tenantId": "acme", "name": "Acme", "metadata": {"a": 1, "b": 2} })).await;
    let res = app
        .post(&format!("{}/metadata", path("acme")))
        .bearer(&vendor)
        .json(json!({ "metadata": {"b": 3, "c": {"d": true}} }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], "acme");
    let stored: Value = serde_json::from_str(res.body["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(stored, json!({"a": 1, "b": 3, "c": {"d": true}}));
    let again = app
        .post(&format!("{}/metadata", path("acme")))
        .bearer(&vendor)
        .json(json!({ "metadata": "{\"e\":5}" }))
        .send()
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    let read: Value =
        serde_json::from_str(read_tenant(&app, &vendor, "acme").await["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(read, json!({"a": 1, "b": 3, "c": {"d": true}, "e": 5}));
}

#[tokio::test]
async fn add_metadata_rejects_non_objects_and_unknown_tenants() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    create_tenant(&app, &vendor, json!({ "tenantId": "acme", "name": "Acme", "metadata": {"a": 1} })).await;
    for body in [json!({}), json!({ "metadata": [1] }), json!({ "metadata": "[1]" }), json!({ "metadata": 3 })] {
        let res = app.post(&format!("{}/metadata", path("acme"))).bearer(&vendor).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(read_tenant(&app, &vendor, "acme").await["metadata"], r#"{"a":1}"#);
    let res =
        app.post(&format!("{}/metadata", path("nope"))).bearer(&vendor).json(json!({"metadata": {}})).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_metadata_removes_one_key_and_returns_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    create_tenant(&app, &vendor, json!({ "tenantId": "acme", "name": "Acme", "metadata": {"a": 1, "b": 2} })).await;
    let res = app.delete(&format!("{}/metadata/a", path("acme"))).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["metadata"], r#"{"b":2}"#);
    assert_eq!(read_tenant(&app, &vendor, "acme").await["metadata"], r#"{"b":2}"#);
    let missing = app.delete(&format!("{}/metadata/zzz", path("acme"))).bearer(&vendor).send().await;
    assert_eq!(missing.status, StatusCode::OK);
    assert_eq!(missing.body["metadata"], r#"{"b":2}"#);
    let unknown = app.delete(&format!("{}/metadata/a", path("nope"))).bearer(&vendor).send().await;
    assert_error(&unknown, StatusCode::NOT_FOUND);
}
