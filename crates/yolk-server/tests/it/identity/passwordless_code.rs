//! Passwordless sign-in by one-time code (`passwordless/{code|smscode}/{prelogin|postlogin}`): the code read from
//! the outbox, bound to the flow cookie of the sign-in that asked for it.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_error, claims};

async fn set_strategy(app: &TestApp, strategy: &str) {
    let env = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&env)
        .json(json!({"authStrategy": strategy}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
}

async fn code_to(app: &TestApp, to: &str, count: usize) -> String {
    for _ in 0..300 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            let text = &messages[0].text;
            let word = text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a 6-digit code");
            return word.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nothing sent to {to}");
}

const PRE: &str = "/identity/resources/auth/v1/passwordless/code/prelogin";
const POST: &str = "/frontegg/identity/resources/auth/v1/passwordless/code/postlogin";

#[tokio::test]
async fn an_emailed_code_signs_in_once_from_the_browser_that_asked_for_it() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    // Off unless the strategy is Code.
    assert_error(&app.post(PRE).json(json!({"email": "ann@x.io"})).send().await, StatusCode::BAD_REQUEST);
    set_strategy(&app, "Code").await;

    let known = app.post(PRE).json(json!({"email": "ann@x.io"})).send().await;
    let unknown = app.post(PRE).json(json!({"email": "nobody@x.io"})).send().await;
    assert_eq!(known.status, StatusCode::CREATED, "{}", known.text);
    assert_eq!((known.status, known.text.clone()), (unknown.status, unknown.text.clone()), "no enumeration");
    assert!(unknown.cookie("fe_otc_").is_some(), "a flow cookie either way");
    let cookie = known.cookie("fe_otc_").unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let code = code_to(&app, "ann@x.io", 1).await;

    // Without the cookie or an email: refused. With another sign-in's cookie: not this code.
    assert_error(&app.post(POST).json(json!({"token": code})).send().await, StatusCode::BAD_REQUEST);
    let other = unknown.cookie("fe_otc_").unwrap().split(';').next().unwrap().to_owned();
    let res = app.post(POST).header("cookie", &other).json(json!({"token": code})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let res = app.post(POST).header("cookie", &pair).json(json!({"token": wrong})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    let res = app.post(POST).header("cookie", &pair).json(json!({"token": code})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    assert!(res.cookie("fe_refresh").is_some());
    let again = app.post(POST).header("cookie", &pair).json(json!({"token": code})).send().await;
    assert_error(&again, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(app.store.outbox(Some("nobody@x.io"), 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_guesses_and_a_client_without_cookies_names_the_account() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    set_strategy(&app, "Code").await;
    app.post(PRE).json(json!({"email": "ann@x.io"})).send().await;
    let code = code_to(&app, "ann@x.io", 1).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let res = app.post(POST).json(json!({"token": wrong, "email": "ann@x.io"})).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
    }
    let res = app.post(POST).json(json!({"token": code, "email": "ann@x.io"})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    app.post(PRE).json(json!({"email": "ann@x.io"})).send().await;
    let code = code_to(&app, "ann@x.io", 2).await;
    let res = app.post(POST).json(json!({"token": code, "email": "ANN@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

#[tokio::test]
async fn a_texted_code_signs_in_a_user_with_a_phone() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    let phone = "+15557654321";
    let res = app
        .put(&format!("/identity/resources/users/v1/{id}"))
        .bearer(&env)
        .tenant(&tenant)
        .json(json!({"phoneNumber": phone}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    set_strategy(&app, "SmsCode").await;
    let pre = "/identity/resources/auth/v1/passwordless/smscode/prelogin";
    let res = app.post(pre).json(json!({"email": "ann@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let pair = res.cookie("fe_otc_").unwrap().split(';').next().unwrap().to_owned();
    let code = code_to(&app, phone, 1).await;
    let post = "/identity/resources/auth/v1/passwordless/smscode/postlogin";
    let res = app.post(post).header("cookie", &pair).json(json!({"token": code})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    // The email strategy's endpoints stay closed.
    assert_error(&app.post(PRE).json(json!({"email": "ann@x.io"})).send().await, StatusCode::BAD_REQUEST);
}
