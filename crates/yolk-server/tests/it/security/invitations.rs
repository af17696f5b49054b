//! Item 1: account pre-takeover through invitations. An attacker signs up with a victim's email before the victim
//! does; a tenant admin then invites that email. The invitation must not let the attacker into the tenant.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, claims};

const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
const LOGIN: &str = "/identity/resources/auth/v1/user";
const ATTACKER_PASSWORD: &str = "Attack3r-pass!";

/// Signs up `email` with the attacker's password (no mailbox proof); answers the sign-up body.
async fn squat(app: &TestApp, email: &str) -> Value {
    let res = app
        .post(SIGN_UP)
        .json(json!({ "email": email, "password": ATTACKER_PASSWORD, "companyName": "Squat" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

/// The admin of `acme` invites `email` with `fe.secure.write.users`; answers the invite response.
async fn invite(app: &TestApp, tenant: &str, email: &str) -> Value {
    let (_, admin) = app.member_with("admin@acme.io", tenant, &["fe.secure.write.users"]).await;
    let res = app.post("/identity/resources/users/v1").bearer(&admin).json(json!({ "email": email })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

/// Frontegg's default: the squatter cannot log in at all (never proved the mailbox), before or after the invite.
#[tokio::test]
async fn by_default_an_unverified_squatter_cannot_log_in_before_or_after_the_invite() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    let signed = squat(&app, "victim@acme.io").await;
    assert_eq!(signed["shouldActivate"], true);
    let invited = invite(&app, &tenant, "victim@acme.io").await;
    assert_eq!(invited["activatedForTenant"], false, "{invited}");
    let res = app.post(LOGIN).json(json!({ "email": "victim@acme.io", "password": ATTACKER_PASSWORD })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

/// Even where unverified logins are allowed, an invitation of an existing account is pending: the attacker's
/// login, switch, tenant list and the environment's user context all refuse the invited tenant.
#[tokio::test]
async fn an_invite_of_an_existing_account_grants_no_access_until_accepted() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&vt)
        .json(json!({ "allowNotVerifiedUsersLogin": true }))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let tenant = app.seed_tenant("acme").await;
    let signed = squat(&app, "victim@acme.io").await;
    let user_id = signed["userId"].as_str().unwrap().to_owned();
    let invited = invite(&app, &tenant, "victim@acme.io").await;
    assert_eq!(invited["id"], user_id.as_str());
    assert_eq!(invited["activatedForTenant"], false);

    let res = app.post(LOGIN).json(json!({ "email": "victim@acme.io", "password": ATTACKER_PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let token = res.body["accessToken"].as_str().unwrap().to_owned();
    let c = claims(&token);
    assert_ne!(c["tenantId"], tenant.as_str());
    assert!(!c["tenantIds"].as_array().unwrap().iter().any(|t| t == tenant.as_str()), "{c}");
    let res =
        app.put("/identity/resources/users/v1/tenant").bearer(&token).json(json!({ "tenantId": tenant })).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    let res = app.get("/identity/resources/users/v2/me/tenants").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains(&tenant), "{}", res.text);
    // The attacker's token names its own tenant only: the acme user list stays closed to it.
    let res = app.get("/identity/resources/users/v3").bearer(&token).tenant(&tenant).send().await;
    assert!(!res.text.contains("admin@acme.io"), "{}", res.text);
    // An environment call on the user's behalf in acme is refused too.
    let res = app.get("/identity/resources/users/v2/me").bearer(&vt).tenant(&tenant).user(&user_id).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
}

/// The legitimate path still works: a new email invited gets an (unverified) account in the tenant at once, and
/// the environment's explicit add of an existing user grants access at once.
#[tokio::test]
async fn new_accounts_and_explicit_environment_adds_are_members_at_once() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let other = app.seed_tenant("other").await;
    let invited = invite(&app, &tenant, "new@acme.io").await;
    assert_eq!(invited["activatedForTenant"], true);
    let bob = app.seed_user("bob@other.io", &other, &[]).await;
    let res = app
        .post(&format!("/identity/resources/users/v1/{bob}/tenant"))
        .bearer(&vt)
        .json(json!({ "tenantId": tenant }))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let token = app.user_token("bob@other.io").await;
    assert!(claims(&token)["tenantIds"].as_array().unwrap().iter().any(|t| t == tenant.as_str()));
    let res =
        app.put("/identity/resources/users/v1/tenant").bearer(&token).json(json!({ "tenantId": tenant })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
