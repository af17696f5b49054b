//! tenants.json tag Account settings.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{read_tenant, tenant};
use crate::support::{TestApp, assert_error};

const SETTINGS: &str = "/tenants/resources/account-settings/v1";
const PUBLIC: &str = "/tenants/resources/account-settings/v1/public";
const READ: &str = "fe.account-settings.read";
const WRITE: &str = "fe.account-settings.write";

#[tokio::test]
async fn environment_reads_and_updates_the_settings_of_the_tenant_in_the_header() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let created = tenant(&app, &vendor, "acme", None).await;
    let res = app.get(SETTINGS).bearer(&vendor).tenant("acme").send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], created["id"]);
    assert_eq!(res.body["tenantId"], "acme");
    assert_eq!(res.body["timezone"], Value::Null);

    let res = app
        .put(SETTINGS)
        .bearer(&vendor)
        .tenant("acme")
        .json(json!({
            "address": "1 Road", "timezone": "Europe/Paris", "dateFormat": "DD/MM/YYYY", "timeFormat": "HH:mm",
            "currency": "EUR", "logo": "data:image/png;base64,AAAA", "applicationUrl": "https://app.acme.io"
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["timezone"], "Europe/Paris");
    let read = app.get(SETTINGS).bearer(&vendor).tenant("acme").send().await;
    assert_eq!(read.body, res.body);
    // The settings are the tenant's own fields.
    let t = read_tenant(&app, &vendor, "acme").await;
    assert_eq!(t["currency"], "EUR");
    assert_eq!(t["address"], "1 Road");
    assert_eq!(t["applicationUrl"], "https://app.acme.io");

    let cleared = app.put(SETTINGS).bearer(&vendor).tenant("acme").json(json!({ "address": null })).send().await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.body["address"], Value::Null);
    assert_eq!(cleared.body["currency"], "EUR");
}

#[tokio::test]
async fn update_rejects_bad_input_without_changing_anything() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    app.put(SETTINGS).bearer(&vendor).tenant("acme").json(json!({ "timezone": "UTC" })).send().await;
    let before = app.get(SETTINGS).bearer(&vendor).tenant("acme").send().await.body;
    for body in [
        json!({}),
        json!({ "unknown": "x" }),
        json!({ "timezone": 5 }),
        json!({ "currency": ["EUR"] }),
        json!({ "address": "ok", "website": "w".repeat(3000) }),
        json!("UTC"),
    ] {
        let res = app.put(SETTINGS).bearer(&vendor).tenant("acme").json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(app.get(SETTINGS).bearer(&vendor).tenant("acme").send().await.body, before);
}

#[tokio::test]
async fn environment_must_name_an_existing_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    assert_error(&app.get(SETTINGS).bearer(&vendor).send().await, StatusCode::BAD_REQUEST);
    assert_error(&app.get(PUBLIC).bearer(&vendor).send().await, StatusCode::BAD_REQUEST);
    let res = app.put(SETTINGS).bearer(&vendor).json(json!({ "timezone": "UTC" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_error(&app.get(SETTINGS).bearer(&vendor).tenant("nope").send().await, StatusCode::NOT_FOUND);
    assert_error(&app.get(PUBLIC).bearer(&vendor).tenant("nope").send().await, StatusCode::NOT_FOUND);
    let res = app.put(SETTINGS).bearer(&vendor).tenant("nope").json(json!({ "timezone": "UTC" })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_needs_the_settings_permissions_and_acts_on_its_own_tenant_only() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    tenant(&app, &vendor, "beta", None).await;
    let plain = app.member_with("plain@acme.io", "acme", &[]).await.1;
    assert_error(&app.get(SETTINGS).bearer(&plain).send().await, StatusCode::FORBIDDEN);
    let res = app.put(SETTINGS).bearer(&plain).json(json!({ "timezone": "UTC" })).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let reader = app.member_with("reader@acme.io", "acme", &[READ]).await.1;
    assert_eq!(app.get(SETTINGS).bearer(&reader).send().await.status, StatusCode::OK);
    let res = app.put(SETTINGS).bearer(&reader).json(json!({ "timezone": "UTC" })).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(read_tenant(&app, &vendor, "acme").await["timezone"], Value::Null);

    let admin = app.member_with("admin@acme.io", "acme", &[READ, WRITE]).await.1;
    let res = app.put(SETTINGS).bearer(&admin).json(json!({ "timezone": "Asia/Tokyo" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], "acme");
    assert_eq!(read_tenant(&app, &vendor, "acme").await["timezone"], "Asia/Tokyo");
    let other = app.put(SETTINGS).bearer(&admin).tenant("beta").json(json!({ "timezone": "UTC" })).send().await;
    assert_error(&other, StatusCode::FORBIDDEN);
    assert_eq!(read_tenant(&app, &vendor, "beta").await["timezone"], Value::Null);
}

#[tokio::test]
async fn public_settings_show_the_branding_subset_to_any_member() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    let body = json!({ "address": "secret road", "logoUrl": "https://cdn/logo.png", "applicationUrl": "https://app" });
    app.put(SETTINGS).bearer(&vendor).tenant("acme").json(body).send().await;
    let plain = app.member_with("plain@acme.io", "acme", &[]).await.1;
    let res = app.get(PUBLIC).bearer(&plain).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({ "applicationUrl": "https://app", "logo": null, "logoUrl": "https://cdn/logo.png" }));
    let vendor_view = app.get(PUBLIC).bearer(&vendor).tenant("acme").send().await;
    assert_eq!(vendor_view.body, res.body);
}
