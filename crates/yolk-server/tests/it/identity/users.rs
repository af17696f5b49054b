//! identity.json tags Users and User management. Shared fixtures for the user tests.

mod bulk;
mod create;
mod list;
mod read;
mod roles;
mod status;
mod statuses;
mod temporary;
mod tenancy;
mod unlock;
mod update;

use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, TestResponse};

pub const LOGIN: &str = "/identity/resources/auth/v1/user";
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
pub const USERS_V1: &str = "/identity/resources/users/v1";
pub const USERS_V2: &str = "/identity/resources/users/v2";
pub const USERS_V3: &str = "/identity/resources/users/v3";
pub const VENDOR_USERS: &str = "/identity/resources/vendor-only/users/v1";

/// Logs in with [`PASSWORD`] without asserting success.
pub async fn try_login(app: &TestApp, email: &str) -> TestResponse {
    app.post(LOGIN).json(json!({ "email": email, "password": PASSWORD })).send().await
}

/// The user as the environment sees it (`GET /vendor-only/users/v1/{id}`), or `Null` when it does not exist.
pub async fn vendor_get(app: &TestApp, vendor: &str, id: &str) -> Value {
    let res = app.get(&format!("{VENDOR_USERS}/{id}")).bearer(vendor).send().await;
    if res.status == axum::http::StatusCode::NOT_FOUND { Value::Null } else { res.body }
}

/// The tenant ids of a user body.
pub fn tenant_ids(user: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        user["tenants"].as_array().unwrap().iter().map(|t| t["tenantId"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

/// The role keys of a user body (in its tenant in context).
pub fn role_keys(user: &Value) -> Vec<String> {
    let mut keys: Vec<String> =
        user["roles"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap().to_owned()).collect();
    keys.sort();
    keys
}
