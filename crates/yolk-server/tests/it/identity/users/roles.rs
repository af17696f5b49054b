//! Assigning and unassigning a user's roles.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;
use yolk_domain::UserId;

use super::{USERS_V1, role_keys};
use crate::support::{TestApp, assert_error, claims};

async fn roles_in(app: &TestApp, vendor: &str, tenant: &str, user: UserId) -> Vec<String> {
    let res = app.get(&format!("{USERS_V1}/{user}")).bearer(vendor).tenant(tenant).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    role_keys(&res.body)
}

#[tokio::test]
async fn assign_and_unassign_roles_in_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let viewer = app.seed_role("viewer", None, false, &["docs.read"]).await;
    let editor = app.seed_role("editor", Some(&a), false, &["docs.write"]).await;
    let ann = app.seed_user("ann@a.io", &a, &[viewer]).await;
    let path = format!("{USERS_V1}/{ann}/roles");

    let res = app
        .post(&path)
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({ "roleIds": [editor.to_string(), viewer.to_string()] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], a.as_str());
    assert_eq!(res.body["userId"], ann.to_string());
    assert_eq!(res.body["roles"].as_array().unwrap().len(), 2);
    assert_eq!(roles_in(&app, &vendor, &a, ann).await, ["editor", "viewer"]);
    let login = app.login("ann@a.io").await;
    let claims = claims(login.body["accessToken"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["editor", "viewer"]));
    assert_eq!(claims["permissions"], json!(["docs.read", "docs.write"]));

    let res = app
        .delete(&path)
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({ "roleIds": [viewer.to_string(), Uuid::new_v4().to_string()] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["roles"][0]["key"], "viewer");
    assert_eq!(res.body["roles"].as_array().unwrap().len(), 1);
    assert_eq!(roles_in(&app, &vendor, &a, ann).await, ["editor"]);
}

#[tokio::test]
async fn role_changes_reject_bad_input_and_change_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let viewer = app.seed_role("viewer", None, false, &[]).await;
    let theirs = app.seed_role("theirs", Some(&b), false, &[]).await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let bob = app.seed_user("bob@b.io", &b, &[]).await;
    let path = format!("{USERS_V1}/{ann}/roles");
    for (body, status) in [
        (json!({ "roleIds": [viewer.to_string(), Uuid::new_v4().to_string()] }), StatusCode::NOT_FOUND),
        (json!({ "roleIds": [theirs.to_string()] }), StatusCode::NOT_FOUND),
        (json!({ "roleIds": ["nope"] }), StatusCode::BAD_REQUEST),
        (json!({ "roleIds": [] }), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        let res = app.post(&path).bearer(&vendor).tenant(&a).json(body).send().await;
        assert_error(&res, status);
    }
    assert!(roles_in(&app, &vendor, &a, ann).await.is_empty());
    // Not a member of the tenant in scope; no tenant in scope.
    let res = app
        .post(&format!("{USERS_V1}/{bob}/roles"))
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({ "roleIds": [viewer.to_string()] }))
        .send()
        .await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.post(&path).bearer(&vendor).json(json!({ "roleIds": [viewer.to_string()] })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.delete(&path).bearer(&vendor).tenant(&a).json(json!({ "roleIds": ["x"] })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app
        .delete(&format!("{USERS_V1}/{bob}/roles"))
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({ "roleIds": [viewer.to_string()] }))
        .send()
        .await;
    assert_error(&res, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn role_changes_by_tenant_users_need_frontegg_permissions() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let viewer = app.seed_role("viewer", None, false, &[]).await;
    let ann = app.seed_user("ann@a.io", &a, &[]).await;
    let bob = app.seed_user("bob@b.io", &b, &[]).await;
    let (_, granter) = app.member_with("granter@a.io", &a, &["fe.secure.write.usersRoles"]).await;
    let (_, writer) = app.member_with("writer@a.io", &a, &["fe.secure.write.users"]).await;
    let body = json!({ "roleIds": [viewer.to_string()] });

    let res = app.post(&format!("{USERS_V1}/{ann}/roles")).json(body.clone()).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.post(&format!("{USERS_V1}/{ann}/roles")).bearer(&writer).json(body.clone()).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.post(&format!("{USERS_V1}/{bob}/roles")).bearer(&granter).json(body.clone()).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert!(roles_in(&app, &vendor, &b, bob).await.is_empty());
    let res = app.post(&format!("{USERS_V1}/{ann}/roles")).bearer(&granter).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(roles_in(&app, &vendor, &a, ann).await, ["viewer"]);
    // Unassigning is a separate permission.
    let res = app.delete(&format!("{USERS_V1}/{ann}/roles")).bearer(&granter).json(body).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(roles_in(&app, &vendor, &a, ann).await, ["viewer"]);
}

/// The roles' keys the user holds in each tenant, by tenant id.
async fn held(app: &TestApp, id: yolk_domain::UserId) -> std::collections::BTreeMap<String, Vec<String>> {
    let all = app.store.memberships(&[id]).await.unwrap();
    let mut out = std::collections::BTreeMap::new();
    for m in all.get(&id).cloned().unwrap_or_default() {
        let mut keys: Vec<String> = m.roles.iter().map(|r| r.key.clone()).collect();
        keys.sort();
        out.insert(m.tenant_id.to_string(), keys);
    }
    out
}

/// The environment grants and revokes environment roles in all of a user's tenants (or the named ones) at once;
/// a tenant's own role, an unknown role or user, a tenant not the user's and empty bodies change nothing.
#[tokio::test]
async fn vendor_bulk_roles_update_every_tenant_of_the_user_at_once() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let (a, b, c) = (app.seed_tenant("a").await, app.seed_tenant("b").await, app.seed_tenant("c").await);
    let viewer = app.seed_role("viewer", None, false, &[]).await;
    let editor = app.seed_role("editor", None, false, &[]).await;
    let own = app.seed_role("own", Some(&a), false, &[]).await;
    let id = app.seed_user("ann@x.io", &a, &[viewer]).await;
    app.add_member(id, &b, &[viewer]).await;
    app.add_member(id, &c, &[]).await;
    let path = format!("/identity/resources/vendor-only/users/v1/{id}/roles/bulk");

    let body = json!({"addRoleIds": [editor.to_string()], "removeRoleIds": [viewer.to_string()]});
    let res = app.patch(&path).access_token(&vendor).json(body).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.body,
        json!({"userId": id.to_string(), "affectedTenants": 3, "rolesAdded": [editor.to_string()],
               "rolesRemoved": [viewer.to_string()]})
    );
    for keys in held(&app, id).await.values() {
        assert_eq!(keys, &["editor"]);
    }

    let body = json!({"addRoleIds": [viewer.to_string()], "tenantIds": [b.clone()]});
    let res = app.patch(&path).access_token(&vendor).json(body).send().await;
    assert_eq!(res.body["affectedTenants"], 1, "{}", res.text);
    let now = held(&app, id).await;
    assert_eq!(
        (now[&a].clone(), now[&b].clone()),
        (vec!["editor".to_owned()], vec!["editor".to_owned(), "viewer".to_owned()])
    );

    let before = held(&app, id).await;
    let other = app.seed_tenant("other").await;
    let unknown = yolk_domain::RoleId::from(uuid::Uuid::new_v4()).to_string();
    for (body, status) in [
        (json!({"addRoleIds": [own.to_string()]}), StatusCode::NOT_FOUND),
        (json!({"addRoleIds": [unknown]}), StatusCode::NOT_FOUND),
        (json!({"addRoleIds": [viewer.to_string()], "tenantIds": [a.clone(), other]}), StatusCode::NOT_FOUND),
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({"addRoleIds": ["nope"]}), StatusCode::BAD_REQUEST),
    ] {
        assert_error(&app.patch(&path).access_token(&vendor).json(body).send().await, status);
    }
    assert_eq!(held(&app, id).await, before, "nothing changed");
    let missing = format!("/identity/resources/vendor-only/users/v1/{}/roles/bulk", yolk_domain::UserId::new());
    let body = json!({"addRoleIds": [viewer.to_string()]});
    assert_error(&app.patch(&missing).access_token(&vendor).json(body.clone()).send().await, StatusCode::NOT_FOUND);
    let (_, member) = app.member_with("admin@x.io", &a, &["fe.secure.write.usersRoles"]).await;
    let res = app.patch(&path).access_token(&member).json(body).send().await;
    assert!(res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::FORBIDDEN, "{}", res.text);
    assert_eq!(held(&app, id).await, before);
}
