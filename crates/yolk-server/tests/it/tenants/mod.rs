//! tenants.json routes.

mod accounts;
mod accounts_auth;
mod accounts_v2;
mod hierarchy;
mod settings;
mod sub_accounts;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

/// Creates a tenant through `POST /tenants/resources/tenants/v1` (asserting 201) and returns the response body.
pub async fn create_tenant(app: &TestApp, vendor: &str, body: Value) -> Value {
    let res = app.post("/tenants/resources/tenants/v1").bearer(vendor).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

/// Creates a tenant with this id and name, optionally under `parent`.
pub async fn tenant(app: &TestApp, vendor: &str, id: &str, parent: Option<&str>) -> Value {
    create_tenant(app, vendor, json!({ "tenantId": id, "name": format!("Tenant {id}"), "parentTenantId": parent }))
        .await
}

/// Reads a tenant back through `GET /tenants/resources/tenants/v2/{id}` (an empty array when unknown).
pub async fn read_tenant(app: &TestApp, vendor: &str, id: &str) -> Value {
    let res = app.get(&format!("/tenants/resources/tenants/v2/{id}")).bearer(vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}
