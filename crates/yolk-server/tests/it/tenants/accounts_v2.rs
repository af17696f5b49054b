//! tenants.json tag Accounts, v2: paginated listing, get, update, alias.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{create_tenant, read_tenant, tenant};
use crate::support::{TestApp, assert_error};

const V2: &str = "/tenants/resources/tenants/v2";

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|t| t["tenantId"].as_str().unwrap().to_owned()).collect()
}

/// Five tenants created one second apart: t0 (Zulu) .. t4 (Victor).
async fn five(app: &TestApp, vendor: &str) {
    for (i, name) in ["Zulu", "Yankee", "X-ray", "Whiskey", "Victor"].iter().enumerate() {
        create_tenant(app, vendor, json!({ "tenantId": format!("t{i}"), "name": name })).await;
        app.clock.advance_secs(1);
    }
}

#[tokio::test]
async fn list_pages_by_page_index_with_totals() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    five(&app, &vendor).await;
    let all = app.get(V2).bearer(&vendor).send().await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(ids(&all.body), ["t0", "t1", "t2", "t3", "t4"]);
    assert_eq!(all.body["_metadata"], json!({ "totalItems": 5, "totalPages": 1 }));
    assert_eq!(all.body["items"][0]["name"], "Zulu");

    let page = app.get(&format!("{V2}?_limit=2&_offset=1")).bearer(&vendor).send().await;
    assert_eq!(ids(&page.body), ["t2", "t3"]);
    assert_eq!(page.body["_metadata"], json!({ "totalItems": 5, "totalPages": 3 }));
    let last = app.get(&format!("{V2}?_limit=2&_offset=2")).bearer(&vendor).send().await;
    assert_eq!(ids(&last.body), ["t4"]);
    let past = app.get(&format!("{V2}?_limit=2&_offset=9")).bearer(&vendor).send().await;
    assert_eq!(ids(&past.body), Vec::<String>::new());
    assert_eq!(past.body["_metadata"]["totalItems"], 5);
}

#[tokio::test]
async fn list_filters_sorts_and_selects_ids() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    five(&app, &vendor).await;
    let get = |q: &'static str| {
        let app = &app;
        let vendor = vendor.clone();
        async move {
            let res = app.get(&format!("{V2}?{q}")).bearer(&vendor).send().await;
            assert_eq!(res.status, StatusCode::OK, "{q}: {}", res.text);
            ids(&res.body)
        }
    };
    assert_eq!(get("_filter=ANKE").await, ["t1"]);
    assert_eq!(get("_filter=t3").await, ["t3"]);
    // LIKE wildcards in the filter are literal characters.
    assert_eq!(get("_filter=%25").await, Vec::<String>::new());
    assert_eq!(get("_filter=_").await, Vec::<String>::new());
    assert_eq!(get("_sortBy=name").await, ["t4", "t3", "t2", "t1", "t0"]);
    assert_eq!(get("_sortBy=name&_order=DESC").await, ["t0", "t1", "t2", "t3", "t4"]);
    assert_eq!(get("_sortBy=tenantId&_order=desc").await, ["t4", "t3", "t2", "t1", "t0"]);
    assert_eq!(get("_sortBy=createdAt&_order=DESC&_limit=2").await, ["t4", "t3"]);
    assert_eq!(get("_tenantIds=t1&_tenantIds=t3").await, ["t1", "t3"]);
    assert_eq!(get("_tenantIds=t4,t0").await, ["t0", "t4"]);
    assert_eq!(get("_tenantIds=nope").await, Vec::<String>::new());
}

#[tokio::test]
async fn list_rejects_bad_paging_and_sorting() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    for q in ["_limit=0", "_limit=201", "_limit=abc", "_offset=-1", "_sortBy=email", "_order=up"] {
        let res = app.get(&format!("{V2}?{q}")).bearer(&vendor).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let max = app.get(&format!("{V2}?_limit=200")).bearer(&vendor).send().await;
    assert_eq!(max.status, StatusCode::OK);
}

#[tokio::test]
async fn get_returns_the_tenant_object_or_an_empty_array() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let created = tenant(&app, &vendor, "acme", None).await;
    let res = app.get(&format!("{V2}/acme")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, created);
    let unknown = app.get(&format!("{V2}/nope")).bearer(&vendor).send().await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body, json!([]));
}

#[tokio::test]
async fn update_sets_an_alias_that_is_unique_and_found_by_lookup() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    tenant(&app, &vendor, "acme", None).await;
    tenant(&app, &vendor, "beta", None).await;
    let res = app.put(&format!("{V2}/acme")).bearer(&vendor).json(json!({ "alias": "acme-login" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["alias"], "acme-login");
    let found = app.get(&format!("{V2}/alias/acme-login")).bearer(&vendor).send().await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["tenantId"], "acme");

    let clash = app
        .put(&format!("{V2}/beta"))
        .bearer(&vendor)
        .json(json!({ "alias": "acme-login", "name": "Beta 2" }))
        .send()
        .await;
    assert_error(&clash, StatusCode::CONFLICT);
    assert_eq!(clash.error(), "Tenant alias already in use");
    let beta = read_tenant(&app, &vendor, "beta").await;
    assert_eq!(beta["alias"], Value::Null);
    assert_eq!(beta["name"], "Tenant beta");

    for bad in [json!({ "alias": "has space" }), json!({ "alias": "" }), json!({ "alias": 3 })] {
        let res = app.put(&format!("{V2}/acme")).bearer(&vendor).json(bad).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(read_tenant(&app, &vendor, "acme").await["alias"], "acme-login");

    let cleared = app.put(&format!("{V2}/acme")).bearer(&vendor).json(json!({ "alias": null })).send().await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.body["alias"], Value::Null);
    let gone = app.get(&format!("{V2}/alias/acme-login")).bearer(&vendor).send().await;
    assert_error(&gone, StatusCode::NOT_FOUND);
    // The alias is free again.
    let reuse = app.put(&format!("{V2}/beta")).bearer(&vendor).json(json!({ "alias": "acme-login" })).send().await;
    assert_eq!(reuse.status, StatusCode::OK);
}

#[tokio::test]
async fn update_refuses_an_empty_body_and_an_unknown_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let before = tenant(&app, &vendor, "acme", None).await;
    let empty = app.put(&format!("{V2}/acme")).bearer(&vendor).json(json!({})).send().await;
    assert_error(&empty, StatusCode::BAD_REQUEST);
    assert_eq!(read_tenant(&app, &vendor, "acme").await, before);
    let unknown = app.put(&format!("{V2}/nope")).bearer(&vendor).json(json!({ "name": "X" })).send().await;
    assert_error(&unknown, StatusCode::NOT_FOUND);
    let changed =
        app.put(&format!("{V2}/acme")).bearer(&vendor).json(json!({ "dateFormat": "DD/MM/YYYY" })).send().await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(read_tenant(&app, &vendor, "acme").await["dateFormat"], "DD/MM/YYYY");
}
