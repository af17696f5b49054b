//! Tenant invitation links (`/tenants/invites/v1*`, sign-up with `invitationToken`), the activation and invitation
//! strategies, and the code variants of activation and invitation acceptance.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::activation::{link_in_outbox, outbox_count};
use crate::support::{PASSWORD, TestApp, TestResponse, assert_error, claims};

const INVITES: &str = "/identity/resources/tenants/invites/v1";
const USER_LINK: &str = "/identity/resources/tenants/invites/v1/user";
const VERIFY: &str = "/identity/resources/tenants/invites/v1/verify";
const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
const ACTIVATION_STRATEGY: &str = "/identity/resources/configurations/v1/activation/strategies";
const INVITATION_STRATEGY: &str = "/identity/resources/configurations/v1/invitation/strategies";

async fn create_link(app: &TestApp, body: Value) -> TestResponse {
    let vendor = app.vendor_token().await;
    app.post(INVITES).access_token(&vendor).json(body).send().await
}

async fn verify(app: &TestApp, token: &str) -> TestResponse {
    app.post(VERIFY).json(json!({"token": token})).send().await
}

async fn sign_up_with(app: &TestApp, email: &str, token: &str) -> TestResponse {
    let body = json!({"email": email, "password": PASSWORD, "invitationToken": token, "provider": "local"});
    app.post(SIGN_UP).json(body).send().await
}

/// The 6-digit code in the newest email to `to` (waiting until it has `count`).
async fn code_in_outbox(app: &TestApp, to: &str, count: usize) -> String {
    for _ in 0..500 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            let text = &messages[0].text;
            let code = text
                .split_whitespace()
                .map(|w| w.trim_end_matches('.'))
                .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()));
            return code.unwrap_or_else(|| panic!("a code in {text:?}")).to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no {count} message(s) to {to} in the outbox");
}

async fn set_vendor_config(app: &TestApp, body: Value) {
    let vendor = app.vendor_token().await;
    let res = app.post("/identity/resources/configurations/v1").access_token(&vendor).json(body).send().await;
    assert!(res.status.is_success(), "{}", res.text);
}

/// The environment makes a link into a tenant; `verify` answers the tenant; signing up with the link joins that
/// tenant instead of founding one; a deleted or expired link is refused everywhere; the configuration tells
/// whether links work (`allowTenantInvitations`).
#[tokio::test]
async fn an_environment_link_lets_a_new_user_join_its_tenant_until_deleted_or_expired() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("Acme").await;
    let vendor = app.vendor_token().await;

    let res = app.get("/identity/resources/tenants/invites/v1/configuration").access_token(&vendor).send().await;
    assert_eq!(res.body["tenantInvitationsAllowed"], true, "{}", res.text);

    // Bad input and callers.
    assert_error(&create_link(&app, json!({})).await, StatusCode::BAD_REQUEST);
    assert_error(&create_link(&app, json!({"tenantId": "missing"})).await, StatusCode::NOT_FOUND);
    let bad = json!({"tenantId": acme, "expiresInMinutes": 0});
    assert_error(&create_link(&app, bad).await, StatusCode::BAD_REQUEST);
    let res = app.post(INVITES).json(json!({"tenantId": acme})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_error(&app.get(&format!("{INVITES}/all")).send().await, StatusCode::UNAUTHORIZED);

    let res = create_link(&app, json!({"tenantId": acme, "expiresInMinutes": 60, "shouldSendEmail": false})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], acme.as_str());
    let token = res.body["token"].as_str().unwrap().to_owned();
    let id = res.body["id"].as_str().unwrap().to_owned();
    assert!(token.len() >= 43, "256 random bits");

    let all = app.get(&format!("{INVITES}/all")).access_token(&vendor).send().await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    assert_eq!(all.body[0]["token"], token.as_str());

    let res = verify(&app, &token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["tenantId"], acme.as_str());
    assert_eq!(res.body["name"], "Acme");
    assert_error(&verify(&app, "not-a-link").await, StatusCode::BAD_REQUEST);
    assert_error(&app.post(VERIFY).json(json!({})).send().await, StatusCode::BAD_REQUEST);

    // Sign-up with the link joins Acme (no companyName needed, no new tenant).
    let res = sign_up_with(&app, "new@x.io", &token).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tenantId"], acme.as_str());
    let joined = app.store.get_user_by_email("new@x.io").await.unwrap();
    let memberships = app.store.memberships(&[joined.id]).await.unwrap().remove(&joined.id).unwrap();
    let tenants: Vec<_> = memberships.iter().map(|m| m.tenant_id.as_str().to_owned()).collect();
    assert_eq!(tenants, [acme.as_str()], "joined Acme, founded nothing");
    assert!(!memberships[0].pending);
    // A bad link is refused (no fallback to founding a tenant).
    let res = sign_up_with(&app, "other@x.io", "nope").await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    // Deleted: refused.
    let res = app.delete(&format!("{INVITES}/token/{id}")).access_token(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.delete(&format!("{INVITES}/token/{id}")).access_token(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_error(&verify(&app, &token).await, StatusCode::BAD_REQUEST);
    assert_error(&sign_up_with(&app, "late@x.io", &token).await, StatusCode::BAD_REQUEST);

    // Expired: refused.
    let res = create_link(&app, json!({"tenantId": acme, "expiresInMinutes": 5})).await;
    let token = res.body["token"].as_str().unwrap().to_owned();
    assert_eq!(verify(&app, &token).await.status, StatusCode::OK);
    app.clock.advance_secs(6 * 60);
    assert_error(&verify(&app, &token).await, StatusCode::BAD_REQUEST);
    assert_error(&sign_up_with(&app, "late@x.io", &token).await, StatusCode::BAD_REQUEST);

    // Links off: the configuration says so, and links stop working.
    let res = create_link(&app, json!({"tenantId": acme})).await;
    let token = res.body["token"].as_str().unwrap().to_owned();
    set_vendor_config(&app, json!({"allowTenantInvitations": false})).await;
    let res = app.get("/identity/resources/tenants/invites/v1/configuration").access_token(&vendor).send().await;
    assert_eq!(res.body["tenantInvitationsAllowed"], false, "{}", res.text);
    assert_error(&verify(&app, &token).await, StatusCode::BAD_REQUEST);
    assert_error(&create_link(&app, json!({"tenantId": acme})).await, StatusCode::BAD_REQUEST);
}

/// A tenant admin's own link: `fe.secure.{read,write,delete}.tenantInvites`; one per member (a new one replaces
/// it); `v2` takes roles, which need `fe.secure.write.usersRoles`; the environment names the member in
/// `frontegg-user-id`.
#[tokio::test]
async fn a_members_own_link_needs_the_tenant_invites_permissions() {
    let app = TestApp::new().await;
    let acme = app.seed_tenant("Acme").await;
    let keys = ["fe.secure.read.tenantInvites", "fe.secure.write.tenantInvites", "fe.secure.delete.tenantInvites"];
    let (admin_id, admin) = app.member_with("admin@x.io", &acme, &keys).await;
    let (_, plain) = app.member_with("plain@x.io", &acme, &["fe.secure.read.users"]).await;

    assert_error(&app.get(USER_LINK).access_token(&plain).send().await, StatusCode::FORBIDDEN);
    let body = json!({"expiresInMinutes": 60, "shouldSendEmail": true});
    assert_error(&app.post(USER_LINK).access_token(&plain).json(body.clone()).send().await, StatusCode::FORBIDDEN);
    assert_error(&app.get(USER_LINK).access_token(&admin).send().await, StatusCode::NOT_FOUND);

    let res = app.post(USER_LINK).access_token(&admin).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["userId"], admin_id.to_string());
    assert_eq!(res.body["shouldSendEmail"], true);
    let first = res.body["token"].as_str().unwrap().to_owned();
    let res = app.get(USER_LINK).access_token(&admin).send().await;
    assert_eq!(res.body["token"], first.as_str(), "{}", res.text);

    let res = app.patch(USER_LINK).access_token(&admin).json(json!({"shouldSendEmail": false})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["shouldSendEmail"], false);
    assert_eq!(res.body["token"], first.as_str());

    // A new link replaces the old one.
    let res = app.post(USER_LINK).access_token(&admin).json(body.clone()).send().await;
    let second = res.body["token"].as_str().unwrap().to_owned();
    assert_error(&verify(&app, &first).await, StatusCode::BAD_REQUEST);
    assert_eq!(verify(&app, &second).await.status, StatusCode::OK);

    // v2 with roles: the admin cannot grant roles without fe.secure.write.usersRoles.
    let role = app.seed_role("joiner", Some(&acme), false, &[]).await;
    let v2 = json!({"expiresInMinutes": 60, "shouldSendEmail": false, "roleIds": [role.to_string()]});
    let res =
        app.post("/identity/resources/tenants/invites/v2/user").access_token(&admin).json(v2.clone()).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    // The environment may, naming the member.
    let vendor = app.vendor_token().await;
    let res = app
        .post("/identity/resources/tenants/invites/v2/user")
        .access_token(&vendor)
        .tenant(&acme)
        .user(&admin_id.to_string())
        .json(v2)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["roleIds"], json!([role.to_string()]));
    let third = res.body["token"].as_str().unwrap().to_owned();
    let res = sign_up_with(&app, "joiner@x.io", &third).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let joined = app.store.get_user_by_email("joiner@x.io").await.unwrap();
    let memberships = app.store.memberships(&[joined.id]).await.unwrap().remove(&joined.id).unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].tenant_id.as_str(), acme.as_str());
    assert_eq!(memberships[0].roles.iter().map(|r| r.id).collect::<Vec<_>>(), [role], "the link's roles");

    // The environment needs the member named.
    let res = app.get(USER_LINK).access_token(&vendor).tenant(&acme).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    assert_eq!(app.delete(USER_LINK).access_token(&admin).send().await.status, StatusCode::OK);
    assert_error(&app.get(USER_LINK).access_token(&admin).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.delete(USER_LINK).access_token(&admin).send().await, StatusCode::NOT_FOUND);
    assert_error(&verify(&app, &third).await, StatusCode::BAD_REQUEST);

    // A member's link works only while its owner is an active member of the tenant.
    let res = app.post(USER_LINK).access_token(&admin).json(body).send().await;
    let fourth = res.body["token"].as_str().unwrap().to_owned();
    assert_eq!(verify(&app, &fourth).await.status, StatusCode::OK);
    let acme_id = crate::support::tenant(&acme);
    app.store.remove_from_tenant(admin_id, &acme_id, chrono::Utc::now()).await.unwrap();
    assert_error(&verify(&app, &fourth).await, StatusCode::BAD_REQUEST);
    assert_error(&sign_up_with(&app, "late@x.io", &fourth).await, StatusCode::BAD_REQUEST);
}

/// With the `code` activation strategy the activation email carries a 6-digit code; `activate/code` needs the
/// link's token and the code; a wrong code is a 400 counted against the link (five kill it); a code works once.
#[tokio::test]
async fn the_code_activation_strategy_emails_a_code_that_activate_code_checks() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let res = app.get(ACTIVATION_STRATEGY).access_token(&vendor).send().await;
    assert_eq!(res.body, json!({"strategy": "link", "codeExpiration": 259200}), "{}", res.text);
    let bad = json!({"strategy": "code", "codeExpiration": 10});
    assert_error(&app.post(ACTIVATION_STRATEGY).access_token(&vendor).json(bad).send().await, StatusCode::BAD_REQUEST);
    let bad = json!({"strategy": "sms"});
    assert_error(&app.post(ACTIVATION_STRATEGY).access_token(&vendor).json(bad).send().await, StatusCode::BAD_REQUEST);
    assert_error(
        &app.post(ACTIVATION_STRATEGY).json(json!({"strategy": "code"})).send().await,
        StatusCode::UNAUTHORIZED,
    );
    let body = json!({"strategy": "code", "codeExpiration": 600});
    let res = app.post(ACTIVATION_STRATEGY).access_token(&vendor).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(ACTIVATION_STRATEGY).access_token(&vendor).send().await.body, body);

    let res =
        app.post(SIGN_UP).json(json!({"email": "ann@x.io", "password": PASSWORD, "companyName": "Acme"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let (user_id, token, subject) = link_in_outbox(&app, "ann@x.io", "/account/activate", 1).await;
    assert_eq!(subject, "Your activation code");
    let code = code_in_outbox(&app, "ann@x.io", 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    const CODE: &str = "/identity/resources/users/v1/activate/code";
    for body in [
        json!({"userId": user_id, "token": token}),
        json!({"userId": user_id, "code": code}),
        json!({"userId": "x", "token": token, "code": code}),
        json!({"userId": user_id, "token": "wrong", "code": code}),
        json!({"userId": user_id, "token": token, "code": wrong}),
    ] {
        assert_error(&app.post(CODE).json(body).send().await, StatusCode::BAD_REQUEST);
    }
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": code})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["accessToken"].is_string(), "{}", res.text);
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    // Five wrong codes kill a fresh link (the resend answers at once and sends in the background).
    let res =
        app.post(SIGN_UP).json(json!({"email": "bob@x.io", "password": PASSWORD, "companyName": "B"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let (user_id, token, _) = link_in_outbox(&app, "bob@x.io", "/account/activate", 1).await;
    let code = code_in_outbox(&app, "bob@x.io", 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": wrong})).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(outbox_count(&app, "bob@x.io").await, 1);

    // The code (and its link) expire after `codeExpiration` seconds.
    let res =
        app.post(SIGN_UP).json(json!({"email": "cat@x.io", "password": PASSWORD, "companyName": "C"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let (user_id, token, _) = link_in_outbox(&app, "cat@x.io", "/account/activate", 1).await;
    let code = code_in_outbox(&app, "cat@x.io", 1).await;
    app.clock.advance_secs(601);
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

/// With the `code` invitation strategy the invitation email carries a code; `invitation/accept/code` needs the
/// token and the code; `invitation/reset/all` re-sends every pending invitation of a user (environment only).
#[tokio::test]
async fn the_code_invitation_strategy_and_resetting_every_invitation() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let home = app.seed_tenant("home").await;
    let one = app.seed_tenant("one").await;
    let two = app.seed_tenant("two").await;
    app.seed_user("ann@x.io", &home, &[]).await;

    let res = app.get(INVITATION_STRATEGY).access_token(&vendor).send().await;
    assert_eq!(res.body, json!({"strategy": "link", "codeExpiration": 604800}), "{}", res.text);
    let body = json!({"strategy": "code", "codeExpiration": 3600});
    let res = app.post(INVITATION_STRATEGY).access_token(&vendor).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(INVITATION_STRATEGY).access_token(&vendor).send().await.body, body);

    for tenant in [&one, &two] {
        let res = app
            .post("/identity/resources/users/v1")
            .access_token(&vendor)
            .tenant(tenant)
            .json(json!({"email": "ann@x.io"}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    let (user_id, token, subject) = link_in_outbox(&app, "ann@x.io", "/account/invitation/accept", 2).await;
    assert_eq!(subject, "Your invitation code");
    let code = code_in_outbox(&app, "ann@x.io", 2).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    const CODE: &str = "/identity/resources/users/v1/invitation/accept/code";
    assert_error(
        &app.post(CODE).json(json!({"userId": user_id, "token": token})).send().await,
        StatusCode::BAD_REQUEST,
    );
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": wrong})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": code})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.post(CODE).json(json!({"userId": user_id, "token": token, "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let tenants = claims(app.login("ann@x.io").await.body["accessToken"].as_str().unwrap())["tenantIds"].clone();
    assert_eq!(tenants.as_array().unwrap().len(), 2, "home and the accepted one: {tenants}");

    // reset/all: one new email for the one invitation still pending.
    const RESET_ALL: &str = "/identity/resources/users/v1/invitation/reset/all";
    let before = outbox_count(&app, "ann@x.io").await;
    let res = app.post(RESET_ALL).json(json!({"email": "ann@x.io"})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.post(RESET_ALL).access_token(&vendor).tenant(&one).json(json!({"email": "ann@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(outbox_count(&app, "ann@x.io").await, before + 1);
    let res = app.post(RESET_ALL).access_token(&vendor).tenant(&one).json(json!({"email": "nobody@x.io"})).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_error(&app.post(RESET_ALL).access_token(&vendor).json(json!({})).send().await, StatusCode::BAD_REQUEST);
}
