//! WebAuthn: a key as the second factor of a login (`auth/v1/user/mfa/webauthn/*`), the user's own WebAuthn
//! factors (`users/v1/mfa/webauthn/*`), and passkeys (`users/webauthn/v1/devices`, `auth/v1/webauthn/*`).
//!
//! The authenticator is [`SoftKey`]: a software authenticator written here from the WebAuthn spec (an ES256 key,
//! `none` attestation, CBOR by hand), so the server's verification (webauthn-rs) is checked against an independent
//! implementation, including what a real authenticator would never send.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use yolk_server::Config;

use crate::support::{PASSWORD, TestApp, TestResponse, assert_error};

const ORIGIN: &str = "http://localhost:3000";
const LOGIN: &str = "/identity/resources/auth/v1/user";
const STRATEGIES: &str = "/identity/resources/configurations/v1/mfa/strategies";
const POLICY: &str = "/identity/resources/configurations/v1/mfa-policy";
const MFA: &str = "/identity/resources/auth/v1/user/mfa/webauthn";
const DEVICES: &str = "/identity/resources/users/webauthn/v1/devices";

/// A software authenticator: one ES256 credential.
struct SoftKey {
    key: aws_lc_rs::signature::EcdsaKeyPair,
    id: Vec<u8>,
    counter: u32,
    user_handle: Vec<u8>,
    origin: String,
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref().to_vec()
}

/// CBOR: a head of major type `major` with argument `n`.
fn cbor_head(major: u8, n: usize, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=255 => out.extend([m | 24, n as u8]),
        _ => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
    }
}

fn cbor_bytes(b: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, b.len(), out);
    out.extend(b);
}

fn cbor_text(s: &str, out: &mut Vec<u8>) {
    cbor_head(3, s.len(), out);
    out.extend(s.as_bytes());
}

/// CBOR of a small integer (COSE labels and values).
fn cbor_int(i: i64, out: &mut Vec<u8>) {
    if i >= 0 { cbor_head(0, i as usize, out) } else { cbor_head(1, (-1 - i) as usize, out) }
}

impl SoftKey {
    fn new() -> Self {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let mut id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut id).unwrap();
        Self { key, id, counter: 0, user_handle: Vec::new(), origin: ORIGIN.into() }
    }

    fn cose_key(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair;
        let point = self.key.public_key().as_ref().to_vec(); // 0x04 || x || y
        let mut out = Vec::new();
        cbor_head(5, 5, &mut out);
        for (label, value) in [(1, 2), (3, -7), (-1, 1)] {
            cbor_int(label, &mut out);
            cbor_int(value, &mut out);
        }
        cbor_int(-2, &mut out);
        cbor_bytes(&point[1..33], &mut out);
        cbor_int(-3, &mut out);
        cbor_bytes(&point[33..65], &mut out);
        out
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false}))
            .unwrap()
    }

    /// The answer to creation `options` (as the SDK posts it: `{id, response}`).
    fn register(&mut self, options: &Value) -> Value {
        let challenge = options["challenge"].as_str().expect("challenge");
        let rp_id = options["rp"]["id"].as_str().expect("rp.id");
        self.user_handle = B64.decode(options["user"]["id"].as_str().expect("user.id")).unwrap();
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(0x01 | 0x04 | 0x40); // user present, user verified, attested credential data
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((self.id.len() as u16).to_be_bytes());
        auth_data.extend(&self.id);
        auth_data.extend(self.cose_key());
        let mut attestation = Vec::new();
        cbor_head(5, 3, &mut attestation);
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        cbor_head(5, 0, &mut attestation);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&auth_data, &mut attestation);
        json!({
            "id": B64.encode(&self.id),
            "response": {
                "clientDataJSON": B64.encode(self.client_data("webauthn.create", challenge)),
                "attestationObject": B64.encode(attestation),
            }
        })
    }

    /// The answer to request `options`, signed by this key.
    fn assert(&mut self, options: &Value) -> Value {
        let challenge = options["challenge"].as_str().expect("challenge");
        let rp_id = options["rpId"].as_str().expect("rpId");
        self.counter += 1;
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(0x01 | 0x04);
        auth_data.extend(self.counter.to_be_bytes());
        let client_data = self.client_data("webauthn.get", challenge);
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let signature = self.key.sign(&aws_lc_rs::rand::SystemRandom::new(), &signed).unwrap();
        json!({
            "id": B64.encode(&self.id),
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(signature.as_ref()),
                "userHandle": B64.encode(&self.user_handle),
            }
        })
    }
}

async fn app() -> TestApp {
    TestApp::with_config(Config { app_url: Some(ORIGIN.into()), ..Config::default() }).await
}

async fn enable(app: &TestApp, strategy: &str) {
    let env = app.vendor_token().await;
    let res = app.post(STRATEGIES).bearer(&env).json(json!({"strategy": strategy, "isActive": true})).send().await;
    assert!(res.status.is_success(), "{}", res.text);
}

async fn mfa_token(app: &TestApp, email: &str) -> String {
    let res = app.post(LOGIN).json(json!({"email": email, "password": PASSWORD})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["mfaToken"].as_str().unwrap_or_else(|| panic!("no mfaToken: {}", res.text)).to_owned()
}

/// A user whose only factor is a WebAuthn key, enrolled with its own user token: the key and the device id.
async fn enrolled(app: &TestApp, email: &str) -> (SoftKey, String) {
    let token = app.user_token(email).await;
    let res = app.post("/identity/resources/users/v1/mfa/webauthn/enroll").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut key = SoftKey::new();
    let answer = key.register(&res.body["options"]);
    let res = app
        .post("/identity/resources/users/v1/mfa/webauthn/enroll/verify")
        .bearer(&token)
        .json(json!({"deviceType": "CrossPlatform", "webauthnToken": res.body["webauthnToken"], "options": answer}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["recoveryCode"].as_str().is_some_and(|c| !c.is_empty()), "{}", res.text);
    let res = app.get("/identity/resources/users/v1/mfa/devices").bearer(&token).send().await;
    let device = res.body["webauthn"][0]["id"].as_str().unwrap_or_else(|| panic!("{}", res.text)).to_owned();
    assert_eq!(res.body["webauthn"][0]["deviceType"], "CrossPlatform");
    (key, device)
}

async fn prelogin(app: &TestApp, email: &str) -> Value {
    let res = app.post("/identity/resources/auth/v1/webauthn/prelogin").json(json!({"email": email})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["options"].clone()
}

async fn pre_verify(app: &TestApp, mfa_token: &str, device: &str) -> (String, Value) {
    let res = app.post(&format!("{MFA}/{device}")).json(json!({"mfaToken": mfa_token})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    (res.body["webauthnToken"].as_str().unwrap().to_owned(), res.body["options"].clone())
}

async fn verify(app: &TestApp, mfa_token: &str, device: &str, webauthn_token: &str, answer: Value) -> TestResponse {
    app.post(&format!("{MFA}/{device}/verify"))
        .json(json!({"mfaToken": mfa_token, "webauthnToken": webauthn_token, "options": answer}))
        .send()
        .await
}

#[tokio::test]
async fn a_security_key_is_the_second_factor_of_a_login_and_a_forged_assertion_is_not() {
    let app = app().await;
    enable(&app, "WebAuthnCrossPlatform").await;
    let tenant = app.seed_tenant("Acme").await;
    app.seed_user("kim@acme.test", &tenant, &[]).await;
    let (mut key, device) = enrolled(&app, "kim@acme.test").await;

    // The login now stops at the second factor and lists the key.
    let res = app.post(LOGIN).json(json!({"email": "kim@acme.test", "password": PASSWORD})).send().await;
    assert_eq!(res.body["mfaRequired"], true, "{}", res.text);
    assert!(res.body.get("accessToken").is_none());
    assert_eq!(res.body["mfaDevices"]["webauthn"][0]["id"], device.as_str());
    let token = res.body["mfaToken"].as_str().unwrap().to_owned();

    // Another key's signature over the right challenge is refused, with no session and no cookie.
    let (webauthn_token, options) = pre_verify(&app, &token, &device).await;
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["allowCredentials"][0]["id"], B64.encode(&key.id));
    let mut impostor = SoftKey::new();
    impostor.id = key.id.clone();
    let res = verify(&app, &token, &device, &webauthn_token, impostor.assert(&options)).await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert!(res.cookie("fe_refresh").is_none());

    // An answer made for another origin is refused too.
    let (webauthn_token, options) = pre_verify(&app, &token, &device).await;
    key.origin = "http://localhost:4000".into();
    let res = verify(&app, &token, &device, &webauthn_token, key.assert(&options)).await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    key.origin = ORIGIN.into();

    // The key's own assertion completes the login, once.
    let (webauthn_token, options) = pre_verify(&app, &token, &device).await;
    let answer = key.assert(&options);
    let res = verify(&app, &token, &device, &webauthn_token, answer.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(res.body["accessToken"].as_str().is_some());
    let res = verify(&app, &token, &device, &webauthn_token, answer).await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    // A replayed (cloned-key) counter is refused at the next login.
    let token = mfa_token(&app, "kim@acme.test").await;
    let (webauthn_token, options) = pre_verify(&app, &token, &device).await;
    key.counter -= 1;
    let res = verify(&app, &token, &device, &webauthn_token, key.assert(&options)).await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forced_user_enrolls_a_key_at_login_and_a_user_with_a_factor_cannot_enroll_another_there() {
    let app = app().await;
    enable(&app, "WebAuthnPlatform").await;
    let env = app.vendor_token().await;
    let res = app.put(POLICY).bearer(&env).json(json!({"enforceMFAType": "Force"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let tenant = app.seed_tenant("Acme").await;
    app.seed_user("ana@acme.test", &tenant, &[]).await;

    let token = mfa_token(&app, "ana@acme.test").await;
    let res = app.post(&format!("{MFA}/enroll")).json(json!({"mfaToken": token})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let options = res.body["options"].clone();
    assert_eq!(options["rp"]["id"], "localhost");
    assert!(options["user"]["id"].as_str().is_some());
    let mut key = SoftKey::new();
    let answer = key.register(&options);

    // A device type whose strategy is off is refused.
    let body = json!({"mfaToken": token, "webauthnToken": res.body["webauthnToken"], "options": answer.clone(),
                      "deviceType": "CrossPlatform"});
    let refused = app.post(&format!("{MFA}/enroll/verify")).json(body).send().await;
    assert_error(&refused, StatusCode::BAD_REQUEST);

    let body = json!({"mfaToken": token, "webauthnToken": res.body["webauthnToken"], "options": answer,
                      "deviceType": "Platform"});
    let res = app.post(&format!("{MFA}/enroll/verify")).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(res.body["accessToken"].as_str().is_some(), "{}", res.text);
    assert!(res.body["recoveryCode"].as_str().is_some(), "{}", res.text);

    // Next login: the key is asked for; enrolling another factor at login is refused (it would skip the key).
    let token = mfa_token(&app, "ana@acme.test").await;
    let res = app.post(&format!("{MFA}/enroll")).json(json!({"mfaToken": token})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app
        .post("/identity/resources/auth/v1/user/mfa/authenticator/enroll")
        .json(json!({"mfaToken": token}))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn webauthn_steps_refuse_bad_tokens_other_users_devices_and_malformed_answers() {
    let app = app().await;
    enable(&app, "WebAuthnCrossPlatform").await;
    let tenant = app.seed_tenant("Acme").await;
    app.seed_user("kim@acme.test", &tenant, &[]).await;
    app.seed_user("lee@acme.test", &tenant, &[]).await;
    let (mut kim_key, kim_device) = enrolled(&app, "kim@acme.test").await;
    let (_, lee_device) = enrolled(&app, "lee@acme.test").await;

    let token = mfa_token(&app, "kim@acme.test").await;
    // Another user's device is not found; a wrong mfaToken is a 401.
    let res = app.post(&format!("{MFA}/{lee_device}")).json(json!({"mfaToken": token})).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.post(&format!("{MFA}/{kim_device}")).json(json!({"mfaToken": "nope"})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    // Missing fields and a garbled answer are 4xx, never 500.
    let res = app.post(&format!("{MFA}/{kim_device}/verify")).json(json!({"mfaToken": token})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let (webauthn_token, options) = pre_verify(&app, &token, &kim_device).await;
    let garbled = json!({"id": "x", "response": {"clientDataJSON": "!!", "authenticatorData": 7}});
    let res = verify(&app, &token, &kim_device, &webauthn_token, garbled).await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    // A webauthnToken of lee's login does not serve kim's.
    let lee_token = mfa_token(&app, "lee@acme.test").await;
    let (lee_webauthn, _) = pre_verify(&app, &lee_token, &lee_device).await;
    let res = verify(&app, &token, &kim_device, &lee_webauthn, kim_key.assert(&options)).await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn removing_a_key_takes_its_own_assertion() {
    let app = app().await;
    enable(&app, "WebAuthnCrossPlatform").await;
    let tenant = app.seed_tenant("Acme").await;
    app.seed_user("kim@acme.test", &tenant, &[]).await;
    let (mut key, device) = enrolled(&app, "kim@acme.test").await;
    // The user passes the second factor to get a token.
    let token = mfa_token(&app, "kim@acme.test").await;
    let (webauthn_token, options) = pre_verify(&app, &token, &device).await;
    let res = verify(&app, &token, &device, &webauthn_token, key.assert(&options)).await;
    let access = res.body["accessToken"].as_str().unwrap().to_owned();

    let disable = format!("/identity/resources/users/v1/mfa/webauthn/{device}/disable");
    let res = app.post(&disable).bearer(&access).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (webauthn_token, options) = (res.body["webauthnToken"].clone(), res.body["options"].clone());
    let other = SoftKey::new().assert(&options);
    let res = app
        .post(&format!("{disable}/verify"))
        .bearer(&access)
        .json(json!({"webauthnToken": webauthn_token, "options": other}))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app
        .post(&format!("{disable}/verify"))
        .bearer(&access)
        .json(json!({"webauthnToken": webauthn_token, "options": key.assert(&options)}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Gone: the password alone logs in again.
    let res = app.post(LOGIN).json(json!({"email": "kim@acme.test", "password": PASSWORD})).send().await;
    assert!(res.body["accessToken"].as_str().is_some(), "{}", res.text);
}

#[tokio::test]
async fn a_passkey_signs_its_user_in_without_a_password_and_no_one_else() {
    let app = app().await;
    let tenant = app.seed_tenant("Acme").await;
    app.seed_user("kim@acme.test", &tenant, &[]).await;
    app.seed_user("lee@acme.test", &tenant, &[]).await;
    let token = app.user_token("kim@acme.test").await;

    let res = app.post(DEVICES).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut key = SoftKey::new();
    let answer = key.register(&res.body["options"]);
    let mut body = answer.clone();
    body["deviceType"] = json!("Platform");
    let res = app.post(&format!("{DEVICES}/verify")).bearer(&token).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // The registration is spent.
    let res = app.post(&format!("{DEVICES}/verify")).bearer(&token).json(body).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.get(DEVICES).bearer(&token).send().await;
    assert_eq!(res.body["devices"].as_array().map(Vec::len), Some(1), "{}", res.text);
    assert_eq!(res.body["devices"][0]["deviceType"], "Platform");
    let passkey_id = res.body["devices"][0]["id"].as_str().unwrap().to_owned();

    // The prelogin is the same discoverable request for a known and an unknown address.
    let known = prelogin(&app, "kim@acme.test").await;
    let unknown = prelogin(&app, "nobody@acme.test").await;
    let shape = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (keys, v.get("allowCredentials").cloned())
    };
    assert_eq!(shape(&known), shape(&unknown));

    // Kim's passkey answering a ceremony started for lee is refused.
    let for_lee = prelogin(&app, "lee@acme.test").await;
    let res = app.post("/identity/resources/auth/v1/webauthn/postlogin").json(key.assert(&for_lee)).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    // Kim's passkey signs kim in: the login body and the refresh cookie; the ceremony works once.
    let answer = key.assert(&known);
    let res = app.post("/identity/resources/auth/v1/webauthn/postlogin").json(answer.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["accessToken"].as_str().is_some(), "{}", res.text);
    assert!(res.cookie("fe_refresh").is_some());
    let res = app.post("/identity/resources/auth/v1/webauthn/postlogin").json(answer).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    // Removed, the passkey no longer signs in; another user cannot remove it.
    let lee = app.user_token("lee@acme.test").await;
    let res = app.delete(&format!("{DEVICES}/{passkey_id}")).bearer(&lee).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{DEVICES}/{passkey_id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let options = prelogin(&app, "kim@acme.test").await;
    let res = app.post("/identity/resources/auth/v1/webauthn/postlogin").json(key.assert(&options)).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_passkey_login_still_meets_the_mfa_policy_and_registration_needs_a_recent_sign_in() {
    let app = app().await;
    let tenant = app.seed_tenant("Acme").await;
    app.seed_user("kim@acme.test", &tenant, &[]).await;
    let token = app.user_token("kim@acme.test").await;
    let res = app.post(DEVICES).bearer(&token).send().await;
    let mut key = SoftKey::new();
    let answer = key.register(&res.body["options"]);
    let res = app.post(&format!("{DEVICES}/verify")).bearer(&token).json(answer).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // Eleven minutes later the same session may not add a passkey.
    app.clock.advance_secs(11 * 60);
    let res = app.post(DEVICES).bearer(&token).send().await;
    assert_ne!(res.status, StatusCode::OK, "{}", res.text);

    let env = app.vendor_token().await;
    let res = app.put(POLICY).bearer(&env).json(json!({"enforceMFAType": "Force"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let options = prelogin(&app, "kim@acme.test").await;
    let res = app.post("/identity/resources/auth/v1/webauthn/postlogin").json(key.assert(&options)).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["mfaRequired"], true, "{}", res.text);
    assert!(res.body.get("accessToken").is_none());
}
