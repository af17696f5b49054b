//! tenants.json tag Sub-accounts and hierarchy.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{read_tenant, tenant};
use crate::support::{TestApp, assert_error};

const HIERARCHY: &str = "/tenants/resources/hierarchy/v1";
const READ: &str = "fe.account-hierarchy.read.subAccount";

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().expect("array").iter().map(|t| t["tenantId"].as_str().unwrap()).collect()
}

/// root ─┬─ a ── a1 ── a11
///       └─ b
/// other
/// (created one second apart, in this order: root, a, b, a1, a11, other)
async fn forest(app: &TestApp, vendor: &str) {
    for (id, parent) in
        [("root", None), ("a", Some("root")), ("b", Some("root")), ("a1", Some("a")), ("a11", Some("a1"))]
    {
        tenant(app, vendor, id, parent).await;
        app.clock.advance_secs(1);
    }
    tenant(app, vendor, "other", None).await;
}

#[tokio::test]
async fn sub_accounts_parents_and_tree_of_the_tenant_in_scope() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    forest(&app, &vendor).await;
    let subs = app.get(HIERARCHY).bearer(&vendor).tenant("root").send().await;
    assert_eq!(subs.status, StatusCode::OK, "{}", subs.text);
    assert_eq!(ids(&subs.body), ["a", "b", "a1", "a11"]);
    assert_eq!(subs.body[2]["parentTenantId"], "a");
    let leaf = app.get(HIERARCHY).bearer(&vendor).tenant("a11").send().await;
    assert_eq!(leaf.body, json!([]));

    let parents = app.get(&format!("{HIERARCHY}/parents")).bearer(&vendor).tenant("a11").send().await;
    assert_eq!(parents.status, StatusCode::OK);
    assert_eq!(ids(&parents.body), ["a1", "a", "root"]);
    let none = app.get(&format!("{HIERARCHY}/parents")).bearer(&vendor).tenant("root").send().await;
    assert_eq!(none.body, json!([]));

    let tree = app.get(&format!("{HIERARCHY}/tree")).bearer(&vendor).tenant("root").send().await;
    assert_eq!(tree.status, StatusCode::OK);
    let node =
        |id: &str, children: Value| json!({ "tenantId": id, "name": format!("Tenant {id}"), "children": children });
    let expected =
        node("root", json!([node("a", json!([node("a1", json!([node("a11", json!([]))]))])), node("b", json!([]))]));
    assert_eq!(tree.body, expected);
}

#[tokio::test]
async fn reading_needs_a_tenant_and_for_users_the_read_permission() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    forest(&app, &vendor).await;
    for p in ["", "/parents", "/tree"] {
        let path = format!("{HIERARCHY}{p}");
        assert_error(&app.get(&path).bearer(&vendor).send().await, StatusCode::BAD_REQUEST);
        assert_error(&app.get(&path).bearer(&vendor).tenant("nope").send().await, StatusCode::NOT_FOUND);
    }
    let plain = app.member_with("plain@a.io", "a", &[]).await.1;
    assert_error(&app.get(HIERARCHY).bearer(&plain).send().await, StatusCode::FORBIDDEN);
    let reader = app.member_with("reader@a.io", "a", &[READ]).await.1;
    let res = app.get(HIERARCHY).bearer(&reader).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(ids(&res.body), ["a1", "a11"]);
    let parents = app.get(&format!("{HIERARCHY}/parents")).bearer(&reader).send().await;
    assert_eq!(ids(&parents.body), ["root"]);
    let tree = app.get(&format!("{HIERARCHY}/tree")).bearer(&reader).send().await;
    assert_eq!(tree.body["tenantId"], "a");
    // The header cannot widen a user token to another tenant.
    assert_error(&app.get(HIERARCHY).bearer(&reader).tenant("root").send().await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn linking_places_a_root_tenant_under_a_parent() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    forest(&app, &vendor).await;
    let res = app
        .post(HIERARCHY)
        .bearer(&vendor)
        .json(json!({ "parentTenantId": "b", "childTenantId": "other" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], "other");
    assert_eq!(res.body["parentTenantId"], "b");
    assert_eq!(read_tenant(&app, &vendor, "other").await["parentTenantId"], "b");
    let subs = app.get(HIERARCHY).bearer(&vendor).tenant("root").send().await;
    assert!(ids(&subs.body).contains(&"other"));
    // Linking again to the same parent is a no-op.
    let again = app
        .post(HIERARCHY)
        .bearer(&vendor)
        .json(json!({ "parentTenantId": "b", "childTenantId": "other" }))
        .send()
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
}

#[tokio::test]
async fn linking_refuses_cycles_second_parents_and_bad_input() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    forest(&app, &vendor).await;
    let link = |parent: Value, child: Value| json!({ "parentTenantId": parent, "childTenantId": child });
    let cases = [
        (link(json!("a"), json!("a")), StatusCode::BAD_REQUEST),
        (json!({ "parentTenantId": "a" }), StatusCode::BAD_REQUEST),
        (json!({ "childTenantId": "a" }), StatusCode::BAD_REQUEST),
        (link(json!(1), json!("a")), StatusCode::BAD_REQUEST),
        // `a1` already has a parent.
        (link(json!("b"), json!("a1")), StatusCode::BAD_REQUEST),
        (link(json!("nope"), json!("other")), StatusCode::NOT_FOUND),
        (link(json!("root"), json!("nope")), StatusCode::NOT_FOUND),
    ];
    for (body, status) in cases {
        let res = app.post(HIERARCHY).bearer(&vendor).json(body.clone()).send().await;
        assert_error(&res, status);
    }
    assert_eq!(read_tenant(&app, &vendor, "a1").await["parentTenantId"], "a");
    assert_eq!(read_tenant(&app, &vendor, "other").await["parentTenantId"], Value::Null);

    // Detach `a` and try to put it under its own grandchild: a cycle.
    let detach = app
        .delete(HIERARCHY)
        .bearer(&vendor)
        .json(json!({ "parentTenantId": "root", "childTenantId": "a" }))
        .send()
        .await;
    assert_eq!(detach.status, StatusCode::OK);
    let cycle = app.post(HIERARCHY).bearer(&vendor).json(link(json!("a11"), json!("a"))).send().await;
    assert_error(&cycle, StatusCode::BAD_REQUEST);
    assert_eq!(read_tenant(&app, &vendor, "a").await["parentTenantId"], Value::Null);
    let tree = app.get(&format!("{HIERARCHY}/tree")).bearer(&vendor).tenant("a").send().await;
    assert_eq!(tree.status, StatusCode::OK);
}

#[tokio::test]
async fn unlinking_detaches_a_child_from_its_parent() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    forest(&app, &vendor).await;
    let body = |parent: &str, child: &str| json!({ "parentTenantId": parent, "childTenantId": child });
    let res = app.delete(HIERARCHY).bearer(&vendor).json(body("a", "a1")).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.text, "");
    assert_eq!(read_tenant(&app, &vendor, "a1").await["parentTenantId"], Value::Null);
    // Its own sub-accounts stay with it.
    assert_eq!(read_tenant(&app, &vendor, "a11").await["parentTenantId"], "a1");
    let subs = app.get(HIERARCHY).bearer(&vendor).tenant("root").send().await;
    assert_eq!(ids(&subs.body), ["a", "b"]);

    for (b, status) in [
        (body("root", "a11"), StatusCode::NOT_FOUND),
        (body("a", "a1"), StatusCode::NOT_FOUND),
        (body("root", "nope"), StatusCode::NOT_FOUND),
        (json!({ "parentTenantId": "root" }), StatusCode::BAD_REQUEST),
    ] {
        assert_error(&app.delete(HIERARCHY).bearer(&vendor).json(b).send().await, status);
    }
    assert_eq!(read_tenant(&app, &vendor, "a11").await["parentTenantId"], "a1");
    assert_eq!(read_tenant(&app, &vendor, "b").await["parentTenantId"], "root");
}

#[tokio::test]
async fn concurrent_opposite_links_cannot_form_a_cycle() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    for round in 0..5 {
        let (x, y) = (format!("x{round}"), format!("y{round}"));
        tenant(&app, &vendor, &x, None).await;
        tenant(&app, &vendor, &y, None).await;
        let link = |parent: &str, child: &str| {
            app.post(HIERARCHY).bearer(&vendor).json(json!({ "parentTenantId": parent, "childTenantId": child })).send()
        };
        let (first, second) = tokio::join!(link(&x, &y), link(&y, &x));
        let ok = [&first, &second].iter().filter(|r| r.status == StatusCode::CREATED).count();
        assert_eq!(ok, 1, "{} / {}", first.text, second.text);
        let tree = app.get(&format!("{HIERARCHY}/tree")).bearer(&vendor).tenant(&x).send().await;
        assert_eq!(tree.status, StatusCode::OK, "{}", tree.text);
    }
}
