//! A user's own phone numbers (`users/phone-numbers/v1`, tag SMS): added unverified, proved by a texted code read
//! from the outbox, deleted with one; the environment's lists (v1, v2).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, TestResponse, assert_error};

const PHONES: &str = "/identity/resources/users/phone-numbers/v1";
const PHONES_V2: &str = "/identity/resources/users/phone-numbers/v2";

/// The 6-digit code of the newest SMS to `to` (texts go to the number without its dashes).
async fn texted_code(app: &TestApp, to: &str) -> String {
    let messages = app.store.outbox(Some(&to.replace('-', "")), 50).await.unwrap();
    let text = &messages.first().unwrap_or_else(|| panic!("no SMS to {to}")).text;
    let word = text
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()));
    word.expect("a code").to_owned()
}

async fn texts_to(app: &TestApp, to: &str) -> usize {
    app.store.outbox(Some(&to.replace('-', "")), 50).await.unwrap().len()
}

async fn own(app: &TestApp, token: &str) -> Vec<Value> {
    let res = app.get(&format!("{PHONES}/me")).bearer(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body.as_array().unwrap().clone()
}

async fn add(app: &TestApp, token: &str, phone: &str) -> TestResponse {
    let res = app.post(PHONES).bearer(token).json(json!({ "phoneNumber": phone })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res
}

async fn verify(app: &TestApp, token: &str, otc: &Value, code: &str) -> TestResponse {
    app.post(&format!("{PHONES}/verify")).bearer(token).json(json!({ "otcToken": otc, "code": code })).send().await
}

/// Adds `phone` to the token's user and proves it.
async fn add_verified(app: &TestApp, token: &str, phone: &str) -> String {
    let res = add(app, token, phone).await;
    let code = texted_code(app, phone).await;
    let ok = verify(app, token, &res.body["otcToken"], &code).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    res.body["id"].as_str().unwrap().to_owned()
}

/// Added unverified (listed so, by the user and the environment), a code texted to it proves it once; then it is
/// verified for the user, the environment's lists and the environment's routes.
#[tokio::test]
async fn a_number_is_added_unverified_and_proved_once_by_its_texted_code() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let env = app.vendor_token().await;

    let res = add(&app, &token, "+1-415-555-0101").await;
    assert_eq!(res.body["verified"], false);
    assert_eq!(res.body["phoneNumber"], "+1-415-555-0101");
    let otc = res.body["otcToken"].clone();
    assert!(otc.as_str().is_some_and(|t| t.len() >= 32), "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let text = &app.store.outbox(Some("+14155550101"), 10).await.unwrap()[0].text;
    assert!(text.contains("verify your phone number"), "{text}");

    let mine = own(&app, &token).await;
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0]["id"].as_str(), &mine[0]["verified"]), (Some(id.as_str()), &json!(false)));
    assert_eq!(mine[0]["userId"], ann.to_string());
    let listed = app.get(&format!("{PHONES_V2}?userIds={ann}")).bearer(&env).send().await;
    assert_eq!(listed.body["items"][0]["verified"], false, "{}", listed.text);

    let code = texted_code(&app, "+1-415-555-0101").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = verify(&app, &token, &otc, wrong).await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "The code is invalid or has expired");
    assert_error(&verify(&app, &token, &json!("not-a-token"), &code).await, StatusCode::BAD_REQUEST);
    let ok = verify(&app, &token, &otc, &code).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_error(&verify(&app, &token, &otc, &code).await, StatusCode::BAD_REQUEST);

    let mine = own(&app, &token).await;
    assert_eq!((mine.len(), &mine[0]["verified"]), (1, &json!(true)));
    // Adding a number the user already holds (in any spelling) is a conflict, and texts nothing.
    let res = app.post(PHONES).bearer(&token).json(json!({"phoneNumber": "+14155550101"})).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    assert_eq!(texts_to(&app, "+14155550101").await, 1);
    // Also under /frontegg, and for the environment acting for the user.
    let me = app.get(&format!("/frontegg{PHONES}/me")).bearer(&env).user(&ann.to_string()).send().await;
    assert_eq!(me.body[0]["verified"], true, "{}", me.text);
    let listed = app.get(&format!("{PHONES}?_phoneNumber=%2B14155550101")).bearer(&env).send().await;
    assert_eq!(listed.body["_metadata"]["totalItems"], 1, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["verified"], true);
    // The environment's route sees it: adding it again is a conflict; removing it works.
    let vendor = format!("{PHONES}/vendor");
    let res =
        app.post(&format!("{vendor}/{ann}")).bearer(&env).json(json!({"phoneNumber": "+14155550101"})).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let res = app.delete(&format!("{vendor}/{ann}/{id}")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(own(&app, &token).await.is_empty());
}

/// A code dies after five wrong guesses, and after its ten minutes; adding the number again texts a new one.
#[tokio::test]
async fn a_code_dies_after_five_wrong_guesses_and_when_it_expires() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;

    let res = add(&app, &token, "+14155550102").await;
    let code = texted_code(&app, "+14155550102").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_error(&verify(&app, &token, &res.body["otcToken"], wrong).await, StatusCode::BAD_REQUEST);
    }
    assert_error(&verify(&app, &token, &res.body["otcToken"], &code).await, StatusCode::BAD_REQUEST);
    assert_eq!(own(&app, &token).await[0]["verified"], false);

    // Adding it again answers the same number with a new code.
    let again = add(&app, &token, "+14155550102").await;
    assert_eq!(again.body["id"], res.body["id"]);
    assert_eq!(texts_to(&app, "+14155550102").await, 2);
    let code = texted_code(&app, "+14155550102").await;
    app.clock.advance_secs(11 * 60);
    let fresh = app.user_token("ann@x.io").await;
    assert_error(&verify(&app, &fresh, &again.body["otcToken"], &code).await, StatusCode::BAD_REQUEST);
    assert_eq!(own(&app, &fresh).await[0]["verified"], false);
}

/// Adding a number another user holds answers exactly as adding a free one; its proof is then a 409 that changes
/// nothing. An unproved number blocks nobody.
#[tokio::test]
async fn a_number_another_user_holds_is_refused_at_its_proof() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let bob = app.seed_user("bob@x.io", &tenant, &[]).await;
    let ann_token = app.user_token("ann@x.io").await;
    let bob_token = app.user_token("bob@x.io").await;

    // Ann's unproved number does not stop Bob from proving it.
    add(&app, &ann_token, "+14155550103").await;
    add_verified(&app, &bob_token, "+1-415-555-0103").await;

    let taken = add(&app, &ann_token, "+14155550103").await;
    let free = add(&app, &ann_token, "+14155550104").await;
    let keys = |b: &Value| b.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&taken.body), keys(&free.body));
    assert_eq!(taken.body["verified"], free.body["verified"]);
    let code = texted_code(&app, "+14155550103").await;
    let res = verify(&app, &ann_token, &taken.body["otcToken"], &code).await;
    assert_error(&res, StatusCode::CONFLICT);
    assert!(own(&app, &ann_token).await.iter().all(|p| p["verified"] == false));

    // Pre-verified, the same.
    let pre = app.post(&format!("{PHONES}/preverify")).bearer(&ann_token).json(json!({"phoneNumber": "+14155550103"}));
    let pre = pre.send().await;
    assert_eq!(pre.status, StatusCode::OK, "{}", pre.text);
    let code = texted_code(&app, "+14155550103").await;
    assert_error(&verify(&app, &ann_token, &pre.body["otcToken"], &code).await, StatusCode::CONFLICT);

    let env = app.vendor_token().await;
    let listed = app.get(&format!("{PHONES_V2}?_phoneNumber=%2B14155550103&_sortBy=userId")).bearer(&env).send().await;
    let holders: Vec<_> = listed.body["items"].as_array().unwrap().iter().filter(|p| p["verified"] == true).collect();
    assert_eq!(holders.len(), 1, "{}", listed.text);
    assert_eq!(holders[0]["userId"], bob.to_string());
}

/// A pre-verification stores nothing but its code; the code adds the number, verified.
#[tokio::test]
async fn a_preverified_number_is_added_by_its_code() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let bob = app.user_token("bob@x.io").await;

    let pre = app.post(&format!("{PHONES}/preverify")).bearer(&token).json(json!({"phoneNumber": "+14155550105"}));
    let pre = pre.send().await;
    assert_eq!(pre.status, StatusCode::OK, "{}", pre.text);
    assert!(own(&app, &token).await.is_empty());
    let code = texted_code(&app, "+14155550105").await;
    // Another user cannot use Ann's code.
    assert_error(&verify(&app, &bob, &pre.body["otcToken"], &code).await, StatusCode::BAD_REQUEST);
    let ok = verify(&app, &token, &pre.body["otcToken"], &code).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let mine = own(&app, &token).await;
    assert_eq!((mine.len(), &mine[0]["phoneNumber"], &mine[0]["verified"]), (1, &json!("+14155550105"), &json!(true)));
    assert!(own(&app, &bob).await.is_empty());
}

/// Deleting a verified number takes the code texted to it; only its owner can; an unverified one goes at once.
#[tokio::test]
async fn deleting_a_verified_number_needs_the_code_texted_to_it() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let bob = app.user_token("bob@x.io").await;
    let id = add_verified(&app, &token, "+14155550106").await;
    let other = add_verified(&app, &token, "+14155550107").await;

    // Bob cannot touch Ann's number, nor learn it exists.
    let res = app.delete(&format!("{PHONES}/{id}")).bearer(&bob).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    assert_eq!(texts_to(&app, "+14155550106").await, 1, "no code texted for Bob");

    let res = app.delete(&format!("{PHONES}/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let otc = res.body["otcToken"].clone();
    assert!(otc.is_string(), "{}", res.text);
    assert_eq!(own(&app, &token).await.len(), 2, "nothing is deleted before the code");
    let code = texted_code(&app, "+14155550106").await;
    let confirm = |path_id: &str, code: &str| {
        let path = format!("{PHONES}/{path_id}/delete/verify");
        app.post(&path).json(json!({"otcToken": otc, "code": code}))
    };
    assert_error(&confirm(&id, &code).bearer(&bob).send().await, StatusCode::NOT_FOUND);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_error(&confirm(&id, wrong).bearer(&token).send().await, StatusCode::BAD_REQUEST);
    // The code deletes the number it was texted for, not another one.
    assert_error(&confirm(&other, &code).bearer(&token).send().await, StatusCode::BAD_REQUEST);
    // A verification code is not a deletion code.
    let pending = add(&app, &token, "+14155550108").await;
    let add_code = texted_code(&app, "+14155550108").await;
    let body = json!({"otcToken": pending.body["otcToken"], "code": add_code});
    let res = app.post(&format!("{PHONES}/{id}/delete/verify")).bearer(&token).json(body).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = confirm(&id, &code).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mine = own(&app, &token).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|p| p["id"] != id.as_str()));
    assert_error(&confirm(&id, &code).bearer(&token).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.delete(&format!("{PHONES}/{id}")).bearer(&token).send().await, StatusCode::NOT_FOUND);

    // An unverified number goes at once, without a text.
    let pending = pending.body["id"].as_str().unwrap().to_owned();
    let res = app.delete(&format!("{PHONES}/{pending}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({}));
    assert_eq!(texts_to(&app, "+14155550108").await, 1);
    assert_eq!(own(&app, &token).await.len(), 1);
}

/// Adding or deleting a number with a user token needs a sign-in within ten minutes; the environment acting for
/// the user is not asked, and its `verify: false` adds the number verified (a user's adds it unverified, silently).
#[tokio::test]
async fn changing_numbers_needs_a_recent_sign_in_and_verify_false_is_the_environments() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let id = add_verified(&app, &token, "+14155550109").await;
    app.clock.advance_secs(11 * 60);

    let res = app.post(PHONES).bearer(&token).json(json!({"phoneNumber": "+14155550110"})).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(res.error().contains("Recent authentication"), "{}", res.text);
    let res = app.post(&format!("{PHONES}/preverify")).bearer(&token).json(json!({"phoneNumber": "+14155550110"}));
    assert_error(&res.send().await, StatusCode::FORBIDDEN);
    assert_error(&app.delete(&format!("{PHONES}/{id}")).bearer(&token).send().await, StatusCode::FORBIDDEN);
    assert_eq!(texts_to(&app, "+14155550110").await, 0);
    assert_eq!(texts_to(&app, "+14155550109").await, 1);

    let fresh = app.user_token("ann@x.io").await;
    let res =
        app.post(PHONES).bearer(&fresh).json(json!({"phoneNumber": "+14155550110", "verify": false})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!((&res.body["verified"], res.body.get("otcToken")), (&json!(false), None));
    assert_eq!(texts_to(&app, "+14155550110").await, 0);

    let env = app.vendor_token().await;
    let body = json!({"phoneNumber": "+14155550111", "verify": false});
    let res = app.post(PHONES).bearer(&env).user(&ann.to_string()).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["verified"], true);
    // And a number it makes verified is held: nobody else can prove it.
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let bob = app.user_token("bob@x.io").await;
    let taken = add(&app, &bob, "+14155550111").await;
    let code = texted_code(&app, "+14155550111").await;
    assert_error(&verify(&app, &bob, &taken.body["otcToken"], &code).await, StatusCode::CONFLICT);
    // Deletion for the user through the environment also goes by the code.
    let res = app.delete(&format!("{PHONES}/{id}")).bearer(&env).user(&ann.to_string()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["otcToken"].is_string());
}

/// The environment's lists: by user or number, either order, paged, narrowed by number (any spelling) and users
/// (v2); a user token is refused; bad parameters are 400s.
#[tokio::test]
async fn the_environment_lists_every_users_numbers() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let ann = app.seed_user("ann@x.io", &tenant, &[]).await;
    let bob = app.seed_user("bob@x.io", &tenant, &[]).await;
    let ann_token = app.user_token("ann@x.io").await;
    let bob_token = app.user_token("bob@x.io").await;
    add_verified(&app, &ann_token, "+14155550203").await;
    add(&app, &ann_token, "+14155550201").await;
    add_verified(&app, &bob_token, "+14155550202").await;
    let env = app.vendor_token().await;

    let res = app.get(&format!("{PHONES}?_sortBy=phoneNumber&_limit=2")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let numbers = |r: &TestResponse| -> Vec<String> {
        r.body["items"].as_array().unwrap().iter().map(|p| p["phoneNumber"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(numbers(&res), ["+14155550201", "+14155550202"]);
    assert_eq!(res.body["_metadata"], json!({"totalItems": 3, "totalPages": 2}));
    let next = res.body["_links"]["next"].as_str().unwrap().to_owned();
    let res = app.get(&format!("{PHONES}{next}")).bearer(&env).send().await;
    assert_eq!(numbers(&res), ["+14155550203"]);
    let res = app.get(&format!("{PHONES_V2}?_sortBy=phoneNumber&_order=DESC")).bearer(&env).send().await;
    assert_eq!(numbers(&res), ["+14155550203", "+14155550202", "+14155550201"]);

    let res = app.get(&format!("{PHONES_V2}?userIds={bob}")).bearer(&env).send().await;
    assert_eq!(numbers(&res), ["+14155550202"]);
    let res = app.get(&format!("{PHONES_V2}?userIds={ann},{bob}&_sortBy=userId")).bearer(&env).send().await;
    assert_eq!(res.body["_metadata"]["totalItems"], 3);
    let users: Vec<_> = res.body["items"].as_array().unwrap().iter().map(|p| p["userId"].clone()).collect();
    assert!(users.windows(2).all(|w| w[0].as_str() <= w[1].as_str()), "{users:?}");
    let res = app.get(&format!("{PHONES_V2}?_phoneNumber=%2B1-415-555-0201")).bearer(&env).send().await;
    assert_eq!((numbers(&res), &res.body["items"][0]["verified"]), (vec!["+14155550201".to_owned()], &json!(false)));

    // Only the environment lists.
    let res = app.get(PHONES).bearer(&ann_token).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_error(&app.get(PHONES_V2).send().await, StatusCode::UNAUTHORIZED);
    for bad in [
        format!("{PHONES}?_limit=201"),
        format!("{PHONES_V2}?_limit=251"),
        format!("{PHONES_V2}?_limit=0"),
        format!("{PHONES}?_sortBy=createdAt"),
        format!("{PHONES}?_order=UP"),
        format!("{PHONES}?_offset=-1"),
        format!("{PHONES_V2}?userIds=not-a-uuid"),
    ] {
        assert_error(&app.get(&bad).bearer(&env).send().await, StatusCode::BAD_REQUEST);
    }
    let res = app.get(&format!("{PHONES_V2}?_limit=250")).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

/// Client mistakes are 4xx with `{"errors": [...]}` and change nothing (no number, no text).
#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let id = add_verified(&app, &token, "+14155550301").await;

    for body in [
        json!({}),
        json!({"phoneNumber": 14155550302_u64}),
        json!({"phoneNumber": "14155550302"}),
        json!({"phoneNumber": "+0123456789"}),
        json!({"phoneNumber": "+1415555030a"}),
    ] {
        let res = app.post(PHONES).bearer(&token).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        let res = app.post(&format!("{PHONES}/preverify")).bearer(&token).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res =
        app.post(PHONES).bearer(&token).json(json!({"phoneNumber": "+14155550302", "verify": "yes"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(PHONES).bearer(&token).raw("{\"phoneNumber\": ", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    for body in [json!({}), json!({"otcToken": "x"}), json!({"code": "123456"}), json!({"otcToken": 1, "code": 2})] {
        let res = app.post(&format!("{PHONES}/verify")).bearer(&token).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        let res = app.post(&format!("{PHONES}/{id}/delete/verify")).bearer(&token).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_error(&app.delete(&format!("{PHONES}/not-a-uuid")).bearer(&token).send().await, StatusCode::BAD_REQUEST);
    let unknown = yolk_domain::PhoneNumberId::new();
    assert_error(&app.delete(&format!("{PHONES}/{unknown}")).bearer(&token).send().await, StatusCode::NOT_FOUND);
    let res = app
        .post(&format!("{PHONES}/{unknown}/delete/verify"))
        .bearer(&token)
        .json(json!({"otcToken": "x", "code": "1"}));
    assert_error(&res.send().await, StatusCode::NOT_FOUND);
    assert_error(&app.get(&format!("{PHONES}/me")).send().await, StatusCode::UNAUTHORIZED);
    assert_error(&app.post(PHONES).json(json!({"phoneNumber": "+14155550302"})).send().await, StatusCode::UNAUTHORIZED);

    let mine = own(&app, &token).await;
    assert_eq!((mine.len(), &mine[0]["verified"]), (1, &json!(true)));
    assert_eq!(texts_to(&app, "+14155550302").await, 0);
    assert_eq!(texts_to(&app, "+14155550301").await, 1);

    // At most ten numbers per user.
    for n in 0..9 {
        add(&app, &token, &format!("+1415555040{n}")).await;
    }
    let res = app.post(PHONES).bearer(&token).json(json!({"phoneNumber": "+14155550499"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(own(&app, &token).await.len(), 10);
}
