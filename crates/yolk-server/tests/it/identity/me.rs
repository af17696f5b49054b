//! identity.json "me": the caller's profile, its update, its authorization, and who may call these.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::support::claims;
use crate::support::{TestApp, assert_error};

pub const ME_V2: &str = "/identity/resources/users/v2/me";
pub const ME_V3: &str = "/identity/resources/users/v3/me";
const AUTHORIZATION: &str = "/identity/resources/users/v1/me/authorization";

/// Every GET route of the module (profile, tenants, authorization).
const GET_ROUTES: [&str; 7] = [
    ME_V2,
    ME_V3,
    "/identity/resources/users/v1/me/tenants",
    "/identity/resources/users/v2/me/tenants",
    "/identity/resources/users/v3/me/tenants",
    "/identity/resources/users/v2/me/hierarchy",
    AUTHORIZATION,
];

fn keys(list: &Value) -> Vec<&str> {
    list.as_array().expect("array").iter().map(|v| v["key"].as_str().expect("key")).collect()
}

#[tokio::test]
async fn profile_is_the_callers_in_its_tenant_with_role_and_permission_objects() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    let read = app.seed_permission("reports.read").await;
    let write = app.seed_permission("fe.secure.write.users").await;
    let admin = app.seed_role("admin", None, false, &["reports.read", "fe.secure.write.users"]).await;
    let user_id = app.seed_user("ann@acme.io", &tenant, &[admin]).await;
    let token = app.user_token("ann@acme.io").await;

    for path in [ME_V2, "/frontegg/identity/resources/users/v2/me", ME_V3] {
        let res = app.get(path).bearer(&token).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        let b = &res.body;
        assert_eq!(b["id"], user_id.to_string());
        assert_eq!(b["sub"], user_id.to_string());
        assert_eq!(b["email"], "ann@acme.io");
        assert_eq!(b["name"], "User ann@acme.io");
        // iOS decodes these as non-optional strings.
        assert_eq!(b["profilePictureUrl"], "");
        assert_eq!(b["tenantId"], tenant);
        assert_eq!(b["tenantIds"], json!([tenant]));
        assert_eq!(b["verified"], true);
        assert_eq!(b["mfaEnrolled"], false);
        assert_eq!(b["activatedForTenant"], true);
        assert_eq!(b["provider"], "local");
        assert_eq!(b["subAccountAccessAllowed"], false);
        assert!(b["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{}", res.text);
        assert_eq!(keys(&b["roles"]), ["admin"]);
        assert_eq!(b["roles"][0]["id"], admin.to_string());
        let mut role_perms: Vec<&str> =
            b["roles"][0]["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        role_perms.sort_unstable();
        let mut expected = vec![read.to_string(), write.to_string()];
        expected.sort();
        assert_eq!(role_perms, expected);
        assert_eq!(keys(&b["permissions"]), ["fe.secure.write.users", "reports.read"]);
        let p = &b["permissions"][1];
        assert_eq!(p["id"], read.to_string());
        assert_eq!(p["name"], "Perm reports.read");
        assert_eq!(p["description"], "Allows reports.read");
        assert_eq!(p["categoryId"], "");
        assert_eq!(p["fePermission"], false);
        assert_eq!(p["roleIds"], json!([admin.to_string()]));
        assert_eq!(b["permissions"][0]["fePermission"], true);
        assert_eq!(b["tenants"][0]["tenantId"], tenant);
        assert_eq!(keys(&b["tenants"][0]["roles"]), ["admin"]);
    }
}

#[tokio::test]
async fn each_caller_gets_its_own_data() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = app.seed_tenant("globex").await;
    let admin = app.seed_role("admin", None, false, &[]).await;
    let ann = app.seed_user("ann@acme.io", &acme, &[admin]).await;
    let bob = app.seed_user("bob@globex.io", &globex, &[]).await;
    let ann_token = app.user_token("ann@acme.io").await;
    let bob_token = app.user_token("bob@globex.io").await;

    let res = app.get(ME_V2).bearer(&bob_token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], bob.to_string());
    assert_eq!(res.body["tenantId"], globex);
    assert_eq!(res.body["roles"], json!([]));
    let res = app.get(ME_V2).bearer(&ann_token).send().await;
    assert_eq!(res.body["id"], ann.to_string());
    assert_eq!(keys(&res.body["roles"]), ["admin"]);
    let res = app.get("/identity/resources/users/v2/me/tenants").bearer(&bob_token).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    assert_eq!(res.body[0]["tenantId"], globex);
    let res = app.get(AUTHORIZATION).bearer(&bob_token).send().await;
    assert_eq!(res.body, json!({ "roles": [], "permissions": [] }));
}

#[tokio::test]
async fn every_route_refuses_missing_bad_and_expired_tokens() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    app.clock.advance_secs(-600);
    let expired = app.user_token("ann@acme.io").await;
    app.clock.advance_secs(600);
    let valid = app.user_token("ann@acme.io").await;
    // Another user's id in the payload, under the original signature.
    let tampered = {
        use base64::Engine;
        let parts: Vec<&str> = valid.split('.').collect();
        let mut c = claims(&valid);
        c["sub"] = json!(Uuid::new_v4().to_string());
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string());
        format!("{}.{forged}.{}", parts[0], parts[2])
    };

    for path in GET_ROUTES {
        let res = app.get(path).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        for bad in ["garbage", "a.b.c", expired.as_str(), tampered.as_str()] {
            let res = app.get(path).bearer(bad).send().await;
            assert_error(&res, StatusCode::UNAUTHORIZED);
        }
    }
    let res = app.put(ME_V2).json(json!({ "name": "X" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.put(ME_V2).bearer(&expired).json(json!({ "name": "X" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app
        .put("/identity/resources/users/v1/tenant")
        .bearer("garbage")
        .json(json!({ "tenantId": tenant }))
        .send()
        .await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.get(ME_V2).bearer(&valid).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn an_environment_token_acts_for_the_user_it_names() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = app.seed_tenant("globex").await;
    let other = app.seed_tenant("other").await;
    let admin = app.seed_role("admin", None, false, &[]).await;
    let viewer = app.seed_role("viewer", None, false, &[]).await;
    let ann = app.seed_user("ann@acme.io", &acme, &[admin]).await;
    app.add_member(ann, &globex, &[viewer]).await;
    let env = app.vendor_token().await;

    for path in GET_ROUTES {
        let res = app.get(path).bearer(&env).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert!(res.error().contains("frontegg-user-id"), "{path}: {}", res.text);
        let res = app.get(path).bearer(&env).user(&ann.to_string()).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        let res = app.get(path).bearer(&env).user(&Uuid::new_v4().to_string()).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
        let res = app.get(path).bearer(&env).user(&ann.to_string()).tenant(&other).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    // The x-access-token spelling works too, and the tenant header picks the tenant in context.
    let res = app.get(ME_V2).access_token(&env).user(&ann.to_string()).tenant(&globex).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], ann.to_string());
    assert_eq!(res.body["tenantId"], globex);
    assert_eq!(keys(&res.body["roles"]), ["viewer"]);
    let res = app.get(AUTHORIZATION).bearer(&env).user(&ann.to_string()).tenant(&acme).send().await;
    assert_eq!(keys(&res.body["roles"]), ["admin"]);
    // A disabled membership cannot be acted in.
    app.store.set_membership_disabled(ann, &crate::support::tenant(&globex), true, chrono::Utc::now()).await.unwrap();
    let res = app.get(ME_V2).bearer(&env).user(&ann.to_string()).tenant(&globex).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn authorization_lists_roles_and_permissions_of_the_current_tenant_only() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("acme").await;
    let globex = app.seed_tenant("globex").await;
    let read = app.seed_permission("reports.read").await;
    let reader = app.seed_role("reader", None, false, &["reports.read"]).await;
    let writer = app.seed_role("writer", None, false, &["reports.read", "reports.write"]).await;
    let ann = app.seed_user("ann@acme.io", &acme, &[reader]).await;
    app.add_member(ann, &globex, &[writer]).await;
    let token = app.user_token("ann@acme.io").await;
    assert_eq!(claims(&token)["tenantId"], acme);

    let res = app.get(AUTHORIZATION).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(keys(&res.body["roles"]), ["reader"]);
    assert_eq!(res.body["roles"][0]["id"], reader.to_string());
    assert_eq!(keys(&res.body["permissions"]), ["reports.read"]);
    assert_eq!(res.body["permissions"][0]["id"], read.to_string());
    assert!(res.body["permissions"][0]["categoryId"].is_string());
    assert!(res.body["permissions"][0]["roleIds"].as_array().unwrap().contains(&json!(reader.to_string())));
    // The same keys as the token carries.
    assert_eq!(claims(&token)["permissions"], json!(["reports.read"]));
    let me = app.get(ME_V2).bearer(&token).send().await;
    assert_eq!(keys(&me.body["permissions"]), ["reports.read"]);

    let env = app.vendor_token().await;
    let res = app.get(AUTHORIZATION).bearer(&env).user(&ann.to_string()).tenant(&globex).send().await;
    assert_eq!(keys(&res.body["roles"]), ["writer"]);
    assert_eq!(keys(&res.body["permissions"]), ["reports.read", "reports.write"]);
}

#[tokio::test]
async fn update_changes_own_profile_fields_but_not_email_or_roles() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    let admin = app.seed_role("admin", None, false, &[]).await;
    let other_role = app.seed_role("owner", None, false, &[]).await;
    let ann = app.seed_user("ann@acme.io", &tenant, &[admin]).await;
    let token = app.user_token("ann@acme.io").await;

    let res = app
        .put(ME_V2)
        .bearer(&token)
        .json(json!({
            "name": "  Ann Smith ",
            "phoneNumber": "+14155552671",
            "profilePictureUrl": "https://img.example/ann.png",
            "metadata": { "theme": "dark" },
            "email": "evil@acme.io",
            "roleIds": [other_role.to_string()],
            "superUser": true
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["name"], "Ann Smith");
    assert_eq!(res.body["phoneNumber"], "+14155552671");
    assert_eq!(res.body["profilePictureUrl"], "https://img.example/ann.png");
    assert_eq!(res.body["metadata"], r#"{"theme":"dark"}"#);
    assert_eq!(res.body["email"], "ann@acme.io");
    assert_eq!(keys(&res.body["roles"]), ["admin"]);
    assert_eq!(res.body["superUser"], false);

    let stored = app.store.get_user(ann).await.unwrap();
    assert_eq!(stored.name.as_deref(), Some("Ann Smith"));
    assert_eq!(stored.phone_number.as_deref(), Some("+14155552671"));
    assert_eq!(stored.email, "ann@acme.io");
    assert!(!stored.super_user);
    let res = app.get(ME_V2).bearer(&token).send().await;
    assert_eq!(res.body["metadata"], r#"{"theme":"dark"}"#);

    // A JSON string works for metadata; null clears the optional fields; absent fields stay.
    let res = app
        .put(ME_V2)
        .bearer(&token)
        .json(json!({ "metadata": "{\"theme\":\"light\"}", "phoneNumber": null, "profilePictureUrl": null }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["metadata"], r#"{"theme":"light"}"#);
    assert_eq!(res.body["phoneNumber"], Value::Null);
    assert_eq!(res.body["profilePictureUrl"], "");
    assert_eq!(res.body["name"], "Ann Smith");
    let stored = app.store.get_user(ann).await.unwrap();
    assert_eq!(stored.phone_number, None);
    assert_eq!(stored.profile_picture_url, None);

    // The environment can update on the user's behalf.
    let env = app.vendor_token().await;
    let res = app.put(ME_V2).bearer(&env).user(&ann.to_string()).json(json!({ "name": "By Env" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.store.get_user(ann).await.unwrap().name.as_deref(), Some("By Env"));
}

#[tokio::test]
async fn bad_updates_are_400_and_change_nothing() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    let ann = app.seed_user("ann@acme.io", &tenant, &[]).await;
    let token = app.user_token("ann@acme.io").await;
    let before = app.store.get_user(ann).await.unwrap();

    let long_url = format!("https://img.example/{}", "a".repeat(4100));
    for body in [
        json!({ "name": "" }),
        json!({ "name": "   " }),
        json!({ "name": null }),
        json!({ "name": 5 }),
        json!({ "phoneNumber": "0541234567" }),
        json!({ "phoneNumber": "+1 415 555 2671" }),
        json!({ "phoneNumber": 14155552671u64 }),
        json!({ "profilePictureUrl": long_url }),
        json!({ "metadata": 42 }),
        json!({ "metadata": "not json" }),
        json!({ "name": "Valid", "metadata": [1, 2] }),
        json!([1, 2]),
        json!("name"),
    ] {
        let res = app.put(ME_V2).bearer(&token).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(app.store.get_user(ann).await.unwrap(), before, "changed by {body}");
    }
    let res = app.put(ME_V2).bearer(&token).raw("{\"name\":", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.put(ME_V2).bearer(&token).raw("name=x", "application/x-www-form-urlencoded").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.get_user(ann).await.unwrap(), before);
}
