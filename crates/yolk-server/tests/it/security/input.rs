//! Items 9 and 10: one normalization of emails, one set of validators for every path that writes a field.

use axum::http::StatusCode;
use serde_json::json;
use yolk_store::tenants::TenantQuery;

use crate::support::{PASSWORD, TestApp, assert_error};

const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
const LOGIN: &str = "/identity/resources/auth/v1/user";

/// `josé@…` with a precomposed `é` and with `e` + a combining accent are one address: the second sign-up is a
/// conflict, and either spelling logs in to the one account.
#[tokio::test]
async fn nfc_and_nfd_spellings_of_an_email_are_one_account() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let nfc = "jos\u{e9}@example.com";
    let nfd = "jose\u{301}@EXAMPLE.com";
    let res = app
        .post("/identity/resources/vendor-only/users/v1")
        .bearer(&vt)
        .json(json!({ "email": nfc, "password": PASSWORD, "tenantId": app.seed_tenant("acme").await }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let tenants_before = app.store.list_tenants(&TenantQuery::default()).await.unwrap().1;
    let res =
        app.post(SIGN_UP).json(json!({ "email": nfd, "password": "Passw0rd!", "companyName": "Evil" })).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    assert_eq!(app.store.list_tenants(&TenantQuery::default()).await.unwrap().1, tenants_before);
    // Lookups normalize too: the management lookup by email and the list filter find the account by either form.
    let res = app.get(&format!("/identity/resources/users/v1/email?email={}", urlencode(nfd))).bearer(&vt).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.get(&format!("/identity/resources/users/v3?_email={}", urlencode(nfd))).bearer(&vt).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["items"].as_array().map(Vec::len), Some(1), "{}", res.text);
    let res = app.post(LOGIN).json(json!({ "email": nfd, "password": PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every path that writes a user's profile applies the same rules: a blank name, a non-phone, a `javascript:`
/// picture, oversize metadata and control characters are refused, and nothing changes.
#[tokio::test]
async fn profile_writes_refuse_blank_names_bad_phones_script_urls_and_oversize_metadata() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let token = app.user_token("ann@acme.io").await;
    let vt = app.vendor_token().await;
    let big = json!({ "k": "x".repeat(9 * 1024) });
    let bad_fields = [
        json!({ "name": "" }),
        json!({ "name": "   " }),
        json!({ "name": "A\u{0}B" }),
        json!({ "phoneNumber": "call me" }),
        json!({ "profilePictureUrl": "javascript:alert(document.cookie)" }),
        json!({ "profilePictureUrl": "data:text/html;base64,PHNjcmlwdD4=" }),
        json!({ "metadata": big }),
    ];
    for body in &bad_fields {
        let res = app.put("/identity/resources/users/v1").bearer(&token).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        let res = app.put("/identity/resources/users/v2/me").bearer(&token).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        // The same fields on a new user (through the management API) are refused the same way.
        let mut create = json!({ "email": "new@acme.io", "password": PASSWORD });
        create.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
        let res = app.post("/identity/resources/users/v1").bearer(&vt).tenant(&tenant).json(create).send().await;
        if body.get("name").is_some_and(|n| n.as_str().is_some_and(|n| n.trim().is_empty())) {
            // A blank name on creation means "no name" (the field is optional there).
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            let id = res.body["id"].as_str().unwrap().to_owned();
            let res = app.delete(&format!("/identity/resources/users/v1/{id}")).bearer(&vt).send().await;
            assert!(res.status.is_success(), "{}", res.text);
        } else {
            assert_error(&res, StatusCode::BAD_REQUEST);
        }
    }
    let me = app.get("/identity/resources/users/v2/me").bearer(&token).send().await;
    assert_eq!(me.body["name"], "User ann@acme.io");
    assert!(me.body["profilePictureUrl"].is_null() || me.body["profilePictureUrl"] == "", "{}", me.text);
    assert!(app.store.get_user_by_email("new@acme.io").await.is_err());
}

/// Sign-up makes a local account: it cannot claim another provider (say `saml`, which would mark the account as
/// provisioned by an identity provider).
#[tokio::test]
async fn sign_up_refuses_a_provider_other_than_local() {
    let app = TestApp::new().await;
    let res = app
        .post(SIGN_UP)
        .json(json!({ "email": "a@b.io", "password": "Passw0rd!", "companyName": "C", "provider": "saml" }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.list_tenants(&TenantQuery::default()).await.unwrap().1, 0);
}

/// A NUL in a tenant name (stored on SQLite, an internal error on PostgreSQL before) is a 400 on both stores, as
/// are control characters in roles and oversize tenant metadata.
#[tokio::test]
async fn control_characters_and_oversize_metadata_are_refused_on_tenants_and_roles() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let res = app
        .post("/tenants/resources/tenants/v1")
        .bearer(&vt)
        .json(json!({ "tenantId": "t-nul", "name": "a\u{0}b" }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app
        .post("/tenants/resources/tenants/v1")
        .bearer(&vt)
        .json(json!({ "tenantId": "t-big", "name": "big", "metadata": { "k": "x".repeat(9 * 1024) } }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.list_tenants(&TenantQuery::default()).await.unwrap().1, 0);
    let tenant = app.seed_tenant("acme").await;
    let res = app
        .put(&format!("/tenants/resources/tenants/v1/{tenant}"))
        .bearer(&vt)
        .json(json!({ "name": "x\u{1b}[31m" }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app
        .post("/identity/resources/roles/v1")
        .bearer(&vt)
        .json(json!([{ "key": "k\u{0}", "name": "R" }]))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.get_tenant(&crate::support::tenant(&tenant)).await.unwrap().name, "acme");
}
