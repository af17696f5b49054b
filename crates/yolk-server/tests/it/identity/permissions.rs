//! identity.json tags Permissions and Permissions categories (`/resources/permissions/v1...`).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::roles_support::{
    CATEGORIES, PERMISSIONS, create_permission, create_role, login_claims, set_permissions, uuid,
};
use crate::support::{TestApp, assert_error};

const CLASSIFY: &str = "/identity/resources/permissions/v1/classification";

fn permission_keys(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn permissions_are_created_listed_and_updated() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let category = app.post(CATEGORIES).bearer(&vt).json(json!({ "name": "Reports" })).send().await;
    assert_eq!(category.status, StatusCode::CREATED, "{}", category.text);
    let category_id = category.body["id"].as_str().unwrap();
    let res = app
        .post(PERMISSIONS)
        .bearer(&vt)
        .json(json!([
            { "key": "reports.read", "name": "Read reports", "description": "See them", "categoryId": category_id },
            { "key": "reports.write", "name": "Write reports", "assignmentType": "NEVER" },
        ]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let read = &res.body[0];
    assert!(uuid::Uuid::parse_str(read["id"].as_str().unwrap()).is_ok());
    assert_eq!(read["description"], "See them");
    assert_eq!(read["categoryId"], category_id);
    assert_eq!(read["roleIds"], json!([]));
    assert_eq!(read["fePermission"], false);
    assert_eq!(read["assignmentType"], "ASSIGNABLE");
    assert_eq!(res.body[1]["assignmentType"], "NEVER");
    assert_eq!(res.body[1]["categoryId"], "", "uncategorized: an empty string");

    let list = app.get(PERMISSIONS).access_token(&vt).send().await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(permission_keys(&list.body), ["reports.read", "reports.write"]);

    let id = read["id"].as_str().unwrap();
    let patched = app
        .patch(&format!("{PERMISSIONS}/{id}"))
        .bearer(&vt)
        .json(json!({ "name": "Read all reports", "categoryId": null }))
        .send()
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["name"], "Read all reports");
    assert_eq!(patched.body["key"], "reports.read");
    assert_eq!(patched.body["categoryId"], "", "uncategorized: an empty string");
    assert_eq!(patched.body["description"], "See them");
}

#[tokio::test]
async fn permission_routes_require_an_environment_token() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let perm = create_permission(&app, &vt, "reports.read").await;
    let role = create_role(&app, &vt, "admin", None).await;
    app.seed_user("ann@acme.io", &tenant, &[uuid(&role)]).await;
    let user = app.user_token("ann@acme.io").await;
    let routes = [
        (Method::GET, PERMISSIONS.to_owned()),
        (Method::POST, PERMISSIONS.to_owned()),
        (Method::PATCH, format!("{PERMISSIONS}/{perm}")),
        (Method::DELETE, format!("{PERMISSIONS}/{perm}")),
        (Method::PUT, format!("{PERMISSIONS}/{perm}/roles")),
        (Method::PUT, CLASSIFY.to_owned()),
        (Method::GET, CATEGORIES.to_owned()),
        (Method::POST, CATEGORIES.to_owned()),
        (Method::PATCH, format!("{CATEGORIES}/{}", uuid::Uuid::new_v4())),
        (Method::DELETE, format!("{CATEGORIES}/{}", uuid::Uuid::new_v4())),
    ];
    for (method, path) in routes {
        assert_error(&app.request(method.clone(), &path).json(json!({})).send().await, StatusCode::UNAUTHORIZED);
        let res = app.request(method.clone(), &path).bearer(&user).json(json!({})).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT", "{method} {path}");
    }
    assert_eq!(app.store.list_permissions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_or_duplicate_permissions_create_nothing() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    create_permission(&app, &vt, "reports.read").await;
    let missing_category = uuid::Uuid::new_v4();
    let cases = [
        (json!([]), StatusCode::BAD_REQUEST),
        (json!({ "key": "a", "name": "A" }), StatusCode::BAD_REQUEST),
        (json!([{ "name": "A" }]), StatusCode::BAD_REQUEST),
        (json!([{ "key": "a" }]), StatusCode::BAD_REQUEST),
        (json!([{ "key": "a", "name": "  " }]), StatusCode::BAD_REQUEST),
        (json!([{ "key": "a", "name": "A", "assignmentType": "SOMETIMES" }]), StatusCode::BAD_REQUEST),
        (json!([{ "key": "a", "name": "A", "categoryId": "nope" }]), StatusCode::BAD_REQUEST),
        (json!([{ "key": "a", "name": "A", "categoryId": missing_category }]), StatusCode::NOT_FOUND),
        (json!([{ "key": "a", "name": "A" }, { "key": "reports.read", "name": "R" }]), StatusCode::CONFLICT),
        (json!([{ "key": "b", "name": "B" }, { "key": "b", "name": "B" }]), StatusCode::CONFLICT),
    ];
    for (body, status) in cases {
        let res = app.post(PERMISSIONS).bearer(&vt).json(body.clone()).send().await;
        assert_error(&res, status);
    }
    let list = app.get(PERMISSIONS).bearer(&vt).send().await;
    assert_eq!(permission_keys(&list.body), ["reports.read"]);
}

#[tokio::test]
async fn patch_and_delete_of_unknown_or_clashing_permissions_change_nothing() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let read = create_permission(&app, &vt, "reports.read").await;
    create_permission(&app, &vt, "reports.write").await;
    let unknown = uuid::Uuid::new_v4();
    let cases = [
        (format!("{PERMISSIONS}/{read}"), json!({ "key": "reports.write" }), StatusCode::CONFLICT),
        (format!("{PERMISSIONS}/{read}"), json!({ "name": "" }), StatusCode::BAD_REQUEST),
        (format!("{PERMISSIONS}/{read}"), json!({ "categoryId": unknown }), StatusCode::NOT_FOUND),
        (format!("{PERMISSIONS}/{read}"), json!({ "key": 1 }), StatusCode::BAD_REQUEST),
        (format!("{PERMISSIONS}/{unknown}"), json!({ "name": "x" }), StatusCode::NOT_FOUND),
        (format!("{PERMISSIONS}/x"), json!({ "name": "x" }), StatusCode::BAD_REQUEST),
    ];
    for (path, body, status) in cases {
        assert_error(&app.patch(&path).bearer(&vt).json(body).send().await, status);
    }
    let p = app.store.get_permission(uuid(&read)).await.unwrap();
    assert_eq!((p.key.as_str(), p.name.as_str(), p.category_id), ("reports.read", "reports.read", None));
    assert_error(&app.delete(&format!("{PERMISSIONS}/{unknown}")).bearer(&vt).send().await, StatusCode::NOT_FOUND);
    assert_eq!(app.store.list_permissions().await.unwrap().len(), 2);
}

#[tokio::test]
async fn deleting_a_permission_removes_it_from_the_next_token() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let (read, write) =
        (create_permission(&app, &vt, "reports.read").await, create_permission(&app, &vt, "reports.write").await);
    let role = create_role(&app, &vt, "editor", None).await;
    set_permissions(&app, &vt, &role, &[&read, &write]).await;
    app.seed_user("ann@acme.io", &tenant, &[uuid(&role)]).await;

    let res = app.delete(&format!("{PERMISSIONS}/{write}")).bearer(&vt).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert!(res.text.is_empty());
    assert_eq!(login_claims(&app, "ann@acme.io").await["permissions"], json!(["reports.read"]));
    assert_eq!(app.store.get_role(uuid(&role)).await.unwrap().permission_ids, [uuid(&read)]);
}

#[tokio::test]
async fn adding_roles_to_a_permission_keeps_the_existing_ones() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let perm = create_permission(&app, &vt, "reports.read").await;
    let (admin, viewer) = (create_role(&app, &vt, "admin", None).await, create_role(&app, &vt, "viewer", None).await);
    app.seed_user("vic@acme.io", &tenant, &[uuid(&viewer)]).await;
    let path = format!("{PERMISSIONS}/{perm}/roles");

    let res = app.put(&path).bearer(&vt).json(json!({ "roleIds": [admin] })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["roleIds"], json!([admin]));
    assert_eq!(login_claims(&app, "vic@acme.io").await["permissions"], json!([]));
    let res = app.put(&path).bearer(&vt).json(json!({ "roleIds": [viewer, admin] })).send().await;
    let mut both = vec![admin.clone(), viewer.clone()];
    both.sort();
    assert_eq!(res.body["roleIds"], json!(both));
    assert_eq!(login_claims(&app, "vic@acme.io").await["permissions"], json!(["reports.read"]));

    let other = create_role(&app, &vt, "other", None).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for (body, status) in [
        (json!({ "roleIds": [other, unknown] }), StatusCode::NOT_FOUND),
        (json!({ "roleIds": ["bad"] }), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        assert_error(&app.put(&path).bearer(&vt).json(body).send().await, status);
    }
    let missing = app.put(&format!("{PERMISSIONS}/{unknown}/roles")).bearer(&vt).json(json!({ "roleIds": [admin] }));
    assert_error(&missing.send().await, StatusCode::NOT_FOUND);
    let p = app.store.get_permission(uuid(&perm)).await.unwrap();
    assert_eq!(p.role_ids.len(), 2);
}

#[tokio::test]
async fn classification_applies_to_all_or_none() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let (a, b) = (create_permission(&app, &vt, "a.read").await, create_permission(&app, &vt, "b.read").await);
    let res = app.put(CLASSIFY).bearer(&vt).json(json!({ "permissionIds": [a, b], "type": "NEVER" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 2);
    assert!(res.body.as_array().unwrap().iter().all(|p| p["assignmentType"] == "NEVER"));

    let unknown = uuid::Uuid::new_v4();
    for (body, status) in [
        (json!({ "permissionIds": [a, unknown], "type": "ALWAYS" }), StatusCode::NOT_FOUND),
        (json!({ "permissionIds": [a], "type": "MAYBE" }), StatusCode::BAD_REQUEST),
        (json!({ "permissionIds": [a] }), StatusCode::BAD_REQUEST),
        (json!({ "permissionIds": [], "type": "ALWAYS" }), StatusCode::BAD_REQUEST),
        (json!({ "permissionIds": ["x"], "type": "ALWAYS" }), StatusCode::BAD_REQUEST),
    ] {
        assert_error(&app.put(CLASSIFY).bearer(&vt).json(body).send().await, status);
    }
    let list = app.get(PERMISSIONS).bearer(&vt).send().await;
    assert!(list.body.as_array().unwrap().iter().all(|p| p["assignmentType"] == "NEVER"), "{}", list.text);
}

#[tokio::test]
async fn categories_hold_permissions_and_release_them_on_delete() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let chosen = uuid::Uuid::new_v4().to_string();
    let res = app
        .post(CATEGORIES)
        .bearer(&vt)
        .json(json!({ "id": chosen, "name": "Reports", "description": "Reporting" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["id"], chosen.as_str());
    assert_eq!(res.body["feCategory"], false);
    assert_eq!(res.body["description"], "Reporting");
    let perm = app
        .post(PERMISSIONS)
        .bearer(&vt)
        .json(json!([{ "key": "reports.read", "name": "Read", "categoryId": chosen }]))
        .send()
        .await;
    assert_eq!(perm.status, StatusCode::CREATED, "{}", perm.text);
    app.post(CATEGORIES).bearer(&vt).json(json!({ "name": "Empty" })).send().await;

    let list = app.get(CATEGORIES).bearer(&vt).send().await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    let reports = list.body.as_array().unwrap().iter().find(|c| c["id"] == chosen.as_str()).unwrap();
    assert_eq!(permission_keys(&reports["permissions"]), ["reports.read"]);
    let empty = list.body.as_array().unwrap().iter().find(|c| c["name"] == "Empty").unwrap();
    assert_eq!(empty["permissions"], json!([]));

    let patched =
        app.patch(&format!("{CATEGORIES}/{chosen}")).bearer(&vt).json(json!({ "name": "Reporting" })).send().await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(
        (patched.body["name"].as_str(), patched.body["description"].as_str()),
        (Some("Reporting"), Some("Reporting"))
    );

    let deleted = app.delete(&format!("{CATEGORIES}/{chosen}")).bearer(&vt).send().await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert!(deleted.text.is_empty());
    let perms = app.get(PERMISSIONS).bearer(&vt).send().await;
    assert_eq!(perms.body[0]["categoryId"], "", "uncategorized: an empty string");
    assert_eq!(app.get(CATEGORIES).bearer(&vt).send().await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_category_input_changes_nothing() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let res = app.post(CATEGORIES).bearer(&vt).json(json!({ "name": "Reports" })).send().await;
    let id = res.body["id"].as_str().unwrap().to_owned();
    for (body, status) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({ "name": "" }), StatusCode::BAD_REQUEST),
        (json!({ "name": "X", "id": "not-a-uuid" }), StatusCode::BAD_REQUEST),
        (json!({ "name": "X", "id": id }), StatusCode::CONFLICT),
        (json!({ "name": "X", "description": "d".repeat(2000) }), StatusCode::BAD_REQUEST),
    ] {
        assert_error(&app.post(CATEGORIES).bearer(&vt).json(body).send().await, status);
    }
    let unknown = uuid::Uuid::new_v4();
    for (path, body, status) in [
        (format!("{CATEGORIES}/{id}"), json!({ "name": "" }), StatusCode::BAD_REQUEST),
        (format!("{CATEGORIES}/{unknown}"), json!({ "name": "X" }), StatusCode::NOT_FOUND),
        (format!("{CATEGORIES}/nope"), json!({ "name": "X" }), StatusCode::BAD_REQUEST),
    ] {
        assert_error(&app.patch(&path).bearer(&vt).json(body).send().await, status);
    }
    assert_error(&app.delete(&format!("{CATEGORIES}/{unknown}")).bearer(&vt).send().await, StatusCode::NOT_FOUND);
    let list = app.get(CATEGORIES).bearer(&vt).send().await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["name"], "Reports");
}
