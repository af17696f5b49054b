//! tenants.json routes.

mod accounts;
mod accounts_auth;
mod accounts_v2;
mod hierarchy;
mod settings;
mod sub_accounts;

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;
use yolk_domain::{Permission, Role};

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

/// A member of `tenant_id` whose token carries `permissions` (created on first use), as a user access token.
pub async fn member_token(app: &TestApp, tenant_id: &str, email: &str, permissions: &[&str]) -> String {
    let now = chrono::Utc::now();
    let existing = app.store.list_permissions().await.expect("list permissions");
    let mut ids = Vec::new();
    for key in permissions {
        let id = match existing.iter().find(|p| p.key == *key) {
            Some(p) => p.id,
            None => {
                let p = Permission {
                    id: Uuid::new_v4(),
                    key: (*key).to_owned(),
                    name: (*key).to_owned(),
                    description: None,
                    category_id: None,
                    assignment_type: None,
                    role_ids: vec![],
                    created_at: now,
                    updated_at: now,
                };
                app.store.create_permissions(std::slice::from_ref(&p)).await.expect("create permission");
                p.id
            }
        };
        ids.push(id);
    }
    let role = Role {
        id: Uuid::new_v4(),
        key: format!("role-{}", Uuid::new_v4().simple()),
        name: "Test role".into(),
        description: None,
        tenant_id: None,
        level: 0,
        is_default: false,
        first_user_role: false,
        permission_ids: ids,
        created_at: now,
        updated_at: now,
    };
    app.store.create_roles(std::slice::from_ref(&role)).await.expect("create role");
    app.seed_user(email, tenant_id, &[role.id]).await;
    app.user_token(email).await
}

/// Reads a tenant back through `GET /tenants/resources/tenants/v2/{id}` (an empty array when unknown).
pub async fn read_tenant(app: &TestApp, vendor: &str, id: &str) -> Value {
    let res = app.get(&format!("/tenants/resources/tenants/v2/{id}")).bearer(vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}
