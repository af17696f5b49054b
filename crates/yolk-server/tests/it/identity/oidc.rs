//! OIDC sign-on end to end against an OpenID provider served on 127.0.0.1 by the test (discovery, a token
//! endpoint that checks the client's secret and the PKCE verifier, a JWKS): the prelogin answers the authorization
//! URL, the provider issues a code for it, and the postlogin turns the code into a session in the configuration's
//! tenant. Hostile `id_token`s (wrong nonce, audience, issuer, key, algorithm, expired, unverified email, another
//! domain) and a spent or unknown state are refused with no session and no user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};

use crate::support::{TestApp, claims};

const CONFIGS: &str = "/team/resources/sso/v1/configurations";
const CLIENT_ID: &str = "yolk-client";
const SECRET: &str = "s3cret&more";

fn key(name: &str) -> EncodingKey {
    let pem =
        std::fs::read(format!("{}/../yolk-testkit/fixtures/saml/{name}.key", env!("CARGO_MANIFEST_DIR"))).unwrap();
    EncodingKey::from_rsa_pem(&pem).unwrap()
}

/// What the provider's token endpoint knows about an issued code.
#[derive(Clone)]
struct Grant {
    challenge: String,
    redirect_uri: String,
    id_token: String,
}

#[derive(Clone)]
struct Provider {
    issuer: String,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
}

async fn discovery(State(p): State<Provider>) -> Json<Value> {
    Json(json!({
        "issuer": p.issuer, "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer), "jwks_uri": format!("{}/jwks", p.issuer),
    }))
}

async fn jwks() -> Json<Value> {
    let mut jwk = Jwk::from_encoding_key(&key("idp"), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("idp-1".into());
    Json(json!({"keys": [jwk]}))
}

async fn token(
    State(p): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    let deny = |e: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": e})));
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{}", "s3cret%26more"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Err(deny("invalid_client"));
    }
    let grant = p
        .grants
        .lock()
        .unwrap()
        .remove(form.get("code").map(String::as_str).unwrap_or(""))
        .ok_or(deny("invalid_grant"))?;
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    if challenge != grant.challenge || form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return Err(deny("invalid_grant"));
    }
    Ok(Json(json!({"access_token": "at", "token_type": "Bearer", "id_token": grant.id_token})))
}

struct Oidc {
    app: TestApp,
    provider: Provider,
    tenant: String,
}

async fn setup() -> Oidc {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider { issuer: issuer.clone(), grants: Arc::default() };
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let res = app
        .post(CONFIGS)
        .bearer(&vendor)
        .tenant(&tenant)
        .json(json!({"enabled": true, "type": "oidc", "ssoEndpoint": issuer, "oidcClientId": CLIENT_ID, "oidcSecret": SECRET}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let res = app
        .post(&format!("{CONFIGS}/{id}/domains"))
        .bearer(&vendor)
        .tenant(&tenant)
        .json(json!({"domain": "corp.test"}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = app.put(&format!("{CONFIGS}/domains/corp.test/force-validate")).bearer(&vendor).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    Oidc { app, provider, tenant }
}

/// The authorization request the prelogin answered.
struct Authorize {
    state: String,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

impl Oidc {
    async fn prelogin(&self, email: &str) -> Authorize {
        let res =
            self.app.post("/identity/resources/auth/v2/user/sso/prelogin").json(json!({"email": email})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["idpType"], "oidc");
        let url = url::Url::parse(res.body["address"].as_str().unwrap()).unwrap();
        assert_eq!(url.path(), "/authorize");
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!((q["response_type"].as_str(), q["client_id"].as_str()), ("code", CLIENT_ID));
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        Authorize {
            state: q["state"].clone(),
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: q["redirect_uri"].clone(),
        }
    }

    /// The provider's part: the user signed in, a code is issued for `claims` signed with `key`.
    fn issue_code(&self, a: &Authorize, claims: Value, header: Header, key: &EncodingKey) -> String {
        let id_token = jsonwebtoken::encode(&header, &claims, key).unwrap();
        let code = uuid::Uuid::new_v4().to_string();
        let grant = Grant { challenge: a.challenge.clone(), redirect_uri: a.redirect_uri.clone(), id_token };
        self.provider.grants.lock().unwrap().insert(code.clone(), grant);
        code
    }

    fn claims(&self, a: &Authorize, email: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.provider.issuer, "aud": CLIENT_ID, "sub": format!("sub-{email}"), "email": email,
            "email_verified": true, "given_name": "Olga", "family_name": "Idc", "nonce": a.nonce,
            "iat": now, "exp": now + 300, "groups": ["eng"],
        })
    }

    async fn postlogin(&self, code: &str, state: &str) -> crate::support::TestResponse {
        self.app
            .post("/identity/resources/auth/v2/user/oidc/postlogin")
            .json(json!({"code": code, "RelayState": state}))
            .send()
            .await
    }
}

fn rs256() -> Header {
    Header { kid: Some("idp-1".into()), ..Header::new(Algorithm::RS256) }
}

#[tokio::test]
async fn an_oidc_sign_on_provisions_the_user_and_spends_the_state() {
    let o = setup().await;
    let a = o.prelogin("olga@corp.test").await;
    assert!(a.redirect_uri.ends_with("/account/oidc/callback"), "{}", a.redirect_uri);
    let code = o.issue_code(&a, o.claims(&a, "olga@corp.test"), rs256(), &key("idp"));
    let res = o.postlogin(&code, &a.state).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let c = claims(res.body["accessToken"].as_str().unwrap());
    assert_eq!((c["email"].as_str(), c["tenantId"].as_str()), (Some("olga@corp.test"), Some(o.tenant.as_str())));
    assert!(res.cookie("fe_refresh_").is_some());
    let user = o.app.store.get_user_by_email("olga@corp.test").await.unwrap();
    assert_eq!(user.name.as_deref(), Some("Olga Idc"));

    // The state is spent: the same callback again is refused (the v1 form too).
    let code = o.issue_code(&a, o.claims(&a, "olga@corp.test"), rs256(), &key("idp"));
    assert_eq!(o.postlogin(&code, &a.state).await.status, StatusCode::UNAUTHORIZED);
    let res = o
        .app
        .post("/identity/resources/auth/v1/user/oidc/postlogin")
        .json(json!({"code": code, "state": "never-issued"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = o.app.post("/identity/resources/auth/v2/user/oidc/postlogin").json(json!({"code": "x"})).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn hostile_id_tokens_are_refused_with_no_session_and_no_user() {
    let o = setup().await;
    type Change = Box<dyn Fn(&mut Value, &mut Header) -> Option<EncodingKey>>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "wrong nonce",
            Box::new(|c, _| {
                c["nonce"] = json!("other");
                None
            }),
        ),
        (
            "no nonce",
            Box::new(|c, _| {
                c.as_object_mut().unwrap().remove("nonce");
                None
            }),
        ),
        (
            "wrong audience",
            Box::new(|c, _| {
                c["aud"] = json!("someone-else");
                None
            }),
        ),
        (
            "several audiences, azp not ours",
            Box::new(|c, _| {
                c["aud"] = json!([CLIENT_ID, "other"]);
                c["azp"] = json!("other");
                None
            }),
        ),
        (
            "wrong issuer",
            Box::new(|c, _| {
                c["iss"] = json!("https://evil.test");
                None
            }),
        ),
        (
            "expired",
            Box::new(|c, _| {
                c["exp"] = json!(chrono::Utc::now().timestamp() - 600);
                None
            }),
        ),
        (
            "unverified email",
            Box::new(|c, _| {
                c["email_verified"] = json!(false);
                None
            }),
        ),
        (
            "another domain",
            Box::new(|c, _| {
                c["email"] = json!("mallory@evil.test");
                None
            }),
        ),
        ("another key", Box::new(|_, _| Some(key("other")))),
        (
            "HS256 with the client secret",
            Box::new(|_, h| {
                *h = Header::new(Algorithm::HS256);
                Some(EncodingKey::from_secret(SECRET.as_bytes()))
            }),
        ),
    ];
    for (i, (name, change)) in cases.into_iter().enumerate() {
        let email = format!("victim{i}@corp.test");
        let a = o.prelogin(&email).await;
        let mut c = o.claims(&a, &email);
        let mut header = rs256();
        let key = change(&mut c, &mut header).unwrap_or_else(|| key("idp"));
        let code = o.issue_code(&a, c, header, &key);
        let res = o.postlogin(&code, &a.state).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {}", res.text);
        assert!(res.cookie("fe_refresh_").is_none(), "{name}");
        assert!(o.app.store.get_user_by_email(&email).await.is_err(), "{name}: a user was made");
        assert!(o.app.store.get_user_by_email("mallory@evil.test").await.is_err(), "{name}");
    }

    // A code the provider refuses (PKCE bound to another login) is a refusal too.
    let a = o.prelogin("pat@corp.test").await;
    let b = o.prelogin("pat@corp.test").await;
    let code = o.issue_code(&b, o.claims(&a, "pat@corp.test"), rs256(), &key("idp"));
    assert_eq!(o.postlogin(&code, &a.state).await.status, StatusCode::UNAUTHORIZED);
}
