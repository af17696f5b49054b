//! Invitations of existing accounts (`POST /users/v1` → pending membership + email, `users/v1/invitation/accept`),
//! and the account pre-takeover the acceptance defeats.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_domain::UserId;

use super::activation::{NEW_PASSWORD, link_in_outbox, login_with, outbox_count};
use crate::support::{PASSWORD, TestApp, TestResponse, assert_error, claims};

const ACCEPT: &str = "/identity/resources/users/v1/invitation/accept";
const INVITE_PAGE: &str = "/account/invitation/accept";

async fn invite(app: &TestApp, tenant: &str, email: &str, extra: Value) -> TestResponse {
    let vendor = app.vendor_token().await;
    let mut body = json!({"email": email});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let res = app.post("/identity/resources/users/v1").access_token(&vendor).tenant(tenant).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res
}

async fn accept(app: &TestApp, user_id: &str, token: &str) -> TestResponse {
    app.post(ACCEPT).json(json!({"userId": user_id, "token": token})).send().await
}

fn tenant_ids(login: &TestResponse) -> Vec<String> {
    let c = claims(login.body["accessToken"].as_str().unwrap());
    c["tenantIds"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect()
}

/// Inviting an existing account emails an invitation link; the membership grants nothing until the link is
/// accepted, then the user's token lists the tenant; the link works once.
#[tokio::test]
async fn an_invitation_of_an_existing_account_grants_access_only_after_acceptance() {
    let app = TestApp::new().await;
    let home = app.seed_tenant("home").await;
    let other = app.seed_tenant("other").await;
    let id = app.seed_user("ann@x.io", &home, &[]).await;

    invite(&app, &other, "Ann@X.io", json!({})).await;
    let (user_id, token, subject) = link_in_outbox(&app, "ann@x.io", INVITE_PAGE, 1).await;
    assert_eq!(user_id, id.to_string());
    assert_eq!(subject, "You are invited");
    assert_eq!(tenant_ids(&app.login("ann@x.io").await), [home.as_str()], "pending: not in the token");

    let res = accept(&app, &user_id, &token).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.text, "");
    let mut tenants = tenant_ids(&app.login("ann@x.io").await);
    tenants.sort();
    let mut expected = vec![home.clone(), other.clone()];
    expected.sort();
    assert_eq!(tenants, expected, "accepted: the tenant is the user's");
    // A verified account keeps its password.
    assert_eq!(login_with(&app, "ann@x.io", PASSWORD).await.status, StatusCode::OK);
    // Spent.
    assert_error(&accept(&app, &user_id, &token).await, StatusCode::BAD_REQUEST);
}

/// The pre-takeover attack: someone registers the victim's address (never proving it) and keeps a session, then
/// the victim is invited into a tenant. When the victim accepts, the registrant's password and sessions are gone,
/// the account is verified, and the victim sets its own password.
#[tokio::test]
async fn accepting_an_invitation_into_a_pre_registered_unverified_account_locks_out_the_registrant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .access_token(&vendor)
        .json(json!({"allowNotVerifiedUsersLogin": true}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    // The attacker signs up with the victim's address and holds a session.
    let body = json!({"email": "victim@x.io", "password": PASSWORD, "companyName": "Evil"});
    let res = app.post("/identity/resources/users/v1/signUp").json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let session = login_with(&app, "victim@x.io", PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    let refresh = session.body["refreshToken"].as_str().unwrap().to_owned();

    // The victim's employer invites the address; the victim reads the email and accepts.
    let corp = app.seed_tenant("corp").await;
    invite(&app, &corp, "victim@x.io", json!({})).await;
    let (user_id, token, _) = link_in_outbox(&app, "victim@x.io", INVITE_PAGE, 1).await;
    assert_eq!(accept(&app, &user_id, &token).await.status, StatusCode::CREATED);

    let user = app.store.get_user(UserId::parse(&user_id).unwrap()).await.unwrap();
    assert!(user.verified, "the mailbox owner proved the address");
    assert_error(&login_with(&app, "victim@x.io", PASSWORD).await, StatusCode::UNAUTHORIZED);
    let res =
        app.post("/identity/resources/auth/v1/user/token/refresh").json(json!({"refreshToken": refresh})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    // The victim chooses a password through "forgot password" and gets into the tenant.
    let res =
        app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": "victim@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED);
    let (_, reset, _) = link_in_outbox(&app, "victim@x.io", "/account/reset-password", 2).await;
    let verify = json!({"userId": user_id, "token": reset, "password": NEW_PASSWORD});
    let res = app.post("/identity/resources/users/v1/passwords/reset/verify").json(verify).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let login = login_with(&app, "victim@x.io", NEW_PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert!(tenant_ids(&login).contains(&corp));
}

/// Wrong tokens are 400s and counted (five kill the user's live invitations); unknown and malformed user ids,
/// missing fields and malformed JSON are 400s with `errors`; an expired invitation is refused.
#[tokio::test]
async fn wrong_invitation_tokens_are_refused_and_counted() {
    let app = TestApp::new().await;
    let home = app.seed_tenant("home").await;
    let other = app.seed_tenant("other").await;
    app.seed_user("ann@x.io", &home, &[]).await;
    invite(&app, &other, "ann@x.io", json!({})).await;
    let (user_id, token, _) = link_in_outbox(&app, "ann@x.io", INVITE_PAGE, 1).await;

    for body in [
        json!({"userId": UserId::new().to_string(), "token": token}),
        json!({"userId": "nope", "token": token}),
        json!({"userId": user_id}),
        json!({"token": token}),
        json!([]),
    ] {
        let res = app.post(ACCEPT).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_error(&app.post(ACCEPT).raw("{", "application/json").send().await, StatusCode::BAD_REQUEST);
    for i in 0..5 {
        let res = accept(&app, &user_id, &format!("guess-{i}")).await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(res.error(), "The invitation link is invalid or has expired");
    }
    assert_error(&accept(&app, &user_id, &token).await, StatusCode::BAD_REQUEST);
    assert_eq!(tenant_ids(&app.login("ann@x.io").await), [home.as_str()]);

    // A new invitation (inviting again is refused: already a member), expired after seven days.
    let third = app.seed_tenant("third").await;
    invite(&app, &third, "ann@x.io", json!({})).await;
    let (_, fresh, _) = link_in_outbox(&app, "ann@x.io", INVITE_PAGE, 2).await;
    app.clock.advance_secs(7 * 24 * 3600);
    assert_error(&accept(&app, &user_id, &fresh).await, StatusCode::BAD_REQUEST);
}

/// `skipInviteEmail` sends nothing; a new user invited by email gets an activation link, not an invitation.
#[tokio::test]
async fn skip_invite_email_sends_nothing_and_a_new_user_gets_an_activation_link() {
    let app = TestApp::new().await;
    let home = app.seed_tenant("home").await;
    let other = app.seed_tenant("other").await;
    app.seed_user("ann@x.io", &home, &[]).await;
    invite(&app, &other, "ann@x.io", json!({"skipInviteEmail": true})).await;
    invite(&app, &other, "new@x.io", json!({"skipInviteEmail": true})).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(outbox_count(&app, "ann@x.io").await, 0);
    assert_eq!(outbox_count(&app, "new@x.io").await, 0);

    invite(&app, &other, "fresh@x.io", json!({})).await;
    link_in_outbox(&app, "fresh@x.io", "/account/activate", 1).await;
}

/// A tenant admin re-sends a pending invitation: a new link, the old one dead. Only for a pending member of the
/// admin's own tenant; a member without `fe.secure.write.users` is refused.
#[tokio::test]
async fn a_pending_invitation_is_resent_with_a_new_link_by_the_tenant_only() {
    let app = TestApp::new().await;
    let home = app.seed_tenant("home").await;
    let other = app.seed_tenant("other").await;
    let (_, admin) = app.member_with("admin@x.io", &other, &["fe.secure.write.users"]).await;
    let (_, reader) = app.member_with("reader@x.io", &other, &["fe.secure.read.users"]).await;
    let (_, stranger) = app.member_with("stranger@x.io", &home, &["fe.secure.write.users"]).await;
    app.seed_user("ann@x.io", &home, &[]).await;
    invite(&app, &other, "ann@x.io", json!({})).await;
    let (user_id, old, _) = link_in_outbox(&app, "ann@x.io", INVITE_PAGE, 1).await;

    let reset = |token: String, email: &'static str| {
        let app = &app;
        async move {
            app.post("/identity/resources/users/v1/invitation/reset")
                .bearer(&token)
                .json(json!({"email": email}))
                .send()
                .await
        }
    };
    assert_error(&reset(reader.clone(), "ann@x.io").await, StatusCode::FORBIDDEN);
    assert_error(&reset(stranger.clone(), "ann@x.io").await, StatusCode::NOT_FOUND);
    assert_error(&reset(admin.clone(), "nobody@x.io").await, StatusCode::NOT_FOUND);
    assert_error(&reset(admin.clone(), "admin@x.io").await, StatusCode::NOT_FOUND);
    let res = reset(admin.clone(), "ann@x.io").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (_, new, _) = link_in_outbox(&app, "ann@x.io", INVITE_PAGE, 2).await;
    assert_ne!(old, new);
    assert_error(&accept(&app, &user_id, &old).await, StatusCode::BAD_REQUEST);
    assert_eq!(accept(&app, &user_id, &new).await.status, StatusCode::CREATED);
    assert_error(&reset(admin, "ann@x.io").await, StatusCode::NOT_FOUND);
}

/// The invitation configuration: tenant invitation links are reported on (the environment's
/// `allowTenantInvitations`, on by default; see `tenant_invites.rs` for off), emails on; a token is required.
#[tokio::test]
async fn the_invitation_configuration_reports_links_and_emails_on() {
    let app = TestApp::new().await;
    let path = "/identity/resources/tenants/invites/v1/configuration";
    let vendor = app.vendor_token().await;
    let res = app.get(path).access_token(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({"tenantInvitationsAllowed": true, "emailsEnabled": true}));
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("m@x.io", &tenant, &[]).await;
    let member = app.user_token("m@x.io").await;
    assert_eq!(app.get(path).bearer(&member).send().await.status, StatusCode::OK);
    assert_error(&app.get(path).send().await, StatusCode::UNAUTHORIZED);
}
