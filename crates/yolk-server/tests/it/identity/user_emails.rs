//! A user's addresses (`users/emails/v1`) and the change of its login address (`users/v1/email/me`), with codes
//! read from the outbox.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, TestResponse, assert_error};

const EMAILS: &str = "/identity/resources/users/emails/v1";

/// The code in the newest email to `to` (the outbox is newest first).
async fn code_for(app: &TestApp, to: &str) -> String {
    let messages = app.store.outbox(Some(to), 50).await.unwrap();
    let message = messages.first().unwrap_or_else(|| panic!("no email to {to}"));
    let link = message.text.split_whitespace().find(|w| w.contains("code=")).expect("a link with a code");
    link.split("code=").nth(1).unwrap().to_owned()
}

async fn outbox_count(app: &TestApp, to: &str) -> usize {
    app.store.outbox(Some(to), 50).await.unwrap().len()
}

async fn own_emails(app: &TestApp, token: &str) -> TestResponse {
    let res = app.get(&format!("{EMAILS}/me")).bearer(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res
}

/// Add, prove with the emailed code (once), make primary: the login address changes, the former one is told and
/// stays a verified secondary address; the primary cannot be deleted, another one can.
#[tokio::test]
async fn an_added_address_is_proved_by_its_code_then_becomes_the_login_address() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;

    let res = app.post(EMAILS).bearer(&token).json(json!({"email": "Ann.Work@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["verified"], false);
    assert_eq!(res.body["isPrimary"], false);

    // Unverified: it cannot become primary.
    let primary = format!("{EMAILS}/me/primary");
    let res = app.post(&primary).bearer(&token).json(json!({"email": "ann.work@x.io"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    let code = code_for(&app, "Ann.Work@x.io").await;
    let verify = format!("{EMAILS}/verify");
    let wrong = app.post(&verify).bearer(&token).json(json!({"email": "ann.work@x.io", "code": "nope"})).send().await;
    assert_error(&wrong, StatusCode::BAD_REQUEST);
    let ok = app.post(&verify).bearer(&token).json(json!({"email": "ann.work@x.io", "code": code})).send().await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let again = app.post(&verify).bearer(&token).json(json!({"email": "ann.work@x.io", "code": code})).send().await;
    assert_error(&again, StatusCode::BAD_REQUEST);

    let res = app.post(&primary).bearer(&token).json(json!({"email": "ann.work@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.login("Ann.Work@x.io").await;
    let notice = app.store.outbox(Some("ann@x.io"), 10).await.unwrap();
    assert!(notice.iter().any(|m| m.text.contains("was changed")), "the former address is told");

    let emails = own_emails(&app, &token).await.body;
    let items = emails.as_array().unwrap();
    assert_eq!(items[0]["email"], "Ann.Work@x.io");
    assert_eq!(items[0]["isPrimary"], true);
    let former = items.iter().find(|e| e["email"] == "ann@x.io").expect("the former address stays");
    assert_eq!(former["verified"], true);

    let primary_id = items[0]["id"].as_str().unwrap();
    let res = app.delete(&format!("{EMAILS}/{primary_id}")).bearer(&token).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let former_id = former["id"].as_str().unwrap();
    let res = app.delete(&format!("{EMAILS}/{former_id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.delete(&format!("{EMAILS}/{former_id}")).bearer(&token).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{EMAILS}/not-a-uuid")).bearer(&token).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

/// Adding another account's address answers exactly as adding a free one (and emails the address, which only its
/// owner reads); proving it is then a conflict. A code dies after five wrong guesses.
#[tokio::test]
async fn adding_an_address_tells_nothing_about_other_accounts_and_codes_are_attempt_limited() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;

    let taken = app.post(EMAILS).bearer(&token).json(json!({"email": "bob@x.io"})).send().await;
    let free = app.post(EMAILS).bearer(&token).json(json!({"email": "free@x.io"})).send().await;
    assert_eq!((taken.status, free.status), (StatusCode::CREATED, StatusCode::CREATED));
    let keys = |b: &serde_json::Value| b.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&taken.body), keys(&free.body));
    assert_eq!(taken.body["verified"], free.body["verified"]);

    let verify = format!("{EMAILS}/verify");
    let code = code_for(&app, "bob@x.io").await;
    let res = app.post(&verify).bearer(&token).json(json!({"email": "bob@x.io", "code": code})).send().await;
    assert_error(&res, StatusCode::CONFLICT);

    let code = code_for(&app, "free@x.io").await;
    for _ in 0..5 {
        let res = app.post(&verify).bearer(&token).json(json!({"email": "free@x.io", "code": "wrong"})).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.post(&verify).bearer(&token).json(json!({"email": "free@x.io", "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    // Expired codes are refused.
    let res = app.post(EMAILS).bearer(&token).json(json!({"email": "late@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED);
    let code = code_for(&app, "late@x.io").await;
    app.clock.advance_secs(61 * 60);
    let res = app.post(&verify).bearer(&token).json(json!({"email": "late@x.io", "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    // Bad input.
    let res = app.post(EMAILS).bearer(&app.vendor_token().await).user("x").json(json!({"email": "nope"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(EMAILS).bearer(&token).json(json!({})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

/// Changing addresses with a user token needs a session started within the last ten minutes.
#[tokio::test]
async fn changing_an_address_needs_a_recent_sign_in() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    app.clock.advance_secs(11 * 60);
    let me_email = "/identity/resources/users/v1/email/me";
    for (path, body) in [
        (EMAILS.to_owned(), json!({"email": "new@x.io"})),
        (format!("{EMAILS}/me/primary"), json!({"email": "ann@x.io"})),
        (me_email.to_owned(), json!({"email": "new@x.io"})),
        ("/identity/resources/usernames/v1".to_owned(), json!({"username": "ann"})),
    ] {
        let res = app.post(&path).bearer(&token).json(body).send().await;
        assert_error(&res, StatusCode::FORBIDDEN);
        assert!(res.error().contains("Recent authentication"), "{path}: {}", res.text);
    }
    assert_eq!(outbox_count(&app, "new@x.io").await, 0);
    // A fresh sign-in may.
    let fresh = app.user_token("ann@x.io").await;
    let res = app.post(me_email).bearer(&fresh).json(json!({"email": "new@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

/// `users/v1/email/me`: a code to the new address; only its proof changes the login address, and the former
/// address is told. Asking for a taken address answers the same; its proof is a conflict.
#[tokio::test]
async fn an_email_change_takes_effect_only_with_the_new_addresss_code() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let path = "/identity/resources/users/v1/email/me";
    let verify = "/identity/resources/users/v1/email/me/verify";

    let taken = app.post(path).bearer(&token).json(json!({"email": "bob@x.io"})).send().await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    let code = code_for(&app, "bob@x.io").await;
    let res = app.post(verify).bearer(&token).json(json!({"email": "bob@x.io", "code": code})).send().await;
    assert_error(&res, StatusCode::CONFLICT);

    let res = app.post(path).bearer(&token).json(json!({"email": "ann.new@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(app.store.get_user(ann).await.unwrap().email, "ann@x.io", "nothing changes before the proof");
    let code = code_for(&app, "ann.new@x.io").await;
    let res = app.post(verify).bearer(&token).json(json!({"email": "ann.new@x.io", "code": "bad"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(verify).bearer(&token).json(json!({"email": "ann.new@x.io", "code": code})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.post(verify).bearer(&token).json(json!({"email": "ann.new@x.io", "code": code})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.get_user(ann).await.unwrap().email, "ann.new@x.io");
    app.login("ann.new@x.io").await;
    let notice = app.store.outbox(Some("ann@x.io"), 10).await.unwrap();
    assert!(notice.iter().any(|m| m.text.contains("ann.new@x.io")), "the former address is told");
    // The former address is free for someone else.
    app.seed_user("ann@x.io", &tenant, &[]).await;
}

/// The environment's routes: list (filters, tenant), add verified or pending, make primary, delete; unknown users
/// and addresses are 404; a user token is refused.
#[tokio::test]
async fn the_environment_manages_any_users_addresses() {
    let app = TestApp::new().await;
    let t1 = app.seed_tenant("t1").await;
    let t2 = app.seed_tenant("t2").await;
    let ann = app.seed_user("ann@x.io", &t1, &[]).await;
    app.seed_user("bob@x.io", &t2, &[]).await;
    let env = app.vendor_token().await;
    let vendor = format!("{EMAILS}/vendor/{ann}");

    let res = app.post(&vendor).bearer(&env).json(json!({"email": "ann2@x.io", "isVerified": true})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["verified"], true);
    let ann2 = res.body["id"].as_str().unwrap().to_owned();
    let res = app.post(&vendor).bearer(&env).json(json!({"email": "bob@x.io", "isVerified": true})).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let res = app.post(&vendor).bearer(&env).json(json!({"email": "ann3@x.io"})).send().await;
    assert_eq!(res.body["verified"], false);
    assert_eq!(outbox_count(&app, "ann3@x.io").await, 1, "a pending address gets its code");
    let unknown = format!("{EMAILS}/vendor/{}", uuid::Uuid::new_v4());
    let res = app.post(&unknown).bearer(&env).json(json!({"email": "z@x.io", "isVerified": true})).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);

    let res = app.get(&format!("{EMAILS}?userIds={ann}")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["_metadata"]["totalItems"], 3);
    let res = app.get(&format!("{EMAILS}?_email=BOB")).bearer(&env).send().await;
    assert_eq!(res.body["items"][0]["email"], "bob@x.io");
    let res = app.get(EMAILS).bearer(&env).tenant(&t2).send().await;
    assert_eq!(res.body["_metadata"]["totalItems"], 1);

    let res = app.post(&format!("{vendor}/primary")).bearer(&env).json(json!({"email": "ann3@x.io"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(&format!("{vendor}/primary")).bearer(&env).json(json!({"email": "ann2@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.store.get_user(ann).await.unwrap().email, "ann2@x.io");
    let res = app.delete(&format!("{vendor}/{ann2}")).bearer(&env).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.delete(&format!("{vendor}/{}", uuid::Uuid::new_v4())).bearer(&env).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);

    // The environment acting for the user needs no recent sign-in.
    app.clock.advance_secs(3600);
    let res = app.get(&format!("{EMAILS}/me")).bearer(&env).user(&ann.to_string()).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), 3);

    let token = app.user_token("bob@x.io").await;
    let res = app.get(EMAILS).bearer(&token).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.post(&vendor).bearer(&token).json(json!({"email": "q@x.io"})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

/// The user emails policy: with `allowEmailChange: false` a user cannot change its own login address (403, nothing
/// sent), while the environment still can; turned back on, it works.
#[tokio::test]
async fn the_user_emails_policy_governs_a_users_own_email_change() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    let policy = "/identity/resources/configurations/v1/user-emails-policy";
    assert_eq!(app.get(policy).bearer(&env).send().await.body, json!({"allowEmailChange": true}));
    let token = app.user_token("ann@x.io").await;
    assert_error(&app.get(policy).bearer(&token).send().await, StatusCode::UNAUTHORIZED);
    let off = app.post(policy).bearer(&env).json(json!({"allowEmailChange": false})).send().await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_error(
        &app.post(policy).bearer(&env).json(json!({"allowEmailChange": "no"})).send().await,
        StatusCode::BAD_REQUEST,
    );

    let path = "/identity/resources/users/v1/email/me";
    let res = app.post(path).bearer(&token).json(json!({"email": "ann.new@x.io"})).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(app.store.outbox(Some("ann.new@x.io"), 5).await.unwrap().is_empty(), "nothing sent");
    // The environment acting for the user is not bound by it.
    let res = app.post(path).bearer(&env).user(&ann.to_string()).json(json!({"email": "ann.new@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    app.post(policy).bearer(&env).json(json!({"allowEmailChange": true})).send().await;
    let res = app.post(path).bearer(&token).json(json!({"email": "ann.other@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
