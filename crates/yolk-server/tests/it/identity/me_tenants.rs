//! identity.json "me": the caller's tenants (list, with the active one, hierarchy) and the tenant switch.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;
use yolk_domain::{Tenant, TenantId};

use super::me::{ME_V2, claims};
use crate::support::{TestApp, assert_error};

const TENANTS_V1: &str = "/identity/resources/users/v1/me/tenants";
const TENANTS_V2: &str = "/identity/resources/users/v2/me/tenants";
const TENANTS_V3: &str = "/identity/resources/users/v3/me/tenants";
const HIERARCHY: &str = "/identity/resources/users/v2/me/hierarchy";
const SWITCH: &str = "/identity/resources/users/v1/tenant";
const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";

/// A tenant under `parent`, with optional metadata.
async fn seed_child(app: &TestApp, name: &str, parent: Option<&str>, metadata: Option<&str>) -> String {
    let tenant = Tenant {
        metadata: metadata.map(str::to_owned),
        parent_tenant_id: parent.map(crate::support::tenant),
        ..Tenant::new(TenantId::generate(), name, chrono::Utc::now())
    };
    app.store.create_tenant(&tenant).await.expect("seed tenant").tenant_id.into_string()
}

fn tenant_ids(list: &Value) -> Vec<&str> {
    list.as_array().expect("array").iter().map(|t| t["tenantId"].as_str().expect("tenantId")).collect()
}

/// The fields every mobile SDK decodes from a tenant item, as strings (metadata included).
#[track_caller]
fn assert_item(t: &Value, tenant_id: &str, name: &str) {
    assert_eq!(t["tenantId"], tenant_id, "{t}");
    assert_eq!(t["name"], name, "{t}");
    assert!(t["id"].as_str().is_some_and(|id| Uuid::parse_str(id).is_ok()), "{t}");
    assert!(t["metadata"].is_string(), "{t}");
    assert!(t["createdAt"].is_string() && t["updatedAt"].is_string() && t["vendorId"].is_string(), "{t}");
    assert!(t["isReseller"].is_boolean(), "{t}");
}

#[tokio::test]
async fn tenants_v1_and_v3_list_the_callers_tenants_with_the_active_one() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = seed_child(&app, "globex", None, Some(r#"{"plan":"pro"}"#)).await;
    app.seed_tenant("not mine").await;
    let ann = app.seed_user("ann@acme.io", &acme, &[]).await;
    app.add_member(ann, &globex, &[]).await;
    let token = app.user_token("ann@acme.io").await;

    for path in [TENANTS_V1, TENANTS_V3, "/frontegg/identity/resources/users/v3/me/tenants"] {
        let res = app.get(path).bearer(&token).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        let mut ids = tenant_ids(&res.body["tenants"]);
        ids.sort_unstable();
        let mut expected = vec![acme.as_str(), globex.as_str()];
        expected.sort_unstable();
        assert_eq!(ids, expected);
        for t in res.body["tenants"].as_array().unwrap() {
            let name = if t["tenantId"] == acme { "acme" } else { "globex" };
            assert_item(t, t["tenantId"].as_str().unwrap(), name);
        }
        let g = res.body["tenants"].as_array().unwrap().iter().find(|t| t["tenantId"] == globex).unwrap();
        assert_eq!(g["metadata"], r#"{"plan":"pro"}"#);
        let a = res.body["tenants"].as_array().unwrap().iter().find(|t| t["tenantId"] == acme).unwrap();
        assert_eq!(a["metadata"], "{}");
        assert_item(&res.body["activeTenant"], &acme, "acme");
    }

    let res = app.get(TENANTS_V2).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 2);
    for t in res.body.as_array().unwrap() {
        assert!(t["tenantId"].is_string() && t["name"].is_string(), "{t}");
    }

    // The environment picks the tenant in context with the header.
    let env = app.vendor_token().await;
    let res = app.get(TENANTS_V3).bearer(&env).user(&ann.to_string()).tenant(&globex).send().await;
    assert_item(&res.body["activeTenant"], &globex, "globex");
}

#[tokio::test]
async fn disabled_memberships_are_not_offered() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = app.seed_tenant("globex").await;
    let ann = app.seed_user("ann@acme.io", &acme, &[]).await;
    app.add_member(ann, &globex, &[]).await;
    app.store.set_membership_disabled(ann, &crate::support::tenant(&globex), true, chrono::Utc::now()).await.unwrap();
    let token = app.user_token("ann@acme.io").await;

    let res = app.get(TENANTS_V3).bearer(&token).send().await;
    assert_eq!(tenant_ids(&res.body["tenants"]), [acme.as_str()]);
    let res = app.get(TENANTS_V2).bearer(&token).send().await;
    assert_eq!(tenant_ids(&res.body), [acme.as_str()]);
}

#[tokio::test]
async fn hierarchy_nests_the_callers_tenants_under_their_nearest_own_ancestor() {
    let app = TestApp::new().await;
    // root ─ mid ─ leaf; the caller belongs to root and leaf (not mid), and to a separate tenant.
    let root = seed_child(&app, "root", None, None).await;
    let mid = seed_child(&app, "mid", Some(&root), None).await;
    let leaf = seed_child(&app, "leaf", Some(&mid), None).await;
    let solo = seed_child(&app, "solo", None, None).await;
    let orphan = seed_child(&app, "orphan child", Some(&mid), None).await;
    let ann = app.seed_user("ann@acme.io", &root, &[]).await;
    app.add_member(ann, &leaf, &[]).await;
    app.add_member(ann, &solo, &[]).await;
    let token = app.user_token("ann@acme.io").await;

    let res = app.get(HIERARCHY).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut top = tenant_ids(&res.body["tenants"]);
    top.sort_unstable();
    let mut expected = vec![root.as_str(), solo.as_str()];
    expected.sort_unstable();
    assert_eq!(top, expected, "{}", res.text);
    let r = res.body["tenants"].as_array().unwrap().iter().find(|t| t["tenantId"] == root).unwrap();
    assert_item(r, &root, "root");
    assert_eq!(tenant_ids(&r["subTenants"]), [leaf.as_str()]);
    assert_item(&r["subTenants"][0], &leaf, "leaf");
    assert_eq!(r["subTenants"][0]["parentTenantId"], mid);
    assert_eq!(r["subTenants"][0]["subTenants"], json!([]));
    assert!(!res.text.contains(&orphan), "not a member of {orphan}: {}", res.text);
    assert_item(&res.body["activeTenant"], &root, "root");
}

#[tokio::test]
async fn switching_tenant_makes_the_next_refresh_issue_a_token_for_it() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = app.seed_tenant("globex").await;
    let admin = app.seed_role("admin", None, false, &[]).await;
    let viewer = app.seed_role("viewer", None, false, &[]).await;
    let ann = app.seed_user("ann@acme.io", &acme, &[admin]).await;
    app.add_member(ann, &globex, &[viewer]).await;
    let login = app.login("ann@acme.io").await;
    let token = login.body["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["tenantId"], acme);

    let res = app.put(SWITCH).bearer(&token).json(json!({ "tenantId": globex })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], ann.to_string());
    assert_eq!(res.body["tenantId"], globex);
    assert_eq!(res.body["roles"][0]["key"], "viewer");
    assert_eq!(
        app.store.get_user(ann).await.unwrap().active_tenant_id.as_ref().map(|t| t.as_str()),
        Some(globex.as_str())
    );

    let res = app.post(REFRESH).json(json!({ "refreshToken": login.body["refreshToken"] })).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    let fresh = res.body["accessToken"].as_str().unwrap().to_owned();
    let c = claims(&fresh);
    assert_eq!(c["tenantId"], globex);
    assert_eq!(c["roles"], json!(["viewer"]));

    let res = app.get(TENANTS_V3).bearer(&fresh).send().await;
    assert_item(&res.body["activeTenant"], &globex, "globex");
    let res = app.get(ME_V2).bearer(&fresh).send().await;
    assert_eq!(res.body["tenantId"], globex);

    // And back, by the environment on the user's behalf; a new login starts in the active tenant too.
    let env = app.vendor_token().await;
    let res = app
        .put(SWITCH)
        .bearer(&env)
        .user(&ann.to_string())
        .tenant(&globex)
        .json(json!({ "tenantId": acme }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], acme);
    let again = app.user_token("ann@acme.io").await;
    assert_eq!(claims(&again)["tenantId"], acme);
}

#[tokio::test]
async fn switching_to_a_tenant_that_is_not_the_callers_changes_nothing() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = app.seed_tenant("globex").await;
    let disabled = app.seed_tenant("disabled").await;
    let ann = app.seed_user("ann@acme.io", &acme, &[]).await;
    app.add_member(ann, &disabled, &[]).await;
    app.store.set_membership_disabled(ann, &crate::support::tenant(&disabled), true, chrono::Utc::now()).await.unwrap();
    let login = app.login("ann@acme.io").await;
    let token = login.body["accessToken"].as_str().unwrap();
    let before = app.store.get_user(ann).await.unwrap();

    for (body, status) in [
        (json!({ "tenantId": globex }), StatusCode::NOT_FOUND),
        (json!({ "tenantId": Uuid::new_v4().to_string() }), StatusCode::NOT_FOUND),
        (json!({ "tenantId": disabled }), StatusCode::FORBIDDEN),
        (json!({ "tenantId": "" }), StatusCode::BAD_REQUEST),
        (json!({ "tenantId": 5 }), StatusCode::BAD_REQUEST),
        (json!({ "tenantId": null }), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::BAD_REQUEST),
        (json!([]), StatusCode::BAD_REQUEST),
    ] {
        let res = app.put(SWITCH).bearer(token).json(body.clone()).send().await;
        assert_error(&res, status);
        assert_eq!(app.store.get_user(ann).await.unwrap(), before, "changed by {body}");
    }
    let res = app.put(SWITCH).bearer(token).raw("{", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.put(SWITCH).json(json!({ "tenantId": acme })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let env = app.vendor_token().await;
    let res = app.put(SWITCH).bearer(&env).json(json!({ "tenantId": acme })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.get_user(ann).await.unwrap(), before);

    // The session still refreshes into the original tenant.
    let res = app.post(REFRESH).json(json!({ "refreshToken": login.body["refreshToken"] })).send().await;
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["tenantId"], acme);
}
