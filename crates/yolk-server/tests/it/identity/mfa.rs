//! Multi-factor authentication: the login's MFA branch (`auth/v1/user/mfa/*`), the user's own authenticator
//! (`users/v1/mfa/*`), recovery, remembered devices, email codes, the environment's unenrol, and the MFA policy,
//! configuration and strategies. The authenticator's key is read the way a phone reads it: by decoding the QR code
//! the server answers.

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, TestResponse, assert_error, claims};

const LOGIN: &str = "/identity/resources/auth/v1/user";
const VERIFY: &str = "/frontegg/identity/resources/auth/v1/user/mfa/verify";
const POLICY: &str = "/identity/resources/configurations/v1/mfa-policy";
const STRATEGIES: &str = "/identity/resources/configurations/v1/mfa/strategies";

/// The TOTP key inside a QR code (a `data:image/png;base64,...` URL), as an authenticator app reads it.
fn key_from_qr(qr: &str) -> String {
    let b64 = qr.strip_prefix("data:image/png;base64,").expect("a PNG data URL");
    let png = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    let image = image::load_from_memory(&png).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let (_, url) = grids.first().expect("a QR code").decode().expect("a readable QR code");
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    let query = url.split_once('?').expect("a query").1;
    query.split('&').find_map(|kv| kv.strip_prefix("secret=")).expect("a secret").to_owned()
}

/// The code of `key` at the app's clock.
fn code(app: &TestApp, key: &str) -> String {
    use yolk_domain::Clock;
    let secret = totp_rs::Secret::try_from_base32(key).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret.as_ref().to_vec()).build().unwrap();
    totp.generate(u64::try_from(app.clock.now().timestamp()).unwrap()).to_string()
}

async fn set_policy(app: &TestApp, body: Value) {
    let env = app.vendor_token().await;
    let res = app.put(POLICY).bearer(&env).json(body).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

async fn password_login(app: &TestApp, email: &str) -> TestResponse {
    let res = app.post(LOGIN).json(json!({"email": email, "password": PASSWORD})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res
}

/// A user who enrolled an authenticator itself: its key.
async fn enroll_self(app: &TestApp, email: &str) -> String {
    let token = app.user_token(email).await;
    let res = app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let key = key_from_qr(res.body["qrCode"].as_str().unwrap());
    let res = app
        .post("/identity/resources/users/v1/mfa/enroll/verify")
        .bearer(&token)
        .json(json!({"token": code(app, &key)}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["recoveryCode"].as_str().is_some_and(|c| c.len() >= 24), "{}", res.text);
    app.clock.advance_secs(30);
    key
}

/// A user token of a user with an authenticator, through both factors.
async fn token_with_mfa(app: &TestApp, email: &str, key: &str) -> String {
    let token = password_login(app, email).await.body["mfaToken"].as_str().unwrap().to_owned();
    let res = app.post(VERIFY).json(json!({"mfaToken": token, "value": code(app, key)})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.clock.advance_secs(30);
    res.body["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_forced_policy_enrolls_at_login_and_issues_nothing_before_the_second_factor() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    set_policy(&app, json!({"enforceMFAType": "Force"})).await;

    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(res.body["mfaRequired"], true);
    assert_eq!(res.body["mfaEnrolled"], false);
    assert!(res.body.get("accessToken").is_none() && res.body.get("refreshToken").is_none(), "{}", res.text);
    assert!(res.cookie("fe_refresh").is_none(), "no session before the second factor");
    assert_eq!(res.body["userEmail"], "ann@x.io");
    assert_eq!(res.body["mfaStrategies"], json!(["AuthenticatorApp"]));
    assert!(res.body["recoveryCode"].is_string());
    let key = key_from_qr(res.body["qrCode"].as_str().unwrap());
    let mfa_token = res.body["mfaToken"].as_str().unwrap().to_owned();

    // A wrong code: 401, no session.
    let wrong = app.post(VERIFY).json(json!({"mfaToken": mfa_token, "value": "000000"})).send().await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED);
    assert!(wrong.cookie("fe_refresh").is_none());
    // The first code enrolls the authenticator and completes the login.
    let first = code(&app, &key);
    let ok = app.post(VERIFY).json(json!({"mfaToken": mfa_token, "value": first})).send().await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(claims(ok.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    assert!(ok.cookie("fe_refresh").is_some());
    // The mfaToken is spent.
    let again = app.post(VERIFY).json(json!({"mfaToken": mfa_token, "value": first})).send().await;
    assert_error(&again, StatusCode::UNAUTHORIZED);

    // Next login: enrolled, no enrolment payload; the same code does not work twice, the next step's does.
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!((res.body["mfaRequired"].clone(), res.body["mfaEnrolled"].clone()), (json!(true), json!(true)));
    assert!(res.body.get("qrCode").is_none() && res.body.get("recoveryCode").is_none());
    let device = res.body["mfaDevices"]["authenticators"][0]["id"].as_str().unwrap().to_owned();
    let mfa_token = res.body["mfaToken"].as_str().unwrap().to_owned();
    let replay = app.post(VERIFY).json(json!({"mfaToken": mfa_token, "value": first})).send().await;
    assert_error(&replay, StatusCode::UNAUTHORIZED);
    app.clock.advance_secs(30);
    let path = format!("/identity/resources/auth/v1/user/mfa/authenticator/{device}/verify");
    let ok = app.post(&path).json(json!({"mfaToken": mfa_token, "value": code(&app, &key)})).send().await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert!(ok.body.get("recoveryCode").is_none(), "the recovery code is shown once");
}

#[tokio::test]
async fn an_mfa_token_is_bound_to_its_user_dies_after_five_wrong_codes_and_expires() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    app.seed_user("bob@x.io", &tenant, &[]).await;
    let ann = enroll_self(&app, "ann@x.io").await;
    let bob = enroll_self(&app, "bob@x.io").await;

    // Bob's code does not complete Ann's login.
    let token = password_login(&app, "ann@x.io").await.body["mfaToken"].as_str().unwrap().to_owned();
    let res = app.post(VERIFY).json(json!({"mfaToken": token, "value": code(&app, &bob)})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    // Four more wrong codes: the token is dead, even for the right code.
    for _ in 0..4 {
        let res = app.post(VERIFY).json(json!({"mfaToken": token, "value": "123456"})).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
    }
    let res = app.post(VERIFY).json(json!({"mfaToken": token, "value": code(&app, &ann)})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Invalid or expired MFA token");

    // A new login's token expires after 10 minutes.
    let token = password_login(&app, "ann@x.io").await.body["mfaToken"].as_str().unwrap().to_owned();
    app.clock.advance_secs(11 * 60);
    let res = app.post(VERIFY).json(json!({"mfaToken": token, "value": code(&app, &ann)})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    // Garbage and missing fields.
    assert_error(&app.post(VERIFY).json(json!({"mfaToken": "x", "value": "1"})).send().await, StatusCode::UNAUTHORIZED);
    assert_error(&app.post(VERIFY).json(json!({"value": "123456"})).send().await, StatusCode::BAD_REQUEST);
    assert_error(&app.post(VERIFY).raw("{", "application/json").send().await, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_enrolled_user_gives_its_code_and_may_disable_the_authenticator_with_one() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    // Not forced: no MFA until the user enrolls.
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(res.body["mfaRequired"], false);
    let key = enroll_self(&app, "ann@x.io").await;
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(res.body["mfaRequired"], true, "an enrolled factor is always asked for");

    // Its devices; enrolling a second authenticator is refused.
    let token = token_with_mfa(&app, "ann@x.io", &key).await;
    let devices = app.get("/identity/resources/users/v1/mfa/devices").bearer(&token).send().await;
    assert_eq!(devices.status, StatusCode::OK, "{}", devices.text);
    assert_eq!(devices.body["authenticators"].as_array().unwrap().len(), 1);
    let again = app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await;
    assert_error(&again, StatusCode::BAD_REQUEST);

    // Disabling needs a current code.
    let disable = "/identity/resources/users/v1/mfa/disable";
    let wrong = app.post(disable).bearer(&token).json(json!({"token": "000000"})).send().await;
    assert_error(&wrong, StatusCode::BAD_REQUEST);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], true, "a wrong code changes nothing");
    app.clock.advance_secs(30);
    let ok = app.post(disable).bearer(&token).json(json!({"token": code(&app, &key)})).send().await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], false);

    // Without a user token: 401.
    assert_error(&app.post("/identity/resources/users/v1/mfa/enroll").send().await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_recovery_code_turns_mfa_off_once() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let res = app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await;
    let key = key_from_qr(res.body["qrCode"].as_str().unwrap());
    let res = app
        .post("/identity/resources/users/v1/mfa/enroll/verify")
        .bearer(&token)
        .json(json!({"token": code(&app, &key)}))
        .send()
        .await;
    let recovery = res.body["recoveryCode"].as_str().unwrap().to_owned();

    let recover = "/identity/resources/auth/v1/user/mfa/recover";
    let wrong = app.post(recover).json(json!({"email": "ann@x.io", "recoveryCode": "AAAA-BBBB"})).send().await;
    assert_error(&wrong, StatusCode::BAD_REQUEST);
    let unknown = app.post(recover).json(json!({"email": "nobody@x.io", "recoveryCode": recovery})).send().await;
    assert_eq!((wrong.status, wrong.error()), (unknown.status, unknown.error()), "no enumeration");
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], true);

    let ok = app.post(recover).json(json!({"email": "ann@x.io", "recoveryCode": recovery.to_lowercase()})).send().await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], false, "MFA is off");
    let twice = app.post(recover).json(json!({"email": "ann@x.io", "recoveryCode": recovery})).send().await;
    assert_error(&twice, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_remembered_device_skips_the_second_factor_only_while_the_policy_allows_it() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let key = enroll_self(&app, "ann@x.io").await;
    set_policy(
        &app,
        json!({"enforceMFAType": "DontForce", "allowRememberMyDevice": true, "mfaDeviceExpiration": 3600}),
    )
    .await;

    let token = password_login(&app, "ann@x.io").await.body["mfaToken"].as_str().unwrap().to_owned();
    let allow = app
        .get(&format!("/identity/resources/configurations/v1/mfa-policy/allow-remember-device?mfaToken={token}"))
        .send()
        .await;
    assert_eq!(allow.status, StatusCode::OK, "{}", allow.text);
    assert_eq!(allow.body, json!({"isAllowedToRemember": true, "mfaDeviceExpiration": 3600}));
    let res = app
        .post(VERIFY)
        .json(json!({"mfaToken": token, "value": code(&app, &key), "rememberDevice": true}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let cookie = res.cookie("fe_device_").expect("the remember-device cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("Max-Age=3600"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();

    // With the cookie: straight in. Without it: the second factor.
    let login = json!({"email": "ann@x.io", "password": PASSWORD});
    let res = app.post(LOGIN).header("cookie", &pair).json(login.clone()).send().await;
    assert_eq!((res.status, res.body["mfaRequired"].clone()), (StatusCode::OK, json!(false)), "{}", res.text);
    assert!(res.body["accessToken"].is_string());
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], true);
    // A forged cookie does nothing; the policy turned off makes the real one worthless; so does expiry.
    let forged = format!("{}=forged", pair.split('=').next().unwrap());
    let res = app.post(LOGIN).header("cookie", &forged).json(login.clone()).send().await;
    assert_eq!(res.body["mfaRequired"], true);
    set_policy(&app, json!({"enforceMFAType": "DontForce", "allowRememberMyDevice": false})).await;
    let res = app.post(LOGIN).header("cookie", &pair).json(login.clone()).send().await;
    assert_eq!(res.body["mfaRequired"], true, "{}", res.text);
    set_policy(&app, json!({"enforceMFAType": "DontForce", "allowRememberMyDevice": true})).await;
    app.clock.advance_secs(3601);
    let res = app.post(LOGIN).header("cookie", &pair).json(login).send().await;
    assert_eq!(res.body["mfaRequired"], true, "expired");
}

#[tokio::test]
async fn an_emailed_code_completes_a_login_once() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    let emailcode = "/identity/resources/auth/v1/user/mfa/emailcode";
    set_policy(&app, json!({"enforceMFAType": "Force"})).await;
    // Off by default.
    let token = password_login(&app, "ann@x.io").await.body["mfaToken"].as_str().unwrap().to_owned();
    assert_error(&app.post(emailcode).json(json!({"mfaToken": token})).send().await, StatusCode::BAD_REQUEST);

    let on = app.post(STRATEGIES).bearer(&env).json(json!({"strategy": "EmailCode", "isActive": true})).send().await;
    assert_eq!(on.status, StatusCode::CREATED, "{}", on.text);
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(res.body["mfaDevices"]["emails"], json!([{"email": "ann@x.io"}]));
    let token = res.body["mfaToken"].as_str().unwrap().to_owned();
    let sent = app.post(emailcode).json(json!({"mfaToken": token})).send().await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let otc = sent.body["otcToken"].as_str().unwrap().to_owned();
    let mut mail = None;
    for _ in 0..200 {
        mail = app.store.outbox(Some("ann@x.io"), 1).await.unwrap().pop();
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let text = mail.expect("the code by email").text;
    let code = text.split_whitespace().find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit())).unwrap();

    let verify = "/identity/resources/auth/v1/user/mfa/emailcode/verify";
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let res = app.post(verify).json(json!({"mfaToken": token, "otcToken": otc, "code": wrong})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.post(verify).json(json!({"mfaToken": token, "otcToken": otc, "code": code})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    let res = app.post(verify).json(json!({"mfaToken": token, "otcToken": otc, "code": code})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_magic_link_login_of_an_enrolled_user_asks_for_the_second_factor() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    enroll_self(&app, "ann@x.io").await;
    let env = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&env)
        .json(json!({"authStrategy": "MagicLink"}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let prelogin = "/identity/resources/auth/v1/passwordless/magiclink/prelogin";
    assert_eq!(app.post(prelogin).json(json!({"email": "ann@x.io"})).send().await.status, StatusCode::OK);
    let mut link = None;
    for _ in 0..200 {
        link = app.store.outbox(Some("ann@x.io"), 1).await.unwrap().pop();
        if link.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let text = link.unwrap().text;
    let token = text.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let res = app
        .post("/identity/resources/auth/v1/passwordless/magiclink/postlogin")
        .json(json!({"token": token}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["mfaRequired"], true);
    assert!(res.body.get("accessToken").is_none() && res.cookie("fe_refresh").is_none());
}

#[tokio::test]
async fn the_environment_unenrolls_a_user_and_manages_the_policy() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    enroll_self(&app, "ann@x.io").await;
    let env = app.vendor_token().await;
    let user_token = app.login("ann@x.io").await.body["mfaToken"].clone();
    assert!(user_token.is_string());

    // Unenrol: vendor only; unknown user 404.
    let path = format!("/identity/resources/vendor-only/users/v1/{id}/mfa/unenroll");
    assert_error(&app.post(&path).send().await, StatusCode::UNAUTHORIZED);
    let unknown = format!("/identity/resources/vendor-only/users/v1/{}/mfa/unenroll", uuid::Uuid::new_v4());
    assert_error(&app.post(&unknown).bearer(&env).send().await, StatusCode::NOT_FOUND);
    let res = app.post(&path).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], false);

    // The policy: 404 until created, 409 twice, PATCH replaces, bad values 400 and change nothing.
    assert_error(&app.get(POLICY).bearer(&env).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.patch(POLICY).bearer(&env).json(json!({})).send().await, StatusCode::NOT_FOUND);
    let created = app.post(POLICY).bearer(&env).json(json!({"enforceMFAType": "DontForce"})).send().await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["mfaDeviceExpiration"], 1_209_600);
    assert_error(&app.post(POLICY).bearer(&env).json(json!({})).send().await, StatusCode::CONFLICT);
    let bad = app.patch(POLICY).bearer(&env).json(json!({"enforceMFAType": "Sometimes"})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let bad = app.patch(POLICY).bearer(&env).json(json!({"mfaDeviceExpiration": 1})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(POLICY).bearer(&env).send().await.body["enforceMFAType"], "DontForce");

    // A tenant's policy wins over the environment's for its users.
    let res = app.post(POLICY).bearer(&env).tenant(&tenant).json(json!({"enforceMFAType": "Force"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], true);
    let other = app.seed_tenant("t2").await;
    app.seed_user("bob@x.io", &other, &[]).await;
    assert_eq!(password_login(&app, "bob@x.io").await.body["mfaRequired"], false);

    // A user token is not an environment token.
    let bob = app.user_token("bob@x.io").await;
    let res = app.get(POLICY).bearer(&bob).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
}

#[tokio::test]
async fn strategies_and_configuration_are_validated_and_enforced() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let res = app.get(STRATEGIES).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let active: Vec<&str> = res.body["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["isActive"] == true)
        .map(|s| s["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["AuthenticatorApp"]);
    let webauthn = json!({"strategy": "WebAuthnPlatform", "isActive": true});
    assert_eq!(app.post(STRATEGIES).bearer(&env).json(webauthn).send().await.status, StatusCode::CREATED);
    let bad = json!({"strategy": "Carrier pigeon", "isActive": true});
    assert_error(&app.post(STRATEGIES).bearer(&env).json(bad).send().await, StatusCode::BAD_REQUEST);

    // Turning the authenticator app off: a forced user gets no enrolment payload, and enrolling is refused.
    let off = json!({"strategy": "AuthenticatorApp", "isActive": false});
    assert_eq!(app.post(STRATEGIES).bearer(&env).json(off).send().await.status, StatusCode::CREATED);
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let res = app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    let config = "/identity/resources/configurations/v1/mfa";
    let res = app.get(config).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["email"]["tokenLifetimeSeconds"], 300);
    let res = app.post(config).bearer(&env).json(json!({"email": {"tokenLifetimeSeconds": 10}})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(config).bearer(&env).json(json!({"email": {"tokenLifetimeSeconds": 600}})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(app.get(config).bearer(&env).send().await.body["email"]["tokenLifetimeSeconds"], 600);
}

/// The newest SMS to `to` in the outbox: its 6-digit code (waiting for it).
async fn texted_code(app: &TestApp, to: &str, count: usize) -> String {
    for _ in 0..200 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            let text = &messages[0].text;
            let word = text
                .split_whitespace()
                .find(|w| w.trim_end_matches('.').len() == 6 && w.bytes().take(6).all(|b| b.is_ascii_digit()));
            return word.expect("a code").trim_end_matches('.').to_owned();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no SMS to {to}");
}

#[tokio::test]
async fn a_phone_enrolled_by_its_user_receives_login_codes_and_is_removed_with_one() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    let token = app.user_token("ann@x.io").await;
    let enroll = "/identity/resources/users/v1/mfa/sms/enroll";
    let phone = "+15551234567";
    // Off until the environment turns SMS on.
    assert_error(
        &app.post(enroll).bearer(&token).json(json!({"phoneNumber": phone})).send().await,
        StatusCode::BAD_REQUEST,
    );
    let on = app.post(STRATEGIES).bearer(&env).json(json!({"strategy": "SMS", "isActive": true})).send().await;
    assert_eq!(on.status, StatusCode::CREATED, "{}", on.text);
    assert_error(
        &app.post(enroll).bearer(&token).json(json!({"phoneNumber": "555"})).send().await,
        StatusCode::BAD_REQUEST,
    );
    let res = app.post(enroll).bearer(&token).json(json!({"phoneNumber": phone})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let otc = res.body["otcToken"].as_str().unwrap().to_owned();
    let code = texted_code(&app, phone, 1).await;
    let verify = "/identity/resources/users/v1/mfa/sms/enroll/verify";
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let bad = app.post(verify).bearer(&token).json(json!({"otcToken": otc, "code": wrong})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let ok = app.post(verify).bearer(&token).json(json!({"otcToken": otc, "code": code})).send().await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);

    // Login: the phone is offered, masked; a code texted to it completes the login once.
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(res.body["mfaRequired"], true);
    let device = &res.body["mfaDevices"]["phones"][0];
    assert_eq!(device["phoneNumber"], "+*******4567");
    let device = device["id"].as_str().unwrap().to_owned();
    let mfa_token = res.body["mfaToken"].as_str().unwrap().to_owned();
    let send = format!("/identity/resources/auth/v1/user/mfa/sms/{device}");
    let sent = app.post(&send).json(json!({"mfaToken": mfa_token})).send().await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let otc = sent.body["otcToken"].as_str().unwrap().to_owned();
    let code = texted_code(&app, phone, 2).await;
    let verify = format!("/identity/resources/auth/v1/user/mfa/sms/{device}/verify");
    let body = json!({"mfaToken": mfa_token, "otcToken": otc, "code": code});
    let res = app.post(&verify).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    assert_error(&app.post(&verify).json(body).send().await, StatusCode::UNAUTHORIZED);

    // Removing the phone needs a code texted to it.
    let token = res.body["accessToken"].as_str().unwrap().to_owned();
    let disable = format!("/identity/resources/users/v1/mfa/sms/{device}/disable");
    let res = app.post(&disable).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let otc = res.body["otcToken"].as_str().unwrap().to_owned();
    let code = texted_code(&app, phone, 3).await;
    let verify = format!("{disable}/verify");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let bad = app.post(&verify).bearer(&token).json(json!({"otcToken": otc, "code": wrong})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], true, "a wrong code changes nothing");
    let ok = app.post(&verify).bearer(&token).json(json!({"otcToken": otc, "code": code})).send().await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(password_login(&app, "ann@x.io").await.body["mfaRequired"], false);
    let unknown = format!("/identity/resources/users/v1/mfa/sms/{}/disable", uuid::Uuid::new_v4());
    assert_error(&app.post(&unknown).bearer(&token).send().await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_forced_user_enrolls_a_phone_during_login() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    app.post(STRATEGIES).bearer(&env).json(json!({"strategy": "SMS", "isActive": true})).send().await;
    set_policy(&app, json!({"enforceMFAType": "Force"})).await;
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(res.body["mfaStrategies"], json!(["AuthenticatorApp", "SMS"]));
    let mfa_token = res.body["mfaToken"].as_str().unwrap().to_owned();
    let enroll = "/identity/resources/auth/v1/user/mfa/sms/enroll";
    let phone = "+442071838750";
    assert_error(&app.post(enroll).json(json!({"phoneNumber": phone})).send().await, StatusCode::BAD_REQUEST);
    let res = app.post(enroll).json(json!({"phoneNumber": phone, "mfaToken": mfa_token})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let otc = res.body["otcToken"].as_str().unwrap().to_owned();
    let code = texted_code(&app, phone, 1).await;
    let verify = "/identity/resources/auth/v1/user/mfa/sms/enroll/verify";
    let res = app.post(verify).json(json!({"mfaToken": mfa_token, "otcToken": otc, "code": code})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    let res = password_login(&app, "ann@x.io").await;
    assert_eq!(
        (res.body["mfaEnrolled"].clone(), res.body["mfaDevices"]["phones"][0]["phoneNumber"].clone()),
        (json!(true), json!("+********8750"))
    );
}

#[tokio::test]
async fn the_configurations_authenticator_switch_is_enforced_too() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let config = "/identity/resources/configurations/v1/mfa";
    let off = json!({"authenticationApp": {"active": false, "serviceName": "yolk"}});
    assert_eq!(app.post(config).bearer(&env).json(off).send().await.status, StatusCode::CREATED);
    let token = app.user_token("ann@x.io").await;
    let res = app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let on = json!({"authenticationApp": {"active": true, "serviceName": "yolk"}});
    app.post(config).bearer(&env).json(on).send().await;
    let res = app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

/// The attack: a password thief, at the second-factor step of a user who has an authenticator, enrolls its own phone
/// (or, for a user with a phone, its own authenticator) and so passes with the password alone.
#[tokio::test]
async fn a_user_with_a_factor_cannot_enroll_another_at_login() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    app.post(STRATEGIES).bearer(&env).json(json!({"strategy": "SMS", "isActive": true})).send().await;
    let key = enroll_self(&app, "ann@x.io").await;

    let mfa_token = password_login(&app, "ann@x.io").await.body["mfaToken"].as_str().unwrap().to_owned();
    let enroll = "/identity/resources/auth/v1/user/mfa/sms/enroll";
    let res = app.post(enroll).json(json!({"phoneNumber": "+442071838750", "mfaToken": mfa_token})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(app.get("/yolk/v1/outbox").bearer(&env).send().await.body["items"].as_array().unwrap().is_empty());
    let res = app
        .post("/identity/resources/auth/v1/user/mfa/authenticator/enroll")
        .json(json!({"mfaToken": mfa_token}))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    // The existing factor still works.
    let res = app.post(VERIFY).json(json!({"mfaToken": mfa_token, "value": code(&app, &key)})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

/// The attack: a stolen, older session swaps the user's second factor for the thief's.
#[tokio::test]
async fn changing_factors_needs_a_recent_sign_in() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    app.post(STRATEGIES).bearer(&env).json(json!({"strategy": "SMS", "isActive": true})).send().await;
    let key = enroll_self(&app, "ann@x.io").await;
    let token = token_with_mfa(&app, "ann@x.io", &key).await;
    app.clock.advance_secs(11 * 60);
    let stale = [
        app.post("/identity/resources/users/v1/mfa/enroll").bearer(&token).send().await,
        app.post("/identity/resources/users/v1/mfa/sms/enroll")
            .bearer(&token)
            .json(json!({"phoneNumber": "+442071838750"}))
            .send()
            .await,
        app.post("/identity/resources/users/v1/mfa/disable")
            .bearer(&token)
            .json(json!({"token": code(&app, &key)}))
            .send()
            .await,
    ];
    for res in stale {
        assert_error(&res, StatusCode::FORBIDDEN);
        assert!(res.error().starts_with("Recent authentication"), "{}", res.text);
    }
    // The authenticator is still there, and a fresh sign-in may remove it.
    let fresh = token_with_mfa(&app, "ann@x.io", &key).await;
    let res = app
        .post("/identity/resources/users/v1/mfa/disable")
        .bearer(&fresh)
        .json(json!({"token": code(&app, &key)}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
