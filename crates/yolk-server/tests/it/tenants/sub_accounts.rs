//! tenants.json tag Sub-accounts.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{read_tenant, tenant};
use crate::support::{TestApp, assert_error};

const SUB: &str = "/tenants/resources/sub-tenants/v1";
const WRITE: &str = "fe.account-hierarchy.write.subAccount";
const DELETE: &str = "fe.account-hierarchy.delete.subAccount";

async fn count(app: &TestApp, vendor: &str) -> usize {
    app.get("/tenants/resources/tenants/v1").bearer(vendor).send().await.body.as_array().unwrap().len()
}

/// A reseller tenant `root` with `child` below it, and `foreign` elsewhere.
async fn family(app: &TestApp, vendor: &str) {
    tenant(app, vendor, "root", None).await;
    app.put("/tenants/resources/tenants/v1/root").bearer(vendor).json(json!({ "isReseller": true })).send().await;
    tenant(app, vendor, "child", Some("root")).await;
    tenant(app, vendor, "foreign", None).await;
}

#[tokio::test]
async fn environment_creates_a_sub_account_under_any_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "root", None).await;
    let res = app
        .post(SUB)
        .bearer(&vendor)
        .json(json!({ "tenantId": "kid", "name": "Kid", "parentTenantId": "root", "logoUrl": "https://l" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["parentTenantId"], "root");
    assert_eq!(res.body["logoUrl"], "https://l");
    assert_eq!(read_tenant(&app, &vendor, "kid").await, res.body);
}

#[tokio::test]
async fn create_rejects_missing_fields_unknown_parents_and_taken_ids() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "root", None).await;
    for body in [
        json!({ "name": "Kid", "parentTenantId": "root" }),
        json!({ "tenantId": "kid", "parentTenantId": "root" }),
        json!({ "tenantId": "kid", "name": "Kid" }),
        json!({ "tenantId": "kid", "name": "Kid", "parentTenantId": "" }),
    ] {
        assert_error(&app.post(SUB).bearer(&vendor).json(body).send().await, StatusCode::BAD_REQUEST);
    }
    let body = json!({ "tenantId": "kid", "name": "Kid", "parentTenantId": "nope" });
    assert_error(&app.post(SUB).bearer(&vendor).json(body).send().await, StatusCode::NOT_FOUND);
    let body = json!({ "tenantId": "root", "name": "Again", "parentTenantId": "root" });
    assert_error(&app.post(SUB).bearer(&vendor).json(body).send().await, StatusCode::CONFLICT);
    assert_eq!(count(&app, &vendor).await, 1);
}

#[tokio::test]
async fn a_reseller_member_creates_sub_accounts_only_within_its_subtree() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    family(&app, &vendor).await;
    let admin = app.member_with("admin@root.io", "root", &[WRITE]).await.1;
    let under = |id: &str, parent: &str| json!({ "tenantId": id, "name": id, "parentTenantId": parent });
    let res = app.post(SUB).bearer(&admin).json(under("a", "root")).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.post(SUB).bearer(&admin).json(under("b", "child")).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(read_tenant(&app, &vendor, "b").await["parentTenantId"], "child");
    assert_error(&app.post(SUB).bearer(&admin).json(under("c", "foreign")).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.post(SUB).bearer(&admin).json(under("c", "nope")).send().await, StatusCode::NOT_FOUND);

    let plain = app.member_with("plain@root.io", "root", &[]).await.1;
    assert_error(&app.post(SUB).bearer(&plain).json(under("d", "root")).send().await, StatusCode::FORBIDDEN);
    // A member of a tenant without sub-account management cannot create any.
    let foreign_admin = app.member_with("admin@foreign.io", "foreign", &[WRITE]).await.1;
    let res = app.post(SUB).bearer(&foreign_admin).json(under("e", "foreign")).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, &vendor).await, 5);
}

#[tokio::test]
async fn management_toggles_is_reseller_of_sub_accounts() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    family(&app, &vendor).await;
    let res =
        app.put(&format!("{SUB}/foreign/management")).bearer(&vendor).json(json!({ "isReseller": true })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["isReseller"], true);
    assert_eq!(read_tenant(&app, &vendor, "foreign").await["isReseller"], true);

    let admin = app.member_with("admin@root.io", "root", &[WRITE]).await.1;
    let res =
        app.put(&format!("{SUB}/child/management")).bearer(&admin).json(json!({ "isReseller": true })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(read_tenant(&app, &vendor, "child").await["isReseller"], true);
    // Not for its own tenant, nor outside its subtree.
    let own =
        app.put(&format!("{SUB}/root/management")).bearer(&admin).json(json!({ "isReseller": false })).send().await;
    assert_error(&own, StatusCode::NOT_FOUND);
    let other =
        app.put(&format!("{SUB}/foreign/management")).bearer(&admin).json(json!({ "isReseller": false })).send().await;
    assert_error(&other, StatusCode::NOT_FOUND);
    assert_eq!(read_tenant(&app, &vendor, "root").await["isReseller"], true);
    assert_eq!(read_tenant(&app, &vendor, "foreign").await["isReseller"], true);

    for body in [json!({}), json!({ "isReseller": "yes" })] {
        let res = app.put(&format!("{SUB}/child/management")).bearer(&vendor).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(read_tenant(&app, &vendor, "child").await["isReseller"], true);
    let unknown =
        app.put(&format!("{SUB}/nope/management")).bearer(&vendor).json(json!({ "isReseller": true })).send().await;
    assert_error(&unknown, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hierarchy_settings_are_stored_per_tenant_and_removed_with_it() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    family(&app, &vendor).await;
    let path = format!("{SUB}/child/hierarchy-settings");
    let res = app.put(&path).bearer(&vendor).json(json!({ "subAccountAccessType": "alwaysOn" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({ "tenantId": "child", "subAccountAccessType": "alwaysOn" }));
    let stored = app.store.get_setting("hierarchy_settings:child").await.unwrap().expect("stored");
    assert_eq!(stored["subAccountAccessType"], "alwaysOn");

    for body in [json!({}), json!({ "subAccountAccessType": "sometimes" }), json!({ "subAccountAccessType": 1 })] {
        assert_error(&app.put(&path).bearer(&vendor).json(body).send().await, StatusCode::BAD_REQUEST);
    }
    let stored = app.store.get_setting("hierarchy_settings:child").await.unwrap().expect("stored");
    assert_eq!(stored["subAccountAccessType"], "alwaysOn");
    let unknown = app
        .put(&format!("{SUB}/nope/hierarchy-settings"))
        .bearer(&vendor)
        .json(json!({ "subAccountAccessType": "defaultOn" }))
        .send()
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND);
    assert!(app.store.get_setting("hierarchy_settings:nope").await.unwrap().is_none());

    let admin = app.member_with("admin@root.io", "root", &[WRITE]).await.1;
    let own = app
        .put(&format!("{SUB}/root/hierarchy-settings"))
        .bearer(&admin)
        .json(json!({ "subAccountAccessType": "defaultOff" }))
        .send()
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let foreign = app
        .put(&format!("{SUB}/foreign/hierarchy-settings"))
        .bearer(&admin)
        .json(json!({ "subAccountAccessType": "defaultOff" }))
        .send()
        .await;
    assert_error(&foreign, StatusCode::NOT_FOUND);

    assert_eq!(app.delete(&format!("{SUB}/child")).bearer(&vendor).send().await.status, StatusCode::OK);
    assert!(app.store.get_setting("hierarchy_settings:child").await.unwrap().is_none());
    assert!(app.store.get_setting("hierarchy_settings:root").await.unwrap().is_some());
}

#[tokio::test]
async fn delete_removes_a_sub_account_and_lifts_its_own_sub_accounts() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    family(&app, &vendor).await;
    tenant(&app, &vendor, "grandchild", Some("child")).await;
    let plain = app.member_with("plain@root.io", "root", &[WRITE]).await.1;
    assert_error(&app.delete(&format!("{SUB}/child")).bearer(&plain).send().await, StatusCode::FORBIDDEN);
    let admin = app.member_with("admin@root.io", "root", &[DELETE]).await.1;
    assert_error(&app.delete(&format!("{SUB}/foreign")).bearer(&admin).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.delete(&format!("{SUB}/root")).bearer(&admin).send().await, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, &vendor).await, 4);

    let res = app.delete(&format!("{SUB}/child")).bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.text, "");
    assert_eq!(read_tenant(&app, &vendor, "child").await, json!([]));
    assert_eq!(read_tenant(&app, &vendor, "grandchild").await["parentTenantId"], "root");

    assert_error(&app.delete(&format!("{SUB}/nope")).bearer(&vendor).send().await, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("{SUB}/grandchild")).bearer(&vendor).send().await.status, StatusCode::OK);
    assert_eq!(read_tenant(&app, &vendor, "root").await["parentTenantId"], Value::Null);
    assert_eq!(count(&app, &vendor).await, 2);
}
