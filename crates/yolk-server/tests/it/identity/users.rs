//! identity.json tags Users and User management. Shared fixtures for the user tests.

mod create;
mod list;
mod read;
mod roles;
mod status;
mod tenancy;
mod update;

use base64::Engine;
use serde_json::{Value, json};
use uuid::Uuid;
use yolk_domain::{Permission, Role};

use crate::support::{PASSWORD, TestApp, TestResponse};

pub const LOGIN: &str = "/identity/resources/auth/v1/user";
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
pub const USERS_V1: &str = "/identity/resources/users/v1";
pub const USERS_V2: &str = "/identity/resources/users/v2";
pub const USERS_V3: &str = "/identity/resources/users/v3";
pub const VENDOR_USERS: &str = "/identity/resources/vendor-only/users/v1";

/// The claims of a JWT (unverified).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("jwt payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("claims json")
}

/// A role in the store granting permissions with these keys (created as needed).
pub async fn seed_role(app: &TestApp, key: &str, tenant: Option<&str>, is_default: bool, perms: &[&str]) -> Uuid {
    let now = chrono::Utc::now();
    let existing = app.store.list_permissions().await.unwrap();
    let mut ids = Vec::new();
    for p in perms {
        if let Some(found) = existing.iter().find(|e| e.key == *p) {
            ids.push(found.id);
            continue;
        }
        let id = Uuid::new_v4();
        let permission = Permission {
            id,
            key: (*p).to_owned(),
            name: (*p).to_owned(),
            description: None,
            category_id: None,
            assignment_type: None,
            role_ids: vec![],
            created_at: now,
            updated_at: now,
        };
        app.store.create_permissions(&[permission]).await.unwrap();
        ids.push(id);
    }
    let role = Role {
        id: Uuid::new_v4(),
        key: key.to_owned(),
        name: key.to_owned(),
        description: None,
        tenant_id: tenant.map(str::to_owned),
        level: 0,
        is_default,
        first_user_role: false,
        permission_ids: ids,
        created_at: now,
        updated_at: now,
    };
    app.store.create_roles(&[role]).await.unwrap()[0].id
}

/// A member of `tenant` holding the given permissions, and its access token.
pub async fn member_with(app: &TestApp, email: &str, tenant: &str, perms: &[&str]) -> (Uuid, String) {
    let role = seed_role(app, &format!("role-{}", Uuid::new_v4().simple()), Some(tenant), false, perms).await;
    let id = app.seed_user(email, tenant, &[role]).await;
    (id, app.user_token(email).await)
}

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
