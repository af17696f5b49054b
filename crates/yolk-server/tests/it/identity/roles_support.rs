//! Helpers shared by the roles, permissions and configurations tests: create through the API, read tokens.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;
pub use crate::support::claims;

pub const ROLES_V1: &str = "/identity/resources/roles/v1";
pub const ROLES_V2: &str = "/identity/resources/roles/v2";
pub const PERMISSIONS: &str = "/identity/resources/permissions/v1";
pub const CATEGORIES: &str = "/identity/resources/permissions/v1/categories";

/// The claims of a fresh login's access token.
pub async fn login_claims(app: &TestApp, email: &str) -> Value {
    claims(&app.user_token(email).await)
}

/// Creates one permission through the API and returns its id.
pub async fn create_permission(app: &TestApp, vt: &str, key: &str) -> String {
    let res = app.post(PERMISSIONS).bearer(vt).json(json!([{ "key": key, "name": key }])).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body[0]["id"].as_str().expect("permission id").to_owned()
}

/// Creates one role through the API (in `tenant` if given) and returns its id.
pub async fn create_role(app: &TestApp, vt: &str, key: &str, tenant: Option<&str>) -> String {
    let mut req = app.post(ROLES_V1).bearer(vt).json(json!([{ "key": key, "name": key, "level": 1 }]));
    if let Some(t) = tenant {
        req = req.tenant(t);
    }
    let res = req.send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body[0]["id"].as_str().expect("role id").to_owned()
}

/// Replaces a role's permissions through the API.
pub async fn set_permissions(app: &TestApp, vt: &str, role_id: &str, permission_ids: &[&str]) {
    let res = app
        .put(&format!("{ROLES_V1}/{role_id}/permissions"))
        .bearer(vt)
        .json(json!({ "permissionIds": permission_ids }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

/// A typed id (`RoleId`, `PermissionId`, ...) from a response body's string.
pub fn uuid<T: std::str::FromStr>(id: &str) -> T {
    id.parse().unwrap_or_else(|_| panic!("not an id: {id}"))
}

/// The keys of the roles in a list response.
pub fn keys(list: &Value) -> Vec<String> {
    let mut k: Vec<String> =
        list.as_array().expect("array").iter().map(|r| r["key"].as_str().unwrap_or_default().to_owned()).collect();
    k.sort();
    k
}
