//! JWTs: the environment (vendor) token and the user token. RS256 only: verification pins the algorithm, so a
//! token signed with HS256 (or `none`) is refused whatever its header says.
//!
//! An environment token is bound to the credential (client id and secret) it was issued under: it names the
//! credential's generation ([`credential_generation`]), and it verifies only while that is the generation in force.
//! So changing the API key (a restart with another `YOLK_API_KEY`) ends every environment token issued under the
//! old one: on the node that made the change at once, on the others within the [`CredentialCache`]'s TTL.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use yolk_domain::{Clock, EnvironmentCredentials};
use yolk_store::Store;

use crate::access::VENDOR_JWT_ERROR;
use crate::keys::{KeyRing, SharedKeyRing};
use crate::{CoreError, CoreResult};

/// The `type` claim of environment tokens.
pub const VENDOR_TOKEN_TYPE: &str = "vendor";
/// The `type` claim of user tokens.
pub const USER_TOKEN_TYPE: &str = "userToken";

/// Claims of the environment token returned by `POST /auth/vendor`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VendorClaims {
    /// The environment's client id.
    pub sub: String,
    #[serde(rename = "type")]
    pub token_type: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// The generation of the credential the token was issued under ([`credential_generation`]). Tokens of an older
    /// build lack it (read as empty), and no generation is empty: they are refused.
    #[serde(rename = "credentialGeneration", default)]
    pub credential_generation: String,
}

/// Claims of a user access token (CLIENTS.md §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserClaims {
    pub sub: String,
    pub name: String,
    pub email: String,
    #[serde(rename = "email_verified")]
    pub email_verified: bool,
    /// The user's metadata as an object (`{}` when none).
    pub metadata: serde_json::Value,
    /// Role keys in the token's tenant.
    pub roles: Vec<String>,
    /// Permission keys in the token's tenant.
    pub permissions: Vec<String>,
    pub tenant_id: String,
    pub tenant_ids: Vec<String>,
    pub profile_picture_url: Option<String>,
    /// The session id.
    pub sid: String,
    #[serde(rename = "type")]
    pub token_type: String,
    pub application_id: String,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub super_user: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invisible: Option<bool>,
}

/// A verified token of either kind.
#[derive(Debug, Clone)]
pub enum VerifiedToken {
    /// An environment token.
    Vendor(VendorClaims),
    /// A user access token.
    User(Box<UserClaims>),
}

/// Token lifetimes and the issuer.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `iss` of every token (the server's public base URL).
    pub issuer: String,
    /// The environment's client id: `aud` and `applicationId` of user tokens.
    pub client_id: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub vendor_ttl_secs: i64,
}

/// Domain separation of [`credential_generation`]: this derivation's output is never another one's.
const GENERATION_LABEL: &str = "yolk environment credential generation v1";

/// PBKDF2 rounds of [`credential_generation`]. An environment token is handed to whoever knows the secret, but it
/// may leak (a log, a proxy); its generation must not be a fast test of guesses at an operator-chosen secret. A
/// node derives it once per credential (the [`CredentialCache`] keeps it): about 15 ms.
const GENERATION_ROUNDS: u32 = 100_000;

/// The generation of a credential: 16 hex digits (64 bits) of PBKDF2-HMAC-SHA256 over the stored secret hash,
/// salted with a fixed label and the client id. The same credential always has the same generation, so every node
/// derives it from the store alone; another secret or client id has another one. It reveals nothing of the hash
/// beyond what a slow, salted test of a guess at the secret gives.
pub fn credential_generation(creds: &EnvironmentCredentials) -> String {
    let mut salt = Vec::with_capacity(GENERATION_LABEL.len() + 1 + creds.client_id.len());
    salt.extend_from_slice(GENERATION_LABEL.as_bytes());
    salt.push(0);
    salt.extend_from_slice(creds.client_id.as_bytes());
    let mut out = [0u8; 8];
    let rounds = NonZeroU32::new(GENERATION_ROUNDS).expect("non-zero rounds");
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        &salt,
        creds.secret_sha256.as_bytes(),
        &mut out,
    );
    hex::encode(out)
}

/// After refusing an environment token of another generation, a node re-reads the credential (a token issued under
/// a credential changed on another node then works here at once) at most once per this many milliseconds, so a
/// flood of stale tokens costs at most one store query per interval.
const MISMATCH_RECHECK_MS: i64 = 100;

/// The credential in force, as this node last read it.
struct Reading {
    creds: EnvironmentCredentials,
    generation: String,
    read_at: DateTime<Utc>,
    /// Readings are numbered when they start: a later-started one saw the store at least as new.
    ticket: u64,
}

#[derive(Default)]
struct Known {
    reading: Option<Reading>,
    last_recheck: Option<DateTime<Utc>>,
}

struct CacheInner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    tickets: AtomicU64,
    known: Mutex<Known>,
}

/// The environment credential's generation in force, cached per node (cheap to clone; clones share it), so that
/// checking an environment token costs no store query while the cached reading is younger than the TTL.
///
/// The staleness bound: start-up writes the configured credential and records it here, and `POST /auth/vendor`
/// records what it reads, so this node sees its own change at once; another node's change is seen within the TTL
/// (the access cache's, 2 s by default), sooner when a token of another generation makes it re-read.
#[derive(Clone)]
pub struct CredentialCache(Arc<CacheInner>);

impl CredentialCache {
    /// A cache over `store` whose reading lives `ttl_ms` (0: read the store for every environment token).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, ttl_ms: u64) -> Self {
        let ttl = Duration::milliseconds(i64::try_from(ttl_ms).unwrap_or(i64::MAX));
        Self(Arc::new(CacheInner {
            store,
            clock,
            ttl,
            tickets: AtomicU64::new(0),
            known: Mutex::new(Known::default()),
        }))
    }

    /// Records `creds` as the credential in force now (this process just wrote it): seen at once.
    pub fn observe(&self, creds: &EnvironmentCredentials) {
        let ticket = self.0.tickets.fetch_add(1, Ordering::AcqRel);
        self.record(ticket, self.0.clock.now(), creds.clone());
    }

    /// Reads the credential in force from the store, records it, and returns it with its generation.
    pub async fn read(&self) -> CoreResult<Option<(EnvironmentCredentials, String)>> {
        // The ticket and the time are taken before the query: the reading is at least as new as both.
        let ticket = self.0.tickets.fetch_add(1, Ordering::AcqRel);
        let now = self.0.clock.now();
        let Some(creds) = self.0.store.credentials().await? else { return Ok(None) };
        let generation = self.record(ticket, now, creds.clone());
        Ok(Some((creds, generation)))
    }

    /// Whether `generation` is the one in force: from the cached reading while it is younger than the TTL, else
    /// (and, at most once per `MISMATCH_RECHECK_MS`, when it differs) from the store.
    pub async fn admits(&self, generation: &str) -> CoreResult<bool> {
        let now = self.0.clock.now();
        {
            let mut known = self.known();
            let fresh = known.reading.as_ref().filter(|r| r.read_at <= now && now - r.read_at < self.0.ttl);
            if let Some(r) = fresh {
                if r.generation == generation {
                    return Ok(true);
                }
                let recheck = Duration::milliseconds(MISMATCH_RECHECK_MS);
                if known.last_recheck.is_some_and(|t| t <= now && now - t < recheck) {
                    return Ok(false);
                }
                known.last_recheck = Some(now);
            }
        }
        Ok(self.read().await?.is_some_and(|(_, current)| current == generation))
    }

    /// The generation of `creds`: the known one when `creds` is the credential last read, else derived (outside
    /// the lock: it takes about 15 ms, once per credential).
    pub fn generation_of(&self, creds: &EnvironmentCredentials) -> String {
        let known = self.known().reading.as_ref().filter(|r| r.creds == *creds).map(|r| r.generation.clone());
        known.unwrap_or_else(|| credential_generation(creds))
    }

    /// Keeps the newest reading; returns the generation of `creds`.
    fn record(&self, ticket: u64, read_at: DateTime<Utc>, creds: EnvironmentCredentials) -> String {
        let generation = self.generation_of(&creds);
        let mut known = self.known();
        if known.reading.as_ref().is_none_or(|r| r.ticket < ticket) {
            known.reading = Some(Reading { creds, generation: generation.clone(), read_at, ticket });
        }
        generation
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.0.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Issues and verifies tokens with the key ring (the one in force: it is reloaded from the store while the node
/// runs, see `keys`), and checks environment tokens against the credential in force.
#[derive(Clone)]
pub struct Tokens {
    keys: SharedKeyRing,
    settings: Arc<TokenSettings>,
    /// `None` only in a service built by [`Tokens::without_credentials`]: it refuses every environment token.
    credentials: Option<CredentialCache>,
}

impl Tokens {
    /// A token service over `keys`, checking environment tokens against the credential in force.
    pub fn new(keys: impl Into<SharedKeyRing>, settings: TokenSettings, credentials: CredentialCache) -> Self {
        Self { keys: keys.into(), settings: Arc::new(settings), credentials: Some(credentials) }
    }

    /// A token service for user tokens alone (a tool with no store, such as the benchmark): it refuses every
    /// environment token and cannot issue one.
    pub fn without_credentials(keys: impl Into<SharedKeyRing>, settings: TokenSettings) -> Self {
        Self { keys: keys.into(), settings: Arc::new(settings), credentials: None }
    }

    /// The settings in force.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The credential in force, read from the store. Reading it also refreshes this node's view of it.
    pub async fn current_credentials(&self) -> CoreResult<EnvironmentCredentials> {
        let none = || CoreError::Internal("no credentials".into());
        let (creds, _) = self.credentials.as_ref().ok_or_else(none)?.read().await?.ok_or_else(none)?;
        Ok(creds)
    }

    /// The key ring in force.
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.snapshot()
    }

    fn sign<T: Serialize>(&self, claims: &T) -> CoreResult<String> {
        let ring = self.keys.snapshot();
        let (kid, key) = ring.signing_key();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        encode(&header, claims, key).map_err(|e| CoreError::Internal(format!("sign: {e}")))
    }

    fn verify<T: for<'de> Deserialize<'de>>(&self, token: &str) -> Result<T, jsonwebtoken::errors::Error> {
        let header = decode_header(token)?;
        let ring = self.keys.snapshot();
        let kid = header.kid.as_deref().unwrap_or(ring.signing_kid());
        let key = ring
            .decoding_key(kid)
            .ok_or_else(|| jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        // `iss` is not pinned: nodes of one environment may answer at different addresses (each defaults its
        // issuer to its listen address). The shared signing key binds a token to the environment.
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Ok(decode::<T>(token, key, &validation)?.claims)
    }

    /// A new environment token for `creds` (the credential in force, just checked) and its lifetime in seconds.
    pub fn issue_vendor_token(&self, creds: &EnvironmentCredentials, now: DateTime<Utc>) -> CoreResult<(String, i64)> {
        let ttl = self.settings.vendor_ttl_secs;
        let credentials = self.credentials.as_ref().ok_or_else(|| CoreError::Internal("no credentials".into()))?;
        let generation = credentials.generation_of(creds);
        let claims = VendorClaims {
            sub: creds.client_id.clone(),
            token_type: VENDOR_TOKEN_TYPE.to_owned(),
            iss: self.settings.issuer.clone(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl,
            credential_generation: generation,
        };
        Ok((self.sign(&claims)?, ttl))
    }

    /// Verifies a token once (signature, algorithm, expiry) and tells which kind it is by its `type`. Routes that
    /// accept either kind call this instead of trying one verifier after the other (two RSA verifications). An
    /// environment token verifies only under the credential generation in force (else 401
    /// [`VENDOR_JWT_ERROR`]), so every [`VerifiedToken::Vendor`] is one of the current credential.
    pub async fn verify_any(&self, token: &str) -> CoreResult<VerifiedToken> {
        let verified = self.decode_any(token)?;
        if let VerifiedToken::Vendor(c) = &verified {
            let current = match &self.credentials {
                Some(credentials) => credentials.admits(&c.credential_generation).await?,
                None => false,
            };
            if !current {
                return Err(CoreError::Unauthorized(VENDOR_JWT_ERROR.into()));
            }
        }
        Ok(verified)
    }

    /// [`Tokens::verify_any`] without the credential check: only for callers that refuse environment tokens.
    fn decode_any(&self, token: &str) -> CoreResult<VerifiedToken> {
        let claims = self.verify::<serde_json::Value>(token).map_err(|e| {
            CoreError::Unauthorized(match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "Token expired".into(),
                _ => "Invalid authorization token".into(),
            })
        })?;
        let invalid = || CoreError::Unauthorized("Invalid authorization token".into());
        match claims.get("type").and_then(serde_json::Value::as_str) {
            Some(VENDOR_TOKEN_TYPE) => {
                let c: VendorClaims = serde_json::from_value(claims).map_err(|_| invalid())?;
                if c.sub == self.settings.client_id { Ok(VerifiedToken::Vendor(c)) } else { Err(invalid()) }
            }
            Some(USER_TOKEN_TYPE) => {
                serde_json::from_value(claims).map(|c| VerifiedToken::User(Box::new(c))).map_err(|_| invalid())
            }
            _ => Err(CoreError::Unauthorized("Invalid token type".into())),
        }
    }

    /// Signs user claims.
    pub fn issue_user_token(&self, claims: &UserClaims) -> CoreResult<String> {
        self.sign(claims)
    }

    /// Verifies a user access token.
    pub fn verify_user_token(&self, token: &str) -> CoreResult<UserClaims> {
        match self.decode_any(token)? {
            VerifiedToken::User(c) => Ok(*c),
            VerifiedToken::Vendor(_) => Err(CoreError::Unauthorized("Invalid token type".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::sha256_hex;

    fn creds(client_id: &str, secret: &str) -> EnvironmentCredentials {
        EnvironmentCredentials { client_id: client_id.into(), secret_sha256: sha256_hex(secret) }
    }

    #[test]
    fn the_generation_names_one_credential_without_revealing_its_hash() {
        let one = creds("2a7f0c1e-5b7d-4c55-9f57-0c6f1a0c0d11", "first-secret");
        let generation = credential_generation(&one);
        assert_eq!(generation.len(), 16);
        assert!(generation.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{generation}");
        // Stable: every node derives the same generation from the same stored credential.
        assert_eq!(credential_generation(&one.clone()), generation);
        // Another secret, or the same secret under another client id, is another generation.
        let other_secret = creds("2a7f0c1e-5b7d-4c55-9f57-0c6f1a0c0d11", "second-secret");
        let other_client = creds("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "first-secret");
        assert_ne!(credential_generation(&other_secret), generation);
        assert_ne!(credential_generation(&other_client), generation);
        // Not the stored hash, nor any part of it, nor a plain hash of it.
        for c in [&one, &other_secret, &other_client] {
            let g = credential_generation(c);
            assert!(!c.secret_sha256.contains(&g) && !g.contains(&c.secret_sha256[..8]), "{g}");
            assert!(!sha256_hex(&c.secret_sha256).contains(&g), "{g}");
            assert!(!sha256_hex(&format!("{GENERATION_LABEL}{}{}", c.secret_sha256, c.client_id)).contains(&g));
        }
    }
}
