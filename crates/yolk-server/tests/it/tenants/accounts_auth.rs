//! Authentication of every tenants route: management routes refuse anything but an environment token with
//! Frontegg's message; self-service routes refuse a missing token.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::tenant;
use crate::support::{TestApp, assert_error};

/// Routes that take an environment token only (method, path, body).
const MANAGEMENT: &[(&str, &str, bool)] = &[
    ("GET", "/tenants/resources/tenants/v1", false),
    ("POST", "/tenants/resources/tenants/v1", true),
    ("GET", "/tenants/resources/tenants/v1/t1", false),
    ("PUT", "/tenants/resources/tenants/v1/t1", true),
    ("DELETE", "/tenants/resources/tenants/v1/t1", false),
    ("POST", "/tenants/resources/tenants/v1/t1/metadata", true),
    ("DELETE", "/tenants/resources/tenants/v1/t1/metadata/k", false),
    ("GET", "/tenants/resources/tenants/v2", false),
    ("GET", "/tenants/resources/tenants/v2/t1", false),
    ("PUT", "/tenants/resources/tenants/v2/t1", true),
    ("GET", "/tenants/resources/tenants/v2/alias/a1", false),
    ("POST", "/tenants/resources/hierarchy/v1", true),
    ("DELETE", "/tenants/resources/hierarchy/v1", true),
];

/// Routes a user token may call (with the right permission).
const SELF_SERVICE: &[(&str, &str, bool)] = &[
    ("DELETE", "/tenants/resources/tenants/v1", false),
    ("GET", "/tenants/resources/account-settings/v1", false),
    ("PUT", "/tenants/resources/account-settings/v1", true),
    ("GET", "/tenants/resources/account-settings/v1/public", false),
    ("POST", "/tenants/resources/sub-tenants/v1", true),
    ("PUT", "/tenants/resources/sub-tenants/v1/t1/management", true),
    ("PUT", "/tenants/resources/sub-tenants/v1/t1/hierarchy-settings", true),
    ("DELETE", "/tenants/resources/sub-tenants/v1/t1", false),
    ("GET", "/tenants/resources/hierarchy/v1", false),
    ("GET", "/tenants/resources/hierarchy/v1/parents", false),
    ("GET", "/tenants/resources/hierarchy/v1/tree", false),
];

fn body() -> serde_json::Value {
    json!({
        "tenantId": "t2", "name": "x", "parentTenantId": "t1", "childTenantId": "t2", "metadata": {"a": 1},
        "isReseller": true, "subAccountAccessType": "defaultOn", "timezone": "UTC"
    })
}

#[tokio::test]
async fn management_routes_refuse_a_missing_token_and_a_user_token_and_change_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "t1", None).await;
    let user = app.member_with("ann@acme.io", "t1", &[]).await.1;
    for (method, path, with_body) in MANAGEMENT {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for token in [None, Some(user.as_str()), Some("not-a-jwt")] {
            let mut req = app.request(method.clone(), path);
            if let Some(t) = token {
                req = req.bearer(t);
            }
            if *with_body {
                req = req.json(body());
            }
            let res = req.send().await;
            assert_error(&res, StatusCode::UNAUTHORIZED);
            assert_eq!(res.error(), "Failed to verify vendor JWT", "{method} {path}");
        }
    }
    let t1 = super::read_tenant(&app, &vendor, "t1").await;
    assert_eq!(t1["name"], "Tenant t1");
    assert_eq!(t1["metadata"], serde_json::Value::Null);
    let list = app.get("/tenants/resources/tenants/v1").bearer(&vendor).send().await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn self_service_routes_refuse_a_missing_or_invalid_token() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "t1", None).await;
    for (method, path, with_body) in SELF_SERVICE {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for token in [None, Some("not-a-jwt")] {
            let mut req = app.request(method.clone(), path).tenant("t1");
            if let Some(t) = token {
                req = req.bearer(t);
            }
            if *with_body {
                req = req.json(body());
            }
            let res = req.send().await;
            assert_error(&res, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(super::read_tenant(&app, &vendor, "t1").await["tenantId"], "t1");
}
