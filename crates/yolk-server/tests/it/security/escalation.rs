//! Item 2: privilege escalation inside a tenant. A member grants only roles whose level is not above its own and
//! whose permissions it holds; nobody changes their own roles; choosing roles on an invite needs
//! `fe.secure.write.usersRoles`; a tenant role carries only permissions its creator holds. The environment keeps
//! full power.

use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_domain::{RoleId, UserId};

use crate::support::{TestApp, assert_error};

const USERS_V1: &str = "/identity/resources/users/v1";
const ROLES_V2: &str = "/identity/resources/roles/v2";

const OWNER_PERMS: &[&str] = &[
    "fe.secure.read.users",
    "fe.secure.write.users",
    "fe.secure.write.usersRoles",
    "fe.secure.delete.usersRoles",
    "fe.secure.read.roles",
    "fe.secure.write.roles",
    "fe.account-settings.delete.account",
];
const ADMIN_PERMS: &[&str] = &[
    "fe.secure.read.users",
    "fe.secure.write.users",
    "fe.secure.write.usersRoles",
    "fe.secure.delete.usersRoles",
    "fe.secure.read.roles",
    "fe.secure.write.roles",
];

struct Tenant {
    app: TestApp,
    id: String,
    owner: RoleId,
    admin_role: RoleId,
    viewer: RoleId,
    /// Same level as Admin, but with a permission Admin lacks.
    sibling: RoleId,
    admin: UserId,
    admin_token: String,
    member: UserId,
}

async fn tenant() -> Tenant {
    let app = TestApp::new().await;
    let id = app.seed_tenant("acme").await;
    let owner = app.seed_role_at_level("owner", None, false, 0, OWNER_PERMS).await;
    let admin_role = app.seed_role_at_level("admin", None, false, 1, ADMIN_PERMS).await;
    let viewer = app.seed_role_at_level("viewer", None, false, 2, &["fe.secure.read.users"]).await;
    let sibling =
        app.seed_role_at_level("billing", None, false, 1, &["fe.secure.read.users", "app.billing.write"]).await;
    let admin = app.seed_user("admin@acme.io", &id, &[admin_role]).await;
    let member = app.seed_user("member@acme.io", &id, &[]).await;
    let admin_token = app.user_token("admin@acme.io").await;
    Tenant { app, id, owner, admin_role, viewer, sibling, admin, admin_token, member }
}

impl Tenant {
    async fn assign(&self, token: &str, user: UserId, role: RoleId) -> crate::support::TestResponse {
        self.app
            .post(&format!("{USERS_V1}/{user}/roles"))
            .bearer(token)
            .tenant(&self.id)
            .json(json!({ "roleIds": [role.to_string()] }))
            .send()
            .await
    }

    async fn held(&self, user: UserId) -> Vec<String> {
        let m = self.app.store.memberships(&[user]).await.unwrap().remove(&user).unwrap_or_default();
        let mut keys: Vec<String> = m.iter().flat_map(|m| m.roles.iter().map(|r| r.key.clone())).collect();
        keys.sort();
        keys
    }
}

#[tokio::test]
async fn an_admin_cannot_make_itself_owner_nor_give_itself_any_role() {
    let t = tenant().await;
    assert_error(&t.assign(&t.admin_token, t.admin, t.owner).await, StatusCode::FORBIDDEN);
    assert_error(&t.assign(&t.admin_token, t.admin, t.viewer).await, StatusCode::FORBIDDEN);
    assert_eq!(t.held(t.admin).await, ["admin"]);
    // Taking its own role away is a change of its own roles too.
    let res = t
        .app
        .delete(&format!("{USERS_V1}/{}/roles", t.admin))
        .bearer(&t.admin_token)
        .tenant(&t.id)
        .json(json!({ "roleIds": [t.admin_role.to_string()] }))
        .send()
        .await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(t.held(t.admin).await, ["admin"]);
}

#[tokio::test]
async fn an_admin_grants_only_roles_not_above_its_level_whose_permissions_it_holds() {
    let t = tenant().await;
    assert_error(&t.assign(&t.admin_token, t.member, t.owner).await, StatusCode::FORBIDDEN);
    assert_error(&t.assign(&t.admin_token, t.member, t.sibling).await, StatusCode::FORBIDDEN);
    assert!(t.held(t.member).await.is_empty());
    let res = t.assign(&t.admin_token, t.member, t.viewer).await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = t.assign(&t.admin_token, t.member, t.admin_role).await;
    assert!(res.status.is_success(), "same level, same permissions: {}", res.text);
    assert_eq!(t.held(t.member).await, ["admin", "viewer"]);
    // ... and cannot take a stronger role away from someone either.
    let owner_user = t.app.seed_user("owner@acme.io", &t.id, &[t.owner]).await;
    let res = t
        .app
        .delete(&format!("{USERS_V1}/{owner_user}/roles"))
        .bearer(&t.admin_token)
        .tenant(&t.id)
        .json(json!({ "roleIds": [t.owner.to_string()] }))
        .send()
        .await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(t.held(owner_user).await, ["owner"]);
    // The environment keeps full power.
    let vt = t.app.vendor_token().await;
    let res = t.assign(&vt, t.member, t.owner).await;
    assert!(res.status.is_success(), "{}", res.text);
}

#[tokio::test]
async fn choosing_roles_on_an_invite_is_granting_them() {
    let t = tenant().await;
    // Holding only fe.secure.write.users: may invite, may not pick roles.
    let (_, writer) = t.app.member_with("writer@acme.io", &t.id, &["fe.secure.write.users"]).await;
    let invite = |token: String, email: &'static str, roles: Value| {
        let app = &t.app;
        let id = t.id.clone();
        async move {
            app.post(USERS_V1).bearer(&token).tenant(&id).json(json!({ "email": email, "roleIds": roles })).send().await
        }
    };
    let res = invite(writer.clone(), "a@acme.io", json!([t.viewer.to_string()])).await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(t.app.store.get_user_by_email("a@acme.io").await.is_err(), "nothing was created");
    let res = invite(writer, "a@acme.io", json!([])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // An admin may pick roles, but not one above its own.
    let res = invite(t.admin_token.clone(), "b@acme.io", json!([t.owner.to_string()])).await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(t.app.store.get_user_by_email("b@acme.io").await.is_err());
    let res = invite(t.admin_token.clone(), "b@acme.io", json!([t.viewer.to_string()])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

#[tokio::test]
async fn a_tenant_role_carries_only_permissions_its_creator_holds() {
    let t = tenant().await;
    let vt = t.app.vendor_token().await;
    let perms = t.app.store.list_permissions().await.unwrap();
    let id_of = |key: &str| perms.iter().find(|p| p.key == key).unwrap().id.to_string();
    let create = |base: RoleId, permission_ids: Vec<String>, key: &'static str| {
        let app = &t.app;
        let token = t.admin_token.clone();
        async move {
            app.post(ROLES_V2)
                .bearer(&token)
                .json(
                    json!({ "key": key, "name": key, "baseRoleId": base.to_string(), "permissionIds": permission_ids }),
                )
                .send()
                .await
        }
    };
    let res = create(t.viewer, vec![id_of("fe.account-settings.delete.account")], "k1").await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = create(t.owner, vec![id_of("fe.secure.read.users")], "k2").await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let roles = t.app.get(ROLES_V2).bearer(&vt).tenant(&t.id).send().await;
    assert!(!roles.text.contains("\"k1\"") && !roles.text.contains("\"k2\""), "{}", roles.text);
    let res = create(t.viewer, vec![id_of("fe.secure.read.users")], "k3").await;
    assert!(res.status.is_success(), "{}", res.text);
}
