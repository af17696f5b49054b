//! JWTs: the environment (vendor) token and the user token. RS256 only: verification pins the algorithm, so a
//! token signed with HS256 (or `none`) is refused whatever its header says. Tokens are signed and checked with the
//! ring's keys parsed once (`jws.rs`); a token that verified is kept in a bounded per-node cache
//! (`verified.rs`) until its `exp`, while the key that verified it is in the ring.
//!
//! An environment token is bound to the credential (client id and secret) it was issued under: it names the
//! credential's generation ([`credential_generation`]), and it verifies only while that is the generation in force.
//! So changing the API key (a restart with another `YOLK_API_KEY`) ends every environment token issued under the
//! old one: on the node that made the change at once, on the others within the [`CredentialCache`]'s TTL.

mod verified;

use std::borrow::Cow;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use yolk_domain::{Clock, EnvironmentCredentials};
use yolk_store::Store;

use crate::access::VENDOR_JWT_ERROR;
use crate::jws;
use crate::keys::{KeyRing, SharedKeyRing};
use crate::{CoreError, CoreResult};
pub use verified::DEFAULT_ENTRIES as DEFAULT_VERIFIED_CACHE_ENTRIES;
use verified::{Lookup, VerifiedCache, token_digest};

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

/// A verified token of either kind. Cheap to clone: the claims are shared (with the verified-token cache).
#[derive(Debug, Clone)]
pub enum VerifiedToken {
    /// An environment token.
    Vendor(Arc<VendorClaims>),
    /// A user access token.
    User(Arc<UserClaims>),
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

    /// The credential in force and its generation: the cached reading while it is younger than the TTL (no store
    /// query), else read from the store. `POST /auth/vendor` checks a secret against this, and reads the store
    /// again when it does not match (see [`crate::auth::AuthService::environment_token`]), so a new secret works
    /// at once and an old one at most the TTL after the change: the bound environment tokens already have.
    pub async fn current(&self) -> CoreResult<Option<(EnvironmentCredentials, String)>> {
        let now = self.0.clock.now();
        {
            let known = self.known();
            let fresh = known.reading.as_ref().filter(|r| r.read_at <= now && now - r.read_at < self.0.ttl);
            if let Some(r) = fresh {
                return Ok(Some((r.creds.clone(), r.generation.clone())));
            }
        }
        self.read().await
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

/// The claims verification reads before it knows the token's kind.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow, default)]
    token_type: Option<Cow<'a, str>>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(borrow, default)]
    sub: Option<Cow<'a, str>>,
}

/// Seconds since the epoch on the system clock: what `exp` is checked against (as `jsonwebtoken` did).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn invalid_token() -> CoreError {
    CoreError::Unauthorized("Invalid authorization token".into())
}

/// Issues and verifies tokens with the key ring (the one in force: it is reloaded from the store while the node
/// runs, see `keys`), and checks environment tokens against the credential in force. Clones share the ring, the
/// credential cache and the verified-token cache.
#[derive(Clone)]
pub struct Tokens {
    keys: SharedKeyRing,
    settings: Arc<TokenSettings>,
    /// `None` only in a service built by [`Tokens::without_credentials`]: it refuses every environment token.
    credentials: Option<CredentialCache>,
    /// Tokens this node verified recently (see `tokens/verified.rs`).
    verified: Arc<VerifiedCache>,
}

impl Tokens {
    /// A token service over `keys`, checking environment tokens against the credential in force.
    pub fn new(keys: impl Into<SharedKeyRing>, settings: TokenSettings, credentials: CredentialCache) -> Self {
        Self {
            keys: keys.into(),
            settings: Arc::new(settings),
            credentials: Some(credentials),
            verified: Arc::new(VerifiedCache::new(DEFAULT_VERIFIED_CACHE_ENTRIES)),
        }
    }

    /// A token service for user tokens alone (a tool with no store, such as the benchmark): it refuses every
    /// environment token and cannot issue one.
    pub fn without_credentials(keys: impl Into<SharedKeyRing>, settings: TokenSettings) -> Self {
        Self {
            keys: keys.into(),
            settings: Arc::new(settings),
            credentials: None,
            verified: Arc::new(VerifiedCache::new(DEFAULT_VERIFIED_CACHE_ENTRIES)),
        }
    }

    /// The same service with a verified-token cache of `entries` tokens (rounded down to a multiple of 32, at
    /// least 32; 0: every token is verified in full) instead of [`DEFAULT_VERIFIED_CACHE_ENTRIES`]. Clones made
    /// before do not share the new cache.
    pub fn with_verified_cache(mut self, entries: usize) -> Self {
        self.verified = Arc::new(VerifiedCache::new(entries));
        self
    }

    /// The most tokens the verified-token cache holds.
    pub fn verified_cache_capacity(&self) -> usize {
        self.verified.capacity()
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

    /// The credential in force as this node knows it: its cached reading while younger than the TTL, else read
    /// from the store (see [`CredentialCache::current`]).
    pub async fn known_credentials(&self) -> CoreResult<EnvironmentCredentials> {
        let none = || CoreError::Internal("no credentials".into());
        let (creds, _) = self.credentials.as_ref().ok_or_else(none)?.current().await?.ok_or_else(none)?;
        Ok(creds)
    }

    /// The key ring in force.
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.snapshot()
    }

    fn sign<T: Serialize>(&self, claims: &T) -> CoreResult<String> {
        self.keys.snapshot().sign(claims)
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
    /// A token verified before (byte for byte) comes from the verified-token cache while it has not expired and
    /// the key that verified it is still in the ring.
    fn decode_any(&self, token: &str) -> CoreResult<VerifiedToken> {
        self.decode_any_at(token, unix_now())
    }

    /// [`Tokens::decode_any`] at `now` (seconds since the epoch).
    fn decode_any_at(&self, token: &str, now: i64) -> CoreResult<VerifiedToken> {
        let ring = self.keys.snapshot();
        let d = token_digest(token);
        match self.verified.get(&d, &ring, now) {
            Lookup::Hit(verified) => return Ok(verified),
            Lookup::Expired => return Err(CoreError::Unauthorized("Token expired".into())),
            Lookup::Miss => {}
        }
        let (verified, exp, key) = self.verify_signed(token, &ring, now)?;
        self.verified.insert(d, verified.clone(), exp, key);
        Ok(verified)
    }

    /// The full check of a token: three parts, header `alg` RS256 (nothing else, whatever else the header says),
    /// a `kid` of the ring (or none: the signing key), the signature, then `exp` (present, not passed), `sub`
    /// (present) and the token's kind by its `type`. Returns the claims, `exp` and the key that verified them.
    fn verify_signed(
        &self,
        token: &str,
        ring: &KeyRing,
        now: i64,
    ) -> CoreResult<(VerifiedToken, i64, std::sync::Weak<crate::keys::RingKey>)> {
        let parts = jws::split(token).ok_or_else(invalid_token)?;
        let header = jws::decode_part(parts.header).ok_or_else(invalid_token)?;
        let header: jws::JoseHeader<'_> = serde_json::from_slice(&header).map_err(|_| invalid_token())?;
        if header.alg != jws::ALG || header.crit.is_some() {
            return Err(invalid_token());
        }
        let key = match header.kid.as_deref() {
            Some(kid) => ring.verifying_key(kid),
            None => Some(ring.signing_key()),
        };
        let key = key.ok_or_else(invalid_token)?;
        if !key.verifies(parts.signing_input, parts.signature) {
            return Err(invalid_token());
        }
        let payload = jws::decode_part(parts.payload).ok_or_else(invalid_token)?;
        let probe: Probe<'_> = serde_json::from_slice(&payload).map_err(|_| invalid_token())?;
        let (Some(exp), Some(_)) = (probe.exp, &probe.sub) else { return Err(invalid_token()) };
        if exp < now {
            return Err(CoreError::Unauthorized("Token expired".into()));
        }
        let verified = match probe.token_type.as_deref() {
            Some(VENDOR_TOKEN_TYPE) => {
                let c: VendorClaims = serde_json::from_slice(&payload).map_err(|_| invalid_token())?;
                if c.sub != self.settings.client_id {
                    return Err(invalid_token());
                }
                VerifiedToken::Vendor(Arc::new(c))
            }
            Some(USER_TOKEN_TYPE) => {
                let c: UserClaims = serde_json::from_slice(&payload).map_err(|_| invalid_token())?;
                VerifiedToken::User(Arc::new(c))
            }
            _ => return Err(CoreError::Unauthorized("Invalid token type".into())),
        };
        Ok((verified, exp, Arc::downgrade(key)))
    }

    /// Signs user claims.
    pub fn issue_user_token(&self, claims: &UserClaims) -> CoreResult<String> {
        self.sign(claims)
    }

    /// Verifies a user access token.
    pub fn verify_user_token(&self, token: &str) -> CoreResult<Arc<UserClaims>> {
        match self.decode_any(token)? {
            VerifiedToken::User(c) => Ok(c),
            VerifiedToken::Vendor(_) => Err(CoreError::Unauthorized("Invalid token type".into())),
        }
    }
}

/// A typical user token's claims as a login issues them (one tenant, an admin role with eight permissions), valid
/// for `ttl_secs` from now: what the benchmarks sign and verify (`cargo xtask bench`, the `token_bench` example).
#[doc(hidden)]
pub fn sample_user_claims(audience: &str, issuer: &str, sid: &str, ttl_secs: i64) -> UserClaims {
    let now = chrono::Utc::now().timestamp();
    let tenant = "6f1c2a4e-3b8d-4c1e-9f2a-7d5e8b9c0a1b".to_owned();
    UserClaims {
        sub: "0b9d4f8e-2c7a-4e1b-8d3f-5a6c7e8f9a0b".into(),
        name: "Ada Lovelace".into(),
        email: "ada.lovelace@example.com".into(),
        email_verified: true,
        metadata: serde_json::json!({}),
        roles: vec!["Admin".into()],
        permissions: [
            "fe.secure.read.users",
            "fe.secure.write.users",
            "fe.secure.delete.users",
            "fe.secure.read.roles",
            "fe.secure.write.roles",
            "fe.account-settings.read",
            "fe.account-settings.write",
            "fe.connectivity.read",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        tenant_id: tenant.clone(),
        tenant_ids: vec![tenant],
        profile_picture_url: None,
        sid: sid.to_owned(),
        token_type: USER_TOKEN_TYPE.into(),
        application_id: audience.into(),
        aud: audience.into(),
        iss: issuer.into(),
        iat: now,
        exp: now + ttl_secs,
        super_user: None,
        invisible: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    use yolk_domain::{PrivateKey, SigningKey};

    use super::*;
    use crate::keys::generate_signing_key;
    use crate::secrets::sha256_hex;

    const CLIENT_ID: &str = "b3a1c0de-0000-4000-8000-00000000beef";

    /// Two keys for the whole test binary (generating one takes a while in debug builds).
    fn test_key(i: usize) -> SigningKey {
        static KEYS: OnceLock<[SigningKey; 2]> = OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            let now = Utc::now() - Duration::seconds(5);
            [generate_signing_key(now).unwrap(), generate_signing_key(now).unwrap()]
        });
        keys[i].clone()
    }

    fn private_pem(key: &SigningKey) -> String {
        let PrivateKey::Clear(pem) = &key.private_key else { panic!("a clear test key") };
        pem.clone()
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "http://127.0.0.1:8080".into(),
            client_id: CLIENT_ID.into(),
            access_ttl_secs: 300,
            refresh_ttl_secs: 3600,
            vendor_ttl_secs: 3600,
        }
    }

    fn tokens_over(keys: &[SigningKey]) -> (Tokens, SharedKeyRing) {
        let shared = SharedKeyRing::new(KeyRing::from_keys(keys).unwrap());
        (Tokens::without_credentials(shared.clone(), settings()), shared)
    }

    fn user_claims(exp_in: i64) -> UserClaims {
        let now = unix_now();
        UserClaims {
            sub: "0b9d4f8e-2c7a-4e1b-8d3f-5a6c7e8f9a0b".into(),
            name: "Ada \"Countess\" Lovelace é".into(),
            email: "ada@example.com".into(),
            email_verified: true,
            metadata: serde_json::json!({ "plan": "pro" }),
            roles: vec!["Admin".into()],
            permissions: vec!["fe.secure.read.users".into(), "fe.secure.write.users".into()],
            tenant_id: "6f1c2a4e-3b8d-4c1e-9f2a-7d5e8b9c0a1b".into(),
            tenant_ids: vec!["6f1c2a4e-3b8d-4c1e-9f2a-7d5e8b9c0a1b".into()],
            profile_picture_url: None,
            sid: "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f".into(),
            token_type: USER_TOKEN_TYPE.into(),
            application_id: CLIENT_ID.into(),
            aud: CLIENT_ID.into(),
            iss: "http://127.0.0.1:8080".into(),
            iat: now,
            exp: now + exp_in,
            super_user: None,
            invisible: Some(true),
        }
    }

    fn header_json(token: &str) -> serde_json::Value {
        let part = token.split('.').next().unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn message(e: CoreError) -> String {
        match e {
            CoreError::Unauthorized(m) => m,
            other => panic!("expected a 401, got {other:?}"),
        }
    }

    #[test]
    fn tokens_signed_with_the_parsed_once_key_are_the_ones_jsonwebtoken_signs_and_verifies() {
        let key = test_key(0);
        let (tokens, _) = tokens_over(std::slice::from_ref(&key));
        let claims = user_claims(300);
        let token = tokens.issue_user_token(&claims).unwrap();

        // The header has exactly the fields jsonwebtoken wrote: typ, alg and kid.
        let header = header_json(&token);
        assert_eq!(header, serde_json::json!({ "typ": "JWT", "alg": "RS256", "kid": key.kid }));
        let parsed = jsonwebtoken::decode_header(&token).unwrap();
        let mut expected = Header::new(Algorithm::RS256);
        expected.kid = Some(key.kid.clone());
        assert_eq!(parsed, expected);

        // Byte for byte what jsonwebtoken::encode gives (RSASSA-PKCS1-v1_5 is deterministic).
        let encoding = EncodingKey::from_rsa_pem(private_pem(&key).as_bytes()).unwrap();
        assert_eq!(token, jsonwebtoken::encode(&expected, &claims, &encoding).unwrap());

        // jsonwebtoken verifies it against the published public PEM (what the SDKs fetch).
        let decoding = DecodingKey::from_rsa_pem(key.public_pem.as_bytes()).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        let decoded = jsonwebtoken::decode::<UserClaims>(&token, &decoding, &validation).unwrap();
        assert_eq!(decoded.claims, claims);

        // An environment token too.
        let vendor = VendorClaims {
            sub: CLIENT_ID.into(),
            token_type: VENDOR_TOKEN_TYPE.into(),
            iss: "http://127.0.0.1:8080".into(),
            iat: unix_now(),
            exp: unix_now() + 60,
            credential_generation: "0123456789abcdef".into(),
        };
        let signed = tokens.sign(&vendor).unwrap();
        assert_eq!(signed, jsonwebtoken::encode(&expected, &vendor, &encoding).unwrap());
        let decoded = jsonwebtoken::decode::<VendorClaims>(&signed, &decoding, &validation).unwrap();
        assert_eq!(decoded.claims.credential_generation, "0123456789abcdef");
        assert!(matches!(tokens.decode_any(&signed).unwrap(), VerifiedToken::Vendor(c) if c.sub == CLIENT_ID));

        // And yolk verifies what jsonwebtoken signs.
        let theirs = jsonwebtoken::encode(&expected, &user_claims(60), &encoding).unwrap();
        assert_eq!(*tokens.verify_user_token(&theirs).unwrap(), user_claims(60));
    }

    #[test]
    fn only_rs256_signed_by_a_key_of_the_ring_verifies() {
        let key = test_key(0);
        let (tokens, _) = tokens_over(std::slice::from_ref(&key));
        let claims = user_claims(300);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let good = tokens.issue_user_token(&claims).unwrap();
        assert!(tokens.verify_user_token(&good).is_ok());
        let signature = good.rsplit('.').next().unwrap();
        let head = |json: serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).unwrap());

        let mut refused = vec![
            // alg none, with and without a signature.
            format!("{}.{body}.", head(serde_json::json!({ "alg": "none", "typ": "JWT" }))),
            format!("{}.{body}.{signature}", head(serde_json::json!({ "alg": "none", "typ": "JWT" }))),
            // A valid RS256 signature under a header that says something else (the header is signed too, but the
            // algorithm is refused before anything is checked).
            format!("{}.{body}.{signature}", head(serde_json::json!({ "alg": "HS256", "kid": key.kid }))),
            // A critical extension yolk does not understand.
            format!(
                "{}.{body}.{signature}",
                head(serde_json::json!({ "alg": "RS256", "kid": key.kid, "crit": ["b64"] }))
            ),
            // Unknown kid.
            format!("{}.{body}.{signature}", head(serde_json::json!({ "alg": "RS256", "kid": "unknown" }))),
            // Claims changed under the signature.
            format!("{}.{}.{signature}", good.split('.').next().unwrap(), URL_SAFE_NO_PAD.encode(b"{\"sub\":\"x\"}")),
            // Not a JWS.
            "not-a-token".into(),
            format!("{good}.extra"),
            format!("{good}="),
        ];
        // HS256 with the public key as the secret (the classic algorithm confusion), with and without the kid.
        let pem = key.public_pem.as_bytes();
        for kid in [None, Some(key.kid.clone())] {
            let header = Header { kid, ..Header::new(Algorithm::HS256) };
            refused.push(jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(pem)).unwrap());
        }
        // Another RSA algorithm with the ring's own key.
        let encoding = EncodingKey::from_rsa_pem(private_pem(&key).as_bytes()).unwrap();
        for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
            let header = Header { kid: Some(key.kid.clone()), ..Header::new(alg) };
            refused.push(jsonwebtoken::encode(&header, &claims, &encoding).unwrap());
        }
        // RS256 by a key that is not in the ring, naming a ring kid.
        let stranger = test_key(1);
        let other = EncodingKey::from_rsa_pem(private_pem(&stranger).as_bytes()).unwrap();
        let header = Header { kid: Some(key.kid.clone()), ..Header::new(Algorithm::RS256) };
        refused.push(jsonwebtoken::encode(&header, &claims, &other).unwrap());

        for token in &refused {
            // Twice: a refusal is never cached as anything else.
            for _ in 0..2 {
                let e = tokens.decode_any(token).err().unwrap_or_else(|| panic!("accepted: {token}"));
                assert_eq!(message(e), "Invalid authorization token", "{token}");
            }
        }
        assert_eq!(tokens.verified.len(), 1, "only the good token was cached");
    }

    #[test]
    fn expiry_is_enforced_for_cached_tokens_too() {
        let (tokens, _) = tokens_over(&[test_key(0)]);
        let expired = tokens.issue_user_token(&user_claims(-1)).unwrap();
        assert_eq!(message(tokens.decode_any(&expired).unwrap_err()), "Token expired");

        let claims = user_claims(60);
        let token = tokens.issue_user_token(&claims).unwrap();
        let now = unix_now();
        assert!(tokens.decode_any_at(&token, now).is_ok());
        assert_eq!(tokens.verified.len(), 1);
        assert!(tokens.decode_any_at(&token, claims.exp).is_ok(), "valid through its exp second");
        assert_eq!(message(tokens.decode_any_at(&token, claims.exp + 1).unwrap_err()), "Token expired");
        assert_eq!(tokens.verified.len(), 0, "an expired entry is dropped when met");
        assert_eq!(message(tokens.decode_any_at(&token, claims.exp + 1).unwrap_err()), "Token expired");
    }

    #[test]
    fn a_cached_token_dies_with_its_key() {
        let (a, b) = (test_key(0), test_key(1));
        let (tokens, shared) = tokens_over(std::slice::from_ref(&a));
        let token = tokens.issue_user_token(&user_claims(300)).unwrap();
        assert!(tokens.verify_user_token(&token).is_ok());
        assert_eq!(tokens.verified.len(), 1);
        // A reload without the key (retired): the cached verdict is not used.
        shared.replace(KeyRing::from_keys(std::slice::from_ref(&b)).unwrap());
        assert_eq!(message(tokens.decode_any(&token).unwrap_err()), "Invalid authorization token");
        // The key back (opened again): the token verifies in full again.
        shared.replace(KeyRing::from_keys(&[a, b]).unwrap());
        assert!(tokens.verify_user_token(&token).is_ok());
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_the_tokens_in_use() {
        let (tokens, _) = tokens_over(&[test_key(0)]);
        let tokens = tokens.with_verified_cache(64);
        assert_eq!(tokens.verified_cache_capacity(), 64);
        let ring = tokens.keys();
        let key = Arc::downgrade(ring.signing_key());
        let claims = Arc::new(user_claims(300));
        let hot = token_digest("hot");
        tokens.verified.insert(hot, VerifiedToken::User(claims.clone()), claims.exp, key.clone());
        for i in 0..10_000 {
            let d = token_digest(&format!("token {i}"));
            tokens.verified.insert(d, VerifiedToken::User(claims.clone()), claims.exp, key.clone());
            assert!(tokens.verified.len() <= 64);
            assert!(matches!(tokens.verified.get(&hot, &ring, unix_now()), Lookup::Hit(_)), "used, so kept");
        }
        let off = tokens.with_verified_cache(0);
        let token = off.issue_user_token(&claims).unwrap();
        assert!(off.verify_user_token(&token).is_ok());
        assert_eq!(off.verified.len(), 0, "a cache of 0 entries is off");
    }

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
