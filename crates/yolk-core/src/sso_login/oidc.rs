//! The OpenID Connect relying party: discovery, the authorization-code request (PKCE S256, `state`, `nonce`),
//! the code exchange and the `id_token` checks.
//!
//! Written over `jsonwebtoken` (which already verifies yolk's own tokens) and `reqwest` rather than the
//! `openidconnect` crate: the RP needs four documents and one signature check, and a second JOSE stack would
//! bring its own RSA and elliptic-curve implementations into the binary. The checks are OpenID Connect Core
//! 3.1.3.7's: the signature with a key of the IdP's JWKS under an asymmetric algorithm (never `none` or HMAC, never
//! an algorithm the key was not made for), `iss` = the discovered issuer, `aud` holds our client id (and `azp` is
//! ours when there are several), `exp` in the future (small leeway), `nonce` = the one this login sent.

use std::time::Duration as StdDuration;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Algorithms an `id_token` may be signed with.
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Largest document read from an IdP.
const MAX_BODY: usize = 256 * 1024;

/// The provider metadata the RP uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// The claims the RP reads from a verified `id_token`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: Option<serde_json::Value>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    #[serde(default)]
    pub groups: Option<serde_json::Value>,
    pub nonce: Option<String>,
    pub azp: Option<String>,
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
}

impl IdClaims {
    /// `email_verified` as a boolean (some IdPs send the string `"true"`).
    pub fn email_verified(&self) -> bool {
        match &self.email_verified {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    pub fn groups(&self) -> Vec<String> {
        match &self.groups {
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
            }
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

/// The HTTP client the RP talks to IdPs with: short timeouts, no redirects followed.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(StdDuration::from_secs(10))
        .connect_timeout(StdDuration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

async fn get_json<T: serde::de::DeserializeOwned>(client: &reqwest::Client, url: &str) -> Result<T, String> {
    let res = client.get(url).header("accept", "application/json").send().await.map_err(|e| e.to_string())?;
    read_json(res).await
}

pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, String> {
    let status = res.status();
    if res.content_length().is_some_and(|n| n as usize > MAX_BODY) {
        return Err("the IdP's answer is too large".into());
    }
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > MAX_BODY {
        return Err("the IdP's answer is too large".into());
    }
    if !status.is_success() {
        return Err(format!("the IdP answered {status}"));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("the IdP's answer is not the expected JSON: {e}"))
}

/// Discovery (`<issuer>/.well-known/openid-configuration`); the document's `issuer` must be the one configured.
pub async fn discover(client: &reqwest::Client, issuer: &str) -> Result<Discovery, String> {
    let base = issuer.trim_end_matches('/');
    let d: Discovery = get_json(client, &format!("{base}/.well-known/openid-configuration")).await?;
    if d.issuer.trim_end_matches('/') != base {
        return Err("the discovery document names another issuer".into());
    }
    Ok(d)
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = crate::secrets::random_token();
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    (verifier, challenge)
}

/// The authorization request URL.
pub fn authorize_url(
    d: &Discovery,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
    challenge: &str,
) -> Result<String, String> {
    let mut url = url::Url::parse(&d.authorization_endpoint).map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid email profile")
        .append_pair("state", state)
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url.into())
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

/// Exchanges the code (client_secret_basic, with the PKCE verifier) for the `id_token`.
pub async fn exchange_code(
    client: &reqwest::Client,
    d: &Discovery,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<String, String> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let res = client
        .post(&d.token_endpoint)
        .basic_auth(form_encode(client_id), Some(form_encode(client_secret)))
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let answer: TokenAnswer = read_json(res).await?;
    answer.id_token.ok_or_else(|| "the token endpoint gave no id_token".into())
}

/// RFC 6749 2.3.1: the client id and secret are form-encoded before Basic authentication.
fn form_encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Verifies the `id_token` with the IdP's JWKS.
pub async fn verify_id_token(
    client: &reqwest::Client,
    d: &Discovery,
    id_token: &str,
    client_id: &str,
    nonce: &str,
) -> Result<IdClaims, String> {
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| "the id_token is not a JWT".to_owned())?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(format!("the id_token's algorithm {:?} is not accepted", header.alg));
    }
    let jwks: JwkSet = get_json(client, &d.jwks_uri).await?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or("no key of the IdP's JWKS matches the id_token")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("the IdP's key cannot be used: {e}"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[d.issuer.as_str()]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 60;
    let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
        .map_err(|e| format!("the id_token is refused: {e}"))?
        .claims;
    if claims.nonce.as_deref() != Some(nonce) {
        return Err("the id_token's nonce is not this login's".into());
    }
    if let Some(serde_json::Value::Array(auds)) = &claims.aud
        && auds.len() > 1
        && claims.azp.as_deref() != Some(client_id)
    {
        return Err("the id_token is for several audiences and not authorized for us".into());
    }
    Ok(claims)
}
