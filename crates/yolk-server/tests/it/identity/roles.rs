//! identity.json tag Roles (`/resources/roles/v1`).

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::roles_support::{
    PERMISSIONS, ROLES_V1, create_permission, create_role, keys, login_claims, set_permissions, uuid,
};
use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn roles_are_created_in_a_batch_and_listed() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let res = app
        .post(ROLES_V1)
        .bearer(&vt)
        .json(json!([
            { "key": "admin", "name": "Admin", "description": "All of it", "level": 0, "isDefault": false },
            { "key": "viewer", "name": "Viewer", "level": 2, "isDefault": true, "firstUserRole": true },
        ]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let admin = &res.body[0];
    assert!(uuid::Uuid::parse_str(admin["id"].as_str().unwrap()).is_ok());
    assert_eq!(admin["key"], "admin");
    assert_eq!(admin["name"], "Admin");
    assert_eq!(admin["description"], "All of it");
    assert_eq!(admin["level"], 0);
    assert_eq!(admin["isDefault"], false);
    assert_eq!(admin["tenantId"], serde_json::Value::Null);
    assert_eq!(admin["vendorId"], crate::support::CLIENT_ID);
    assert_eq!(admin["permissions"], json!([]));
    assert!(admin["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(res.body[1]["isDefault"], true);
    assert_eq!(res.body[1]["firstUserRole"], true);

    let list = app.get(ROLES_V1).access_token(&vt).send().await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(keys(&list.body), ["admin", "viewer"]);
}

#[tokio::test]
async fn a_tenant_header_scopes_roles_to_that_tenant() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (acme, globex) = (app.seed_tenant("acme").await, app.seed_tenant("globex").await);
    create_role(&app, &vt, "admin", None).await;
    let acme_role = create_role(&app, &vt, "auditor", Some(&acme)).await;
    create_role(&app, &vt, "auditor", Some(&globex)).await;

    let acme_list = app.get(ROLES_V1).bearer(&vt).tenant(&acme).send().await;
    assert_eq!(keys(&acme_list.body), ["admin", "auditor"]);
    let auditor = acme_list.body.as_array().unwrap().iter().find(|r| r["key"] == "auditor").unwrap();
    assert_eq!(auditor["id"], acme_role.as_str());
    assert_eq!(auditor["tenantId"], acme.as_str());
    let all = app.get(ROLES_V1).bearer(&vt).send().await;
    assert_eq!(keys(&all.body), ["admin", "auditor", "auditor"]);

    // Another tenant's role is out of scope: not found, and untouched.
    for method in [Method::PATCH, Method::DELETE] {
        let res = app
            .request(method, &format!("{ROLES_V1}/{acme_role}"))
            .bearer(&vt)
            .tenant(&globex)
            .json(json!({ "name": "Mine now" }))
            .send()
            .await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    let role = app.store.get_role(uuid(&acme_role)).await.unwrap();
    assert_eq!(role.name, "auditor");
}

#[tokio::test]
async fn role_routes_require_an_environment_token() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let role = create_role(&app, &vt, "admin", None).await;
    app.seed_user("ann@acme.io", &tenant, &[uuid(&role)]).await;
    let user_token = app.user_token("ann@acme.io").await;
    let routes = [
        (Method::GET, ROLES_V1.to_owned()),
        (Method::POST, ROLES_V1.to_owned()),
        (Method::PATCH, format!("{ROLES_V1}/{role}")),
        (Method::DELETE, format!("{ROLES_V1}/{role}")),
        (Method::PUT, format!("{ROLES_V1}/{role}/permissions")),
        (Method::PUT, format!("{ROLES_V1}/{role}/tenant")),
    ];
    for (method, path) in routes {
        let anonymous = app.request(method.clone(), &path).json(json!({})).send().await;
        assert_error(&anonymous, StatusCode::UNAUTHORIZED);
        let user = app.request(method.clone(), &path).bearer(&user_token).json(json!({})).send().await;
        assert_error(&user, StatusCode::UNAUTHORIZED);
        assert_eq!(user.error(), "Failed to verify vendor JWT", "{method} {path}");
    }
    assert!(app.store.get_role(uuid(&role)).await.is_ok());
}

#[tokio::test]
async fn bad_role_input_is_a_400_and_creates_nothing() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let bodies = [
        json!([]),
        json!({ "key": "a", "name": "A", "level": 1 }),
        json!([{ "name": "A", "level": 1 }]),
        json!([{ "key": "a", "level": 1 }]),
        json!([{ "key": "a", "name": "A" }]),
        json!([{ "key": " ", "name": "A", "level": 1 }]),
        json!([{ "key": "a", "name": "A", "level": -1 }]),
        json!([{ "key": "a", "name": "A", "level": 40000 }]),
        json!([{ "key": "a", "name": "A", "level": "1" }]),
        json!([{ "key": "a", "name": "A", "level": 1 }, { "key": "b", "name": "", "level": 1 }]),
        json!([{ "key": "k".repeat(256), "name": "A", "level": 1 }]),
    ];
    for body in bodies {
        let res = app.post(ROLES_V1).bearer(&vt).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.post(ROLES_V1).bearer(&vt).raw("[{", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(app.store.list_roles(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn role_keys_are_unique_per_scope() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (acme, globex) = (app.seed_tenant("acme").await, app.seed_tenant("globex").await);
    create_role(&app, &vt, "admin", None).await;

    // A clash anywhere in the batch creates nothing.
    let res = app
        .post(ROLES_V1)
        .bearer(&vt)
        .json(json!([{ "key": "fresh", "name": "F", "level": 1 }, { "key": "admin", "name": "A", "level": 1 }]))
        .send()
        .await;
    assert_error(&res, StatusCode::CONFLICT);
    assert!(res.error().contains("already exists"), "{}", res.text);
    let dup_in_batch = app
        .post(ROLES_V1)
        .bearer(&vt)
        .json(json!([{ "key": "twin", "name": "T", "level": 1 }, { "key": "twin", "name": "T", "level": 1 }]))
        .send()
        .await;
    assert_error(&dup_in_batch, StatusCode::CONFLICT);
    assert_eq!(keys(&app.get(ROLES_V1).bearer(&vt).send().await.body), ["admin"]);

    // The same key in two tenants is fine; a tenant role may not pass for an environment role.
    create_role(&app, &vt, "ops", Some(&acme)).await;
    create_role(&app, &vt, "ops", Some(&globex)).await;
    let again = app.post(ROLES_V1).bearer(&vt).tenant(&acme).json(json!([{ "key": "ops", "name": "O", "level": 1 }]));
    assert_error(&again.send().await, StatusCode::CONFLICT);
    let shadow =
        app.post(ROLES_V1).bearer(&vt).tenant(&acme).json(json!([{ "key": "admin", "name": "A", "level": 0 }]));
    assert_error(&shadow.send().await, StatusCode::CONFLICT);

    let unknown_tenant =
        app.post(ROLES_V1).bearer(&vt).tenant("no-such-tenant").json(json!([{ "key": "x", "name": "X", "level": 1 }]));
    assert_error(&unknown_tenant.send().await, StatusCode::NOT_FOUND);
    assert_eq!(app.store.list_roles(None).await.unwrap().len(), 3);
}

#[tokio::test]
async fn migrate_role_gives_a_new_default_role_to_existing_users_of_its_scope() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (acme, globex) = (app.seed_tenant("acme").await, app.seed_tenant("globex").await);
    app.seed_user("ann@acme.io", &acme, &[]).await;
    app.seed_user("bob@globex.io", &globex, &[]).await;
    let res = app
        .post(ROLES_V1)
        .bearer(&vt)
        .json(json!([
            { "key": "member", "name": "Member", "level": 3, "isDefault": true, "migrateRole": true },
            { "key": "quiet", "name": "Quiet", "level": 3, "isDefault": true },
            { "key": "loud", "name": "Loud", "level": 3, "migrateRole": true },
        ]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(login_claims(&app, "ann@acme.io").await["roles"], json!(["member"]));
    assert_eq!(login_claims(&app, "bob@globex.io").await["roles"], json!(["member"]));

    // A tenant's default role reaches only that tenant's members.
    let res = app
        .post(ROLES_V1)
        .bearer(&vt)
        .tenant(&acme)
        .json(json!([{ "key": "acme-staff", "name": "Staff", "level": 3, "isDefault": true, "migrateRole": true }]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(login_claims(&app, "ann@acme.io").await["roles"], json!(["acme-staff", "member"]));
    assert_eq!(login_claims(&app, "bob@globex.io").await["roles"], json!(["member"]));

    // PATCH with migrateRole does the same for an existing default role.
    let quiet = app
        .get(ROLES_V1)
        .bearer(&vt)
        .send()
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "quiet")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched =
        app.patch(&format!("{ROLES_V1}/{quiet}")).bearer(&vt).json(json!({ "migrateRole": true })).send().await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(login_claims(&app, "bob@globex.io").await["roles"], json!(["member", "quiet"]));
}

#[tokio::test]
async fn patch_updates_given_fields_only() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let id = create_role(&app, &vt, "admin", None).await;
    create_role(&app, &vt, "viewer", None).await;
    let res = app
        .patch(&format!("{ROLES_V1}/{id}"))
        .bearer(&vt)
        .json(json!({ "name": "Administrator", "level": 0, "description": "root", "permissions": null }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["name"], "Administrator");
    assert_eq!(res.body["key"], "admin");
    assert_eq!(res.body["level"], 0);
    assert_eq!(res.body["description"], "root");

    let clash = app.patch(&format!("{ROLES_V1}/{id}")).bearer(&vt).json(json!({ "key": "viewer" })).send().await;
    assert_error(&clash, StatusCode::CONFLICT);
    for body in [json!({ "level": 99999 }), json!({ "name": "" }), json!({ "isDefault": "yes" })] {
        let res = app.patch(&format!("{ROLES_V1}/{id}")).bearer(&vt).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let role = app.store.get_role(uuid(&id)).await.unwrap();
    assert_eq!((role.key.as_str(), role.name.as_str(), role.level), ("admin", "Administrator", 0));

    let unknown = uuid::Uuid::new_v4();
    let missing = app.patch(&format!("{ROLES_V1}/{unknown}")).bearer(&vt).json(json!({ "name": "x" })).send().await;
    assert_error(&missing, StatusCode::NOT_FOUND);
    let malformed = app.patch(&format!("{ROLES_V1}/not-a-uuid")).bearer(&vt).json(json!({ "name": "x" })).send().await;
    assert_error(&malformed, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deleting_a_role_takes_it_from_its_users() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let perm = create_permission(&app, &vt, "reports.read").await;
    let (admin, viewer) = (create_role(&app, &vt, "admin", None).await, create_role(&app, &vt, "viewer", None).await);
    set_permissions(&app, &vt, &admin, &[&perm]).await;
    app.seed_user("ann@acme.io", &tenant, &[uuid(&admin), uuid(&viewer)]).await;
    let before = login_claims(&app, "ann@acme.io").await;
    assert_eq!(before["roles"], json!(["admin", "viewer"]));
    assert_eq!(before["permissions"], json!(["reports.read"]));

    let res = app.delete(&format!("{ROLES_V1}/{admin}")).bearer(&vt).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert!(res.text.is_empty());
    let after = login_claims(&app, "ann@acme.io").await;
    assert_eq!(after["roles"], json!(["viewer"]));
    assert_eq!(after["permissions"], json!([]));

    let again = app.delete(&format!("{ROLES_V1}/{admin}")).bearer(&vt).send().await;
    assert_error(&again, StatusCode::NOT_FOUND);
    let malformed = app.delete(&format!("{ROLES_V1}/123")).bearer(&vt).send().await;
    assert_error(&malformed, StatusCode::BAD_REQUEST);
    // The permission itself survives its role.
    assert_eq!(app.get(PERMISSIONS).bearer(&vt).send().await.body[0]["roleIds"], json!([]));
}

#[tokio::test]
async fn setting_role_permissions_replaces_them_and_changes_the_next_token() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let (read, write) =
        (create_permission(&app, &vt, "reports.read").await, create_permission(&app, &vt, "reports.write").await);
    let role = create_role(&app, &vt, "editor", None).await;
    app.seed_user("ann@acme.io", &tenant, &[uuid(&role)]).await;

    set_permissions(&app, &vt, &role, &[&read, &write]).await;
    assert_eq!(login_claims(&app, "ann@acme.io").await["permissions"], json!(["reports.read", "reports.write"]));
    let res = app
        .put(&format!("{ROLES_V1}/{role}/permissions"))
        .bearer(&vt)
        .json(json!({ "permissionIds": [write, write] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["permissions"], json!([write]));
    assert_eq!(login_claims(&app, "ann@acme.io").await["permissions"], json!(["reports.write"]));

    // Unknown or malformed ids change nothing.
    let unknown = uuid::Uuid::new_v4().to_string();
    for (ids, status) in [
        (json!([read, unknown]), StatusCode::NOT_FOUND),
        (json!([read, "nope"]), StatusCode::BAD_REQUEST),
        (json!("nope"), StatusCode::BAD_REQUEST),
    ] {
        let res = app
            .put(&format!("{ROLES_V1}/{role}/permissions"))
            .bearer(&vt)
            .json(json!({ "permissionIds": ids }))
            .send()
            .await;
        assert_error(&res, status);
    }
    let missing_field = app.put(&format!("{ROLES_V1}/{role}/permissions")).bearer(&vt).json(json!({})).send().await;
    assert_error(&missing_field, StatusCode::BAD_REQUEST);
    let no_role = app
        .put(&format!("{ROLES_V1}/{unknown}/permissions"))
        .bearer(&vt)
        .json(json!({ "permissionIds": [read] }))
        .send()
        .await;
    assert_error(&no_role, StatusCode::NOT_FOUND);
    assert_eq!(app.store.get_role(uuid(&role)).await.unwrap().permission_ids, [uuid(&write)]);

    set_permissions(&app, &vt, &role, &[]).await;
    assert_eq!(login_claims(&app, "ann@acme.io").await["permissions"], json!([]));
}

#[tokio::test]
async fn a_role_moves_between_tenants_and_leaves_the_others() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (acme, globex) = (app.seed_tenant("acme").await, app.seed_tenant("globex").await);
    let role = create_role(&app, &vt, "auditor", None).await;
    app.seed_user("ann@acme.io", &acme, &[uuid(&role)]).await;
    app.seed_user("bob@globex.io", &globex, &[uuid(&role)]).await;
    let path = format!("{ROLES_V1}/{role}/tenant");

    let res = app.put(&path).bearer(&vt).json(json!({ "tenantId": acme })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], acme.as_str());
    assert_eq!(login_claims(&app, "ann@acme.io").await["roles"], json!(["auditor"]));
    assert_eq!(login_claims(&app, "bob@globex.io").await["roles"], json!([]));
    assert_eq!(keys(&app.get(ROLES_V1).bearer(&vt).tenant(&globex).send().await.body), Vec::<String>::new());

    for (body, status) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({ "tenantId": "" }), StatusCode::BAD_REQUEST),
        (json!({ "tenantId": 7 }), StatusCode::BAD_REQUEST),
        (json!({ "tenantId": "no-such-tenant" }), StatusCode::NOT_FOUND),
    ] {
        assert_error(&app.put(&path).bearer(&vt).json(body).send().await, status);
    }
    assert_eq!(app.store.get_role(uuid(&role)).await.unwrap().tenant_id.map(|t| t.into_string()), Some(acme.clone()));

    let back = app.put(&path).bearer(&vt).json(json!({ "tenantId": null })).send().await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.body["tenantId"], serde_json::Value::Null);
    let unknown = uuid::Uuid::new_v4();
    let missing = app.put(&format!("{ROLES_V1}/{unknown}/tenant")).bearer(&vt).json(json!({ "tenantId": null }));
    assert_error(&missing.send().await, StatusCode::NOT_FOUND);
}
