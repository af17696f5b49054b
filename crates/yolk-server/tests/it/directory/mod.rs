//! scim.json (`/directory`): SCIM configurations and the SCIM 2.0 service.

mod configurations;
mod scim;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

pub const CONFIGS: &str = "/directory/resources/v1/configurations/scim2";
pub const SCIM: &str = "/directory/resources/scim/v2";

/// A new connection of `tenant` (through the API, as the environment): `(id, token)`.
pub async fn connection(app: &TestApp, vendor: &str, tenant: &str, sync: bool) -> (String, String) {
    app.clock.advance_secs(1);
    let res = app
        .post(CONFIGS)
        .bearer(vendor)
        .tenant(tenant)
        .json(json!({ "source": "okta", "connectionName": "Okta", "syncToUserManagement": sync }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    (res.body["id"].as_str().unwrap().to_owned(), res.body["token"].as_str().unwrap().to_owned())
}

/// A SCIM user body.
pub fn scim_user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": format!("ext-{user_name}"),
        "name": { "givenName": "Ann", "familyName": "Lee" },
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true,
    })
}

/// Creates a SCIM user through the service (asserting 201); its id.
pub async fn create_scim_user(app: &TestApp, token: &str, user_name: &str, email: &str) -> String {
    // Records list oldest first: a second apart, so the order is the creation order.
    app.clock.advance_secs(1);
    let res = app.post(&format!("{SCIM}/Users")).bearer(token).json(scim_user(user_name, email)).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_str().unwrap().to_owned()
}

/// The emails of the tenant's users list (`GET /users/v3` as the environment).
pub async fn tenant_emails(app: &TestApp, vendor: &str, tenant: &str) -> Vec<String> {
    let res = app.get("/identity/resources/users/v3?_limit=200").bearer(vendor).tenant(tenant).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut v: Vec<String> =
        res.body["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}
