//! identity.json tag Account roles (`/resources/roles/v2`): the environment's roles plus a tenant's own.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::roles_support::{
    ROLES_V1, ROLES_V2, create_permission, create_role, keys, login_claims, set_permissions, uuid,
};
use crate::support::{TestApp, assert_error};

/// Two tenants, an environment `admin` role (level 0) granting the role permissions, and a user of each tenant
/// holding it: Ann in acme, Bob in globex.
struct World {
    app: TestApp,
    vt: String,
    acme: String,
    globex: String,
    admin_role: String,
    ann: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (acme, globex) = (app.seed_tenant("acme").await, app.seed_tenant("globex").await);
    let read = create_permission(&app, &vt, "fe.secure.read.roles").await;
    let write = create_permission(&app, &vt, "fe.secure.write.roles").await;
    let res =
        app.post(ROLES_V1).bearer(&vt).json(json!([{ "key": "admin", "name": "Admin", "level": 0 }])).send().await;
    let admin_role = res.body[0]["id"].as_str().unwrap().to_owned();
    set_permissions(&app, &vt, &admin_role, &[&read, &write]).await;
    app.seed_user("ann@acme.io", &acme, &[uuid(&admin_role)]).await;
    app.seed_user("bob@globex.io", &globex, &[uuid(&admin_role)]).await;
    let ann = app.user_token("ann@acme.io").await;
    World { app, vt, acme, globex, admin_role, ann }
}

fn items(page: &Value) -> Value {
    page["items"].clone()
}

#[tokio::test]
async fn a_tenant_admin_creates_its_own_role_at_the_base_roles_level() {
    let w = world().await;
    let app = &w.app;
    let perm = create_permission(app, &w.vt, "reports.read").await;
    // A member gives only permissions it holds: the admin role holds this one too.
    let held: Vec<String> = app.store.list_permissions().await.unwrap().iter().map(|p| p.id.to_string()).collect();
    set_permissions(app, &w.vt, &w.admin_role, &held.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let res = app
        .post(ROLES_V2)
        .bearer(&w.ann)
        .json(json!({
            "key": "analyst", "name": "Analyst", "description": "reads reports", "isDefault": false,
            "baseRoleId": w.admin_role, "permissionIds": [perm],
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], w.acme.as_str());
    assert_eq!(res.body["key"], "analyst");
    assert_eq!(res.body["description"], "reads reports");
    assert_eq!(res.body["level"], 0);
    assert_eq!(res.body["permissions"], json!([perm]));
    assert_eq!(res.body["isDefault"], false);

    // acme sees it; globex does not; the environment sees everything.
    let own = app.get(ROLES_V2).bearer(&w.ann).send().await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(keys(&items(&own.body)), ["admin", "analyst"]);
    let bob = app.user_token("bob@globex.io").await;
    assert_eq!(keys(&items(&app.get(ROLES_V2).bearer(&bob).send().await.body)), ["admin"]);
    assert_eq!(keys(&items(&app.get(ROLES_V2).bearer(&w.vt).send().await.body)), ["admin", "analyst"]);

    // Given to a user of acme, it shows in the token.
    let analyst = uuid(res.body["id"].as_str().unwrap());
    app.seed_user("cy@acme.io", &w.acme, &[analyst]).await;
    let c = login_claims(app, "cy@acme.io").await;
    assert_eq!((c["roles"].clone(), c["permissions"].clone()), (json!(["analyst"]), json!(["reports.read"])));
}

#[tokio::test]
async fn the_environment_creates_a_tenant_role_with_the_header() {
    let w = world().await;
    let body = json!({ "key": "ops", "name": "Ops", "baseRoleId": w.admin_role, "permissionIds": [] });
    let res = w.app.post(ROLES_V2).bearer(&w.vt).tenant(&w.globex).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], w.globex.as_str());
    // Without a tenant there is nobody to own it.
    let res = w.app.post(ROLES_V2).bearer(&w.vt).json(body).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(w.app.store.list_roles(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn classification_governs_what_a_tenant_role_may_hold() {
    let w = world().await;
    let app = &w.app;
    let (never, always, free) = (
        create_permission(app, &w.vt, "billing.admin").await,
        create_permission(app, &w.vt, "app.login").await,
        create_permission(app, &w.vt, "reports.read").await,
    );
    // The admin holds what it gives (NEVER aside: no role of a tenant may hold it, whoever creates it).
    let all: Vec<String> = app.store.list_permissions().await.unwrap().iter().map(|p| p.id.to_string()).collect();
    set_permissions(app, &w.vt, &w.admin_role, &all.iter().map(String::as_str).collect::<Vec<_>>()).await;
    for (id, kind) in [(&never, "NEVER"), (&always, "ALWAYS")] {
        let res = app
            .put("/identity/resources/permissions/v1/classification")
            .bearer(&w.vt)
            .json(json!({ "permissionIds": [id], "type": kind }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let base = w.admin_role.as_str();
    let refused = app
        .post(ROLES_V2)
        .bearer(&w.ann)
        .json(json!({ "key": "boss", "name": "Boss", "baseRoleId": base, "permissionIds": [free, never] }))
        .send()
        .await;
    assert_error(&refused, StatusCode::BAD_REQUEST);
    assert!(refused.error().contains("billing.admin"), "{}", refused.text);
    assert_eq!(app.store.list_roles(Some(&crate::support::tenant(&w.acme))).await.unwrap().len(), 1);

    let res = app
        .post(ROLES_V2)
        .bearer(&w.ann)
        .json(json!({ "key": "reader", "name": "Reader", "baseRoleId": base, "permissionIds": [free] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut expected = vec![free.clone(), always.clone()];
    expected.sort();
    assert_eq!(res.body["permissions"], json!(expected));
}

#[tokio::test]
async fn a_tenant_cannot_reach_beyond_itself() {
    let w = world().await;
    let app = &w.app;
    let globex_role = create_role(app, &w.vt, "globex-only", Some(&w.globex)).await;
    let cases = [
        // Another tenant's role as the base: not found.
        (json!({ "key": "x", "name": "X", "baseRoleId": globex_role, "permissionIds": [] }), StatusCode::NOT_FOUND),
        // An environment role's key: a tenant role must not pass for it.
        (json!({ "key": "admin", "name": "X", "baseRoleId": w.admin_role, "permissionIds": [] }), StatusCode::CONFLICT),
        (
            json!({ "key": "x", "name": "X", "baseRoleId": uuid::Uuid::new_v4(), "permissionIds": [] }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "key": "x", "name": "X", "baseRoleId": w.admin_role, "permissionIds": [uuid::Uuid::new_v4()] }),
            StatusCode::NOT_FOUND,
        ),
        (json!({ "key": "x", "name": "X", "baseRoleId": "nope", "permissionIds": [] }), StatusCode::BAD_REQUEST),
        (json!({ "key": "x", "name": "X", "permissionIds": [] }), StatusCode::BAD_REQUEST),
        (json!({ "key": "", "name": "X", "baseRoleId": w.admin_role, "permissionIds": [] }), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let res = app.post(ROLES_V2).bearer(&w.ann).json(body.clone()).send().await;
        assert_error(&res, status);
    }
    // A user token cannot name another tenant in the header.
    let res = app
        .post(ROLES_V2)
        .bearer(&w.ann)
        .tenant(&w.globex)
        .json(json!({ "key": "x", "name": "X", "baseRoleId": w.admin_role, "permissionIds": [] }))
        .send()
        .await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert_eq!(app.store.list_roles(None).await.unwrap().len(), 2);
    // Nor modify roles through the management routes.
    let res = app.delete(&format!("{ROLES_V1}/{globex_role}")).bearer(&w.ann).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn account_roles_need_the_role_permissions() {
    let w = world().await;
    let app = &w.app;
    let viewer = create_role(app, &w.vt, "viewer", None).await;
    app.seed_user("vic@acme.io", &w.acme, &[uuid(&viewer)]).await;
    let vic = app.user_token("vic@acme.io").await;
    for path in [ROLES_V2.to_owned(), format!("{ROLES_V2}/distinct-levels"), format!("{ROLES_V2}/distinct-tenants")] {
        assert_error(&app.get(&path).bearer(&vic).send().await, StatusCode::FORBIDDEN);
        assert_error(&app.get(&path).send().await, StatusCode::UNAUTHORIZED);
        assert_error(&app.get(&path).bearer("not-a-token").send().await, StatusCode::UNAUTHORIZED);
    }
    let body = json!({ "key": "x", "name": "X", "baseRoleId": w.admin_role, "permissionIds": [] });
    assert_error(&app.post(ROLES_V2).bearer(&vic).json(body.clone()).send().await, StatusCode::FORBIDDEN);
    assert_error(&app.post(ROLES_V2).json(body).send().await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.store.list_roles(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_list_is_paged_filtered_and_sorted() {
    let w = world().await;
    let app = &w.app;
    for (key, level) in [("b-role", 3), ("c-role", 1), ("d-role", 2)] {
        let res = app
            .post(ROLES_V1)
            .bearer(&w.vt)
            .json(json!([{ "key": key, "name": key.to_uppercase(), "level": level }]))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
    }
    create_role(app, &w.vt, "acme-role", Some(&w.acme)).await;

    let page = app.get(&format!("{ROLES_V2}?_limit=2&_offset=1&_sortBy=key")).bearer(&w.vt).send().await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(keys(&items(&page.body)), ["b-role", "c-role"]);
    assert_eq!(page.body["_metadata"], json!({ "totalItems": 5, "totalPages": 3 }));
    assert!(page.body["_links"]["next"].as_str().unwrap().contains("_offset=2"));
    assert!(page.body["_links"]["prev"].as_str().unwrap().contains("_offset=0"));
    let last = app.get(&format!("{ROLES_V2}?_limit=2&_offset=2")).bearer(&w.vt).send().await;
    assert_eq!(last.body["_links"]["next"], "");

    let by_level = app.get(&format!("{ROLES_V2}?_sortBy=level&_order=DESC")).bearer(&w.vt).send().await;
    let order: Vec<&str> =
        by_level.body["items"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(order, ["b-role", "d-role", "acme-role", "c-role", "admin"]);

    let levels = app.get(&format!("{ROLES_V2}?_levels=1&_levels=2")).bearer(&w.vt).send().await;
    assert_eq!(keys(&items(&levels.body)), ["acme-role", "c-role", "d-role"]);
    let filtered = app.get(&format!("{ROLES_V2}?_filter=D-R")).bearer(&w.vt).send().await;
    assert_eq!(keys(&items(&filtered.body)), ["d-role"]);
    let tenants = app.get(&format!("{ROLES_V2}?_tenantIds={}", w.acme)).bearer(&w.vt).send().await;
    assert_eq!(keys(&items(&tenants.body)), ["acme-role"]);
    let by_users = app.get(&format!("{ROLES_V2}?_sortBy=userTenants&_order=DESC&_limit=1")).bearer(&w.vt).send().await;
    assert_eq!(keys(&items(&by_users.body)), ["admin"]);

    for bad in ["_limit=0", "_limit=2001", "_limit=x", "_offset=-1", "_sortBy=color", "_order=UP", "_levels=high"] {
        let res = app.get(&format!("{ROLES_V2}?{bad}")).bearer(&w.vt).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn distinct_levels_and_tenants_follow_the_scope() {
    let w = world().await;
    let app = &w.app;
    let res = app
        .post(ROLES_V1)
        .bearer(&w.vt)
        .tenant(&w.globex)
        .json(json!([{ "key": "g", "name": "G", "level": 7 }]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    create_role(app, &w.vt, "a", Some(&w.acme)).await;

    let levels = app.get(&format!("{ROLES_V2}/distinct-levels")).bearer(&w.vt).send().await;
    assert_eq!(levels.status, StatusCode::OK, "{}", levels.text);
    assert_eq!(levels.body, json!([0, 1, 7]));
    let acme_levels = app.get(&format!("{ROLES_V2}/distinct-levels")).bearer(&w.ann).send().await;
    assert_eq!(acme_levels.body, json!([0, 1]));

    let mut all = vec![w.acme.clone(), w.globex.clone()];
    all.sort();
    let tenants = app.get(&format!("{ROLES_V2}/distinct-tenants")).bearer(&w.vt).send().await;
    assert_eq!(tenants.body, json!(all));
    let own = app.get(&format!("{ROLES_V2}/distinct-tenants")).bearer(&w.ann).send().await;
    assert_eq!(own.body, json!([w.acme]));
}
