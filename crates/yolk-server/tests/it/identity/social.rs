//! Social login end to end against an OAuth2 provider served on 127.0.0.1 by the test (a token endpoint that
//! checks the client's secret, the redirect URI and the PKCE verifier; an OIDC userinfo endpoint; GitHub's `/user`
//! and `/user/emails`): the listing answers the authorization URL with a state, the provider issues a code for it,
//! and the postlogin turns the code into a session. Unverified addresses, spent or unknown states, wrong codes,
//! inactive or unknown providers are refused with no session and no user; the client secret is never shown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, claims};

const CLIENT_ID: &str = "social-client";
const SECRET: &str = "social-s3cret&x";
const REDIRECT: &str = "http://app.test/account/social/success";
const CUSTOM: &str = "/identity/resources/sso/custom/v1";
const CONFIGURE: &str = "/identity/resources/sso/v1";

#[derive(Clone)]
struct Grant {
    challenge: String,
    redirect_uri: String,
    token: String,
}

#[derive(Clone, Default)]
struct Provider {
    grants: Arc<Mutex<HashMap<String, Grant>>>,
    /// access token → (userinfo, GitHub emails)
    users: Arc<Mutex<HashMap<String, (Value, Value)>>>,
}

async fn token(State(p): State<Provider>, Form(form): Form<HashMap<String, String>>) -> (StatusCode, Json<Value>) {
    let deny = |e: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": e})));
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(SECRET)
    {
        return deny("invalid_client");
    }
    let Some(grant) = p.grants.lock().unwrap().remove(form.get("code").map(String::as_str).unwrap_or("")) else {
        return deny("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    if challenge != grant.challenge || form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return deny("invalid_grant");
    }
    (StatusCode::OK, Json(json!({"access_token": grant.token, "token_type": "bearer"})))
}

fn bearer_user(p: &Provider, headers: &HeaderMap) -> Option<(Value, Value)> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    p.users.lock().unwrap().get(auth.strip_prefix("Bearer ")?).cloned()
}

async fn userinfo(State(p): State<Provider>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    match bearer_user(&p, &headers) {
        Some((info, _)) => (StatusCode::OK, Json(info)),
        None => (StatusCode::UNAUTHORIZED, Json(json!({}))),
    }
}

async fn github_emails(State(p): State<Provider>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    match bearer_user(&p, &headers) {
        Some((_, emails)) => (StatusCode::OK, Json(emails)),
        None => (StatusCode::UNAUTHORIZED, Json(json!({}))),
    }
}

struct Social {
    app: TestApp,
    provider: Provider,
    base: String,
    vendor: String,
}

/// The authorization request a listing answered.
struct Authorize {
    state: String,
    challenge: String,
    redirect_uri: String,
}

async fn setup() -> Social {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider::default();
    let router = Router::new()
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .route("/user", get(userinfo))
        .route("/user/emails", get(github_emails))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let s = Social { app, provider, base, vendor };
    s.configure("google", "/userinfo", true).await;
    s.configure("github", "/user", true).await;
    s
}

impl Social {
    async fn configure(&self, kind: &str, userinfo: &str, active: bool) {
        let res = self
            .app
            .post(CONFIGURE)
            .bearer(&self.vendor)
            .json(json!({
                "type": kind, "clientId": CLIENT_ID, "secret": SECRET, "redirectUrl": REDIRECT, "active": active,
                "authorizationUrl": format!("{}/authorize", self.base), "tokenUrl": format!("{}/token", self.base),
                "userInfoUrl": format!("{}{userinfo}", self.base),
            }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(!res.text.contains(SECRET));
    }

    /// Reads `GET sso/v2` as the login box does and follows `kind`'s button.
    async fn authorize(&self, kind: &str) -> Authorize {
        let res = self.app.get("/identity/resources/sso/v2").send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert!(!res.text.contains(SECRET), "the secret is shown: {}", res.text);
        let p = res.body.as_array().unwrap().iter().find(|p| p["type"] == kind).unwrap().clone();
        assert_eq!((p["clientId"].as_str(), p["active"].as_bool()), (Some(CLIENT_ID), Some(true)));
        let url = url::Url::parse(p["authorizationUrl"].as_str().unwrap()).unwrap();
        assert_eq!(url.path(), "/authorize");
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!((q["response_type"].as_str(), q["client_id"].as_str()), ("code", CLIENT_ID));
        assert_eq!((q["redirect_uri"].as_str(), q["code_challenge_method"].as_str()), (REDIRECT, "S256"));
        Authorize {
            state: q["state"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
        }
    }

    /// The provider's part: the user signed in as `info` (GitHub: with `emails`), a code is issued.
    fn issue_code(&self, a: &Authorize, info: Value, emails: Value) -> String {
        let code = uuid::Uuid::new_v4().to_string();
        let token = uuid::Uuid::new_v4().to_string();
        self.provider.users.lock().unwrap().insert(token.clone(), (info, emails));
        let grant = Grant { challenge: a.challenge.clone(), redirect_uri: a.redirect_uri.clone(), token };
        self.provider.grants.lock().unwrap().insert(code.clone(), grant);
        code
    }

    async fn postlogin(&self, provider: &str, code: &str, state: &str) -> crate::support::TestResponse {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("code", code)
            .append_pair("state", state)
            .append_pair("redirectUri", REDIRECT)
            .finish();
        self.app
            .post(&format!("/identity/resources/auth/v1/user/sso/{provider}/postlogin?{q}"))
            .json(json!({}))
            .send()
            .await
    }
}

fn google_user(email: &str, verified: bool) -> Value {
    json!({"sub": format!("g-{email}"), "email": email, "email_verified": verified, "name": "Gia Oogle"})
}

#[tokio::test]
async fn a_new_user_signs_up_with_a_session_and_the_state_is_spent() {
    let s = setup().await;
    let a = s.authorize("google").await;
    let code = s.issue_code(&a, google_user("gia@gmail.test", true), Value::Null);
    let res = s.postlogin("google", &code, &a.state).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["mfaRequired"], false);
    assert_eq!((res.body["email"].as_str(), res.body["isNewUser"].as_bool()), (Some("gia@gmail.test"), Some(true)));
    assert!(res.cookie("fe_refresh_").is_some());
    let c = claims(res.body["accessToken"].as_str().unwrap());
    assert_eq!(c["email"], "gia@gmail.test");
    assert_eq!(c["tenantId"], res.body["tenantId"]);
    let user = s.app.store.get_user_by_email("gia@gmail.test").await.unwrap();
    assert_eq!((user.provider.as_str(), user.name.as_deref(), user.verified), ("google", Some("Gia Oogle"), true));
    assert_eq!(res.body["userId"], user.id.to_string());

    // The state is spent (also for a valid code); a second sign-in with a fresh state logs the same user in.
    let code = s.issue_code(&a, google_user("gia@gmail.test", true), Value::Null);
    assert_error(&s.postlogin("google", &code, &a.state).await, StatusCode::UNAUTHORIZED);
    let b = s.authorize("google").await;
    let code = s.issue_code(&b, google_user("gia@gmail.test", true), Value::Null);
    let res = s.postlogin("google", &code, &b.state).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        (res.body["isNewUser"].as_bool(), res.body["userId"].as_str()),
        (Some(false), Some(user.id.to_string().as_str()))
    );
}

#[tokio::test]
async fn an_existing_user_with_a_verified_email_is_linked() {
    let s = setup().await;
    let tenant = s.app.seed_tenant("acme").await;
    let id = s.app.seed_user("dev@acme.test", &tenant, &[]).await;
    // GitHub: the verified primary address of /user/emails.
    let a = s.authorize("github").await;
    let emails = json!([
        {"email": "other@acme.test", "primary": false, "verified": true},
        {"email": "dev@acme.test", "primary": true, "verified": true},
    ]);
    let code = s.issue_code(&a, json!({"login": "dev", "name": null}), emails);
    let res = s.postlogin("github", &code, &a.state).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["userId"], id.to_string());
    assert_eq!((res.body["isNewUser"].as_bool(), res.body["tenantId"].as_str()), (Some(false), Some(tenant.as_str())));
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
}

#[tokio::test]
async fn unverified_emails_are_refused_and_nothing_is_created() {
    let s = setup().await;
    let tenant = s.app.seed_tenant("acme").await;
    s.app.seed_user("victim@acme.test", &tenant, &[]).await;
    for email in ["victim@acme.test", "new@gmail.test"] {
        let a = s.authorize("google").await;
        let code = s.issue_code(&a, google_user(email, false), Value::Null);
        let res = s.postlogin("google", &code, &a.state).await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert!(res.error().contains("did not verify"), "{}", res.text);
        assert!(res.cookie("fe_refresh_").is_none());
    }
    assert!(s.app.store.get_user_by_email("new@gmail.test").await.is_err());
    // GitHub: a primary address that is not verified.
    let a = s.authorize("github").await;
    let emails = json!([{"email": "victim@acme.test", "primary": true, "verified": false}]);
    let code = s.issue_code(&a, json!({"login": "mallory"}), emails);
    assert_error(&s.postlogin("github", &code, &a.state).await, StatusCode::UNAUTHORIZED);
    // No email at all.
    let a = s.authorize("google").await;
    let code = s.issue_code(&a, json!({"sub": "x", "email_verified": true}), Value::Null);
    assert_error(&s.postlogin("google", &code, &a.state).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_states_codes_and_providers_are_refused() {
    let s = setup().await;
    let a = s.authorize("google").await;
    let good = |email: &str| google_user(email, true);
    // Unknown state.
    let code = s.issue_code(&a, good("u1@gmail.test"), Value::Null);
    assert_error(&s.postlogin("google", &code, "never-issued").await, StatusCode::UNAUTHORIZED);
    // A wrong code (the state is then spent).
    assert_error(&s.postlogin("google", "not-a-code", &a.state).await, StatusCode::UNAUTHORIZED);
    assert_error(&s.postlogin("google", &code, &a.state).await, StatusCode::UNAUTHORIZED);
    // A state minted for another provider.
    let g = s.authorize("github").await;
    let code = s.issue_code(&g, good("u2@gmail.test"), Value::Null);
    assert_error(&s.postlogin("google", &code, &g.state).await, StatusCode::UNAUTHORIZED);
    // Unknown and unconfigured providers.
    let b = s.authorize("google").await;
    let code = s.issue_code(&b, good("u3@gmail.test"), Value::Null);
    assert_error(&s.postlogin("myspace", &code, &b.state).await, StatusCode::UNAUTHORIZED);
    assert_error(&s.postlogin("microsoft", &code, &b.state).await, StatusCode::UNAUTHORIZED);
    // An inactive provider: no authorization URL, and a state minted before it was turned off is refused.
    let c = s.authorize("google").await;
    s.configure("google", "/userinfo", false).await;
    let code = s.issue_code(&c, good("u4@gmail.test"), Value::Null);
    assert_error(&s.postlogin("google", &code, &c.state).await, StatusCode::UNAUTHORIZED);
    let res = s.app.get("/identity/resources/sso/v2").send().await;
    let google = res.body.as_array().unwrap().iter().find(|p| p["type"] == "google").unwrap().clone();
    assert_eq!((google["active"].as_bool(), google["authorizationUrl"].as_str()), (Some(false), Some("")));
    // Missing code or state.
    assert_error(&s.postlogin("github", "", "x").await, StatusCode::BAD_REQUEST);
    for email in ["u1@gmail.test", "u2@gmail.test", "u3@gmail.test", "u4@gmail.test"] {
        assert!(s.app.store.get_user_by_email(email).await.is_err(), "{email}");
    }
}

#[tokio::test]
async fn sign_up_closed_refuses_new_social_users() {
    let s = setup().await;
    let res = s
        .app
        .post("/identity/resources/configurations/v1")
        .bearer(&s.vendor)
        .json(json!({ "allowSignups": false }))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let a = s.authorize("google").await;
    let code = s.issue_code(&a, google_user("late@gmail.test", true), Value::Null);
    assert_error(&s.postlogin("google", &code, &a.state).await, StatusCode::FORBIDDEN);
    assert!(s.app.store.get_user_by_email("late@gmail.test").await.is_err());
}

#[tokio::test]
async fn custom_providers_are_managed_by_the_environment_and_never_show_the_secret() {
    let s = setup().await;
    let body = json!({
        "type": "acme-oauth", "clientId": "cid", "secret": SECRET, "redirectUrl": REDIRECT,
        "authorizationUrl": "https://idp.test/authorize", "tokenUrl": "https://idp.test/token",
        "userInfoUrl": "https://idp.test/userinfo", "scopes": "openid email", "ssoLogoUrl": "https://idp.test/logo.png",
        "displayName": "Acme", "active": true,
    });
    let res = s.app.post(CUSTOM).bearer(&s.vendor).json(body.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains(SECRET));
    let id = res.body["id"].as_str().unwrap().to_owned();

    let res = s.app.get(CUSTOM).bearer(&s.vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!res.text.contains(SECRET));
    let p = &res.body["providers"][0];
    assert_eq!(
        (p["id"].as_str(), p["displayName"].as_str(), p["active"].as_bool()),
        (Some(id.as_str()), Some("Acme"), Some(true))
    );
    assert_eq!(
        (p["userInfoUrl"].as_str(), p["redirectUrl"].as_str()),
        (Some("https://idp.test/userinfo"), Some(REDIRECT))
    );

    let res = s
        .app
        .patch(&format!("{CUSTOM}/{id}"))
        .bearer(&s.vendor)
        .json(json!({"active": false, "displayName": "Acme 2"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["active"].as_bool(), res.body["displayName"].as_str()), (Some(false), Some("Acme 2")));
    // The login box (no Authorization) sees only active providers; then the active one.
    let res = s.app.get(CUSTOM).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({"providers": []}));
    s.app.patch(&format!("{CUSTOM}/{id}")).bearer(&s.vendor).json(json!({"active": true})).send().await;
    let res = s.app.get(CUSTOM).send().await;
    assert_eq!(res.body["providers"].as_array().unwrap().len(), 1);
    assert!(!res.text.contains(SECRET));

    // Nothing of GET sso/v1, sso/v2, sso/v2/authenticated shows a secret.
    for path in ["/identity/resources/sso/v1", "/identity/resources/sso/v2", "/identity/resources/sso/v2/authenticated"]
    {
        let res = s.app.get(path).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert!(!res.text.contains(SECRET), "{path}");
        assert_eq!(res.body.as_array().unwrap().len(), 2, "{path}");
    }

    // Bad input is a 4xx.
    for bad in [
        json!({"authorizationUrl": "javascript:alert(1)"}),
        json!({"tokenUrl": "ftp://idp.test/token"}),
        json!({"redirectUrl": "not a url"}),
        json!({"clientId": ""}),
        json!({"displayName": "x".repeat(5000)}),
    ] {
        let res = s.app.patch(&format!("{CUSTOM}/{id}")).bearer(&s.vendor).json(bad.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("tokenUrl");
    assert_error(&s.app.post(CUSTOM).bearer(&s.vendor).json(missing).send().await, StatusCode::BAD_REQUEST);
    let res = s.app.post(CUSTOM).bearer(&s.vendor).raw("{", "application/json").send().await;
    assert!(res.status.is_client_error(), "{}", res.status);
    for bad in
        [json!({"type": "myspace", "clientId": "c", "secret": "s", "redirectUrl": REDIRECT}), json!({"type": "google"})]
    {
        assert_error(&s.app.post(CONFIGURE).bearer(&s.vendor).json(bad).send().await, StatusCode::BAD_REQUEST);
    }

    // A user token on the vendor-only operations.
    let tenant = s.app.seed_tenant("acme").await;
    let (_, user) = s.app.member_with("admin@acme.test", &tenant, &["fe.secure.write.users"]).await;
    for res in [
        s.app.post(CUSTOM).bearer(&user).json(body.clone()).send().await,
        s.app.get(CUSTOM).bearer(&user).send().await,
        s.app.patch(&format!("{CUSTOM}/{id}")).bearer(&user).json(json!({"active": false})).send().await,
        s.app.delete(&format!("{CUSTOM}/{id}")).bearer(&user).send().await,
        s.app.post(CONFIGURE).bearer(&user).json(json!({"type": "google"})).send().await,
    ] {
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.body, json!({"errors": ["Failed to verify vendor JWT"]}));
    }

    // Delete; then unknown ids are 404.
    let res = s.app.delete(&format!("{CUSTOM}/{id}")).bearer(&s.vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_error(&s.app.delete(&format!("{CUSTOM}/{id}")).bearer(&s.vendor).send().await, StatusCode::NOT_FOUND);
    assert_error(
        &s.app.patch(&format!("{CUSTOM}/{id}")).bearer(&s.vendor).json(json!({"active": true})).send().await,
        StatusCode::NOT_FOUND,
    );
    // A built-in provider is not a custom one.
    assert_error(&s.app.delete(&format!("{CUSTOM}/google")).bearer(&s.vendor).send().await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_mfa_policy_applies_to_social_sign_ins() {
    let s = setup().await;
    let res = s
        .app
        .put("/identity/resources/configurations/v1/mfa-policy")
        .bearer(&s.vendor)
        .json(json!({"enforceMFAType": "Force"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let a = s.authorize("google").await;
    let code = s.issue_code(&a, google_user("mfa@gmail.test", true), Value::Null);
    let res = s.postlogin("google", &code, &a.state).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["mfaRequired"].as_bool(), res.body["mfaEnrolled"].as_bool()), (Some(true), Some(false)));
    assert!(res.body.get("accessToken").is_none(), "{}", res.text);
    assert!(res.cookie("fe_refresh_").is_none(), "no session before the second factor");
    assert!(res.body["mfaToken"].is_string());
    assert_eq!(res.body["isNewUser"], true);
}
