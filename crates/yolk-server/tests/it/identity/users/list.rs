//! User lists: v3, the legacy v1 list, and the v3 role lookup.

use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_domain::UserId;

use super::{USERS_V1, USERS_V3};
use crate::support::{TestApp, assert_error};

fn emails(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect()
}

/// Tenant `a` with five users (u0..u4, created in that order) and tenant `b` with one.
async fn fixture(app: &TestApp) -> (String, String, Vec<UserId>) {
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let mut ids = Vec::new();
    for (i, name) in ["delta", "alpha", "echo", "bravo", "charlie"].iter().enumerate() {
        let id = app.seed_user(&format!("u{i}_{name}@a.io"), &a, &[]).await;
        ids.push(id);
    }
    app.seed_user("zed@b.io", &b, &[]).await;
    (a, b, ids)
}

#[tokio::test]
async fn v3_pages_by_page_index_with_metadata_and_links() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let (a, _, _) = fixture(&app).await;
    let mut seen = Vec::new();
    for page in 0..3 {
        let res = app.get(&format!("{USERS_V3}?_limit=2&_offset={page}")).bearer(&vendor).tenant(&a).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["_metadata"], json!({ "totalItems": 5, "totalPages": 3 }));
        assert_eq!(res.body["_links"]["first"], "?_limit=2&_offset=0");
        assert_eq!(res.body["_links"]["last"], "?_limit=2&_offset=2");
        let next = if page < 2 { format!("?_limit=2&_offset={}", page + 1) } else { String::new() };
        assert_eq!(res.body["_links"]["next"], next.as_str());
        let prev = if page > 0 { format!("?_limit=2&_offset={}", page - 1) } else { String::new() };
        assert_eq!(res.body["_links"]["prev"], prev.as_str());
        seen.extend(emails(&res.body));
    }
    assert_eq!(seen, ["u0_delta@a.io", "u1_alpha@a.io", "u2_echo@a.io", "u3_bravo@a.io", "u4_charlie@a.io"]);
    let user = &app.get(USERS_V3).bearer(&vendor).tenant(&a).send().await.body["items"][0];
    assert_eq!(user["tenantId"], a.as_str());
    assert!(user["tenants"].is_array() && user["createdAt"].is_string());
}

#[tokio::test]
async fn v3_filters_and_sorts() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let (a, _, ids) = fixture(&app).await;
    let get = |q: String| {
        let (app, vendor, a) = (&app, vendor.clone(), a.clone());
        async move {
            let res = app.get(&format!("{USERS_V3}?{q}")).bearer(&vendor).tenant(&a).send().await;
            assert_eq!(res.status, StatusCode::OK, "{q}: {}", res.text);
            emails(&res.body)
        }
    };
    assert_eq!(get("_email=U2_ECHO@a.io".into()).await, ["u2_echo@a.io"]);
    assert_eq!(get("_filter=ALPHA".into()).await, ["u1_alpha@a.io"]);
    // `_` is a literal, not a LIKE wildcard (as a wildcard, `u_` would match every user).
    assert_eq!(get("_filter=0_d".into()).await, ["u0_delta@a.io"]);
    assert!(get("_filter=u_".into()).await.is_empty());
    assert_eq!(get(format!("ids={},{}", ids[3], ids[1])).await, ["u1_alpha@a.io", "u3_bravo@a.io"]);
    assert_eq!(get(format!("ids={}&ids={}", ids[3], ids[1])).await, ["u1_alpha@a.io", "u3_bravo@a.io"]);
    assert_eq!(get("_namePrefix=user%20u4".into()).await, ["u4_charlie@a.io"]);
    assert_eq!(get("_identifier=u3&_identifierType=email".into()).await, ["u3_bravo@a.io"]);
    assert_eq!(
        get("_sortBy=email&_order=DESC&_limit=3".into()).await,
        ["u4_charlie@a.io", "u3_bravo@a.io", "u2_echo@a.io"]
    );
    // The environment without a tenant lists everyone.
    let res = app.get(USERS_V3).bearer(&vendor).send().await;
    assert_eq!(res.body["_metadata"]["totalItems"], 6);
    let a_only = app.get(&format!("{USERS_V3}?_tenantId={a}")).bearer(&vendor).send().await;
    assert_eq!(a_only.body["_metadata"]["totalItems"], 5);
}

#[tokio::test]
async fn v3_rejects_bad_parameters() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let (a, b, _) = fixture(&app).await;
    for q in [
        "_limit=abc",
        "_offset=-1",
        "_sortBy=bogus",
        "_order=sideways",
        "ids=nope",
        "_identifier=x",
        "_identifierType=email",
        "_identifier=x&_identifierType=shoe",
    ] {
        let res = app.get(&format!("{USERS_V3}?{q}")).bearer(&vendor).tenant(&a).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.get(&format!("{USERS_V3}?_tenantId={b}")).bearer(&vendor).tenant(&a).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    // One rule for every list: a page larger than the maximum is refused (not silently cut short).
    let res = app.get(&format!("{USERS_V3}?_limit=201")).bearer(&vendor).tenant(&a).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "_limit must be between 1 and 200");
    let res = app.get(&format!("{USERS_V3}?_limit=200")).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["_links"]["first"], "?_limit=200&_offset=0");
}

#[tokio::test]
async fn v3_for_a_tenant_user_lists_its_tenant_without_invisible_users() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let (a, b, ids) = fixture(&app).await;
    let (_, reader) = app.member_with("reader@a.io", &a, &["fe.secure.read.users"]).await;
    let (_, nobody) = app.member_with("nobody@a.io", &a, &[]).await;
    let res = app
        .put(&format!("{USERS_V1}/{}/invisible", ids[0]))
        .bearer(&vendor)
        .json(json!({ "invisible": true }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    app.add_member(ids[1], &b, &[]).await;
    let res = app.get(&format!("{USERS_V3}?_limit=50")).bearer(&reader).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    for user in res.body["items"].as_array().unwrap() {
        assert_eq!(user["tenantIds"], json!([a]), "{user}");
    }
    assert_eq!(res.body["_metadata"]["totalItems"], 6);
    assert!(!emails(&res.body).contains(&"u0_delta@a.io".to_owned()));
    assert!(!emails(&res.body).contains(&"zed@b.io".to_owned()));
    let res = app.get(USERS_V3).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.body["_metadata"]["totalItems"], 7);

    let res = app.get(&format!("{USERS_V3}?_tenantId={b}")).bearer(&reader).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.get(USERS_V3).bearer(&nobody).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.get(USERS_V3).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn legacy_v1_list_uses_a_page_index_offset() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let (a, _, _) = fixture(&app).await;
    let res = app.get(&format!("{USERS_V1}?_limit=2&_offset=1")).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(emails(&res.body), ["u2_echo@a.io", "u3_bravo@a.io"]);
    assert_eq!(res.body["_metadata"], json!({ "totalItems": 5, "totalPages": 3 }));
    // The one page type of every list: the legacy list carries `_links` too (its clients ignore them).
    assert_eq!(res.body["_links"]["next"], "?_limit=2&_offset=2");
    assert!(res.body["items"][0]["tenants"][0]["roles"].is_array());
    let res = app.get(&format!("{USERS_V1}?_limit=x")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(USERS_V1).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn v3_roles_returns_role_ids_of_members_of_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let r1 = app.seed_role("r1", None, false, &[]).await;
    let r2 = app.seed_role("r2", Some(&a), false, &[]).await;
    let ann = app.seed_user("ann@a.io", &a, &[r1, r2]).await;
    let bob = app.seed_user("bob@b.io", &b, &[r1]).await;
    let path = format!("{USERS_V3}/roles");

    let res = app.get(&format!("{path}?ids={ann},{bob}")).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let entries = res.body.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["userId"], ann.to_string());
    assert_eq!(entries[0]["tenantId"], a.as_str());
    let mut got: Vec<&str> = entries[0]["roleIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    got.sort_unstable();
    let mut want = [r1.to_string(), r2.to_string()];
    want.sort();
    assert_eq!(got, want);

    let res = app.get(&format!("{path}?ids={ann}&ids={bob}")).bearer(&vendor).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), 2);
    let (_, reader) = app.member_with("reader@b.io", &b, &["fe.secure.read.users"]).await;
    let res = app.get(&format!("{path}?ids={ann},{bob}")).bearer(&reader).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    assert_eq!(res.body[0]["userId"], bob.to_string());

    let res = app.get(&path).bearer(&vendor).tenant(&a).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(&format!("{path}?ids=nope")).bearer(&vendor).tenant(&a).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(&format!("{path}?ids={ann}")).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}
