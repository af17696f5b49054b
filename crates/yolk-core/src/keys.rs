//! RS256 signing keys: kept in the store so every node signs and verifies with the same keys, sealed at rest with
//! the master key when one is configured ([`envelope`]), rotated by `yolk keys rotate`, published as PEM and JWKS.
//!
//! Rotation without a flag day: a rotated-in key is published at once but signs only from its `active_from`,
//! [`KeyTimings::activation_delay`] (two reload intervals) later. Every node reloads its ring from the store every
//! reload interval, so by the time any node signs with the new key every running node already verifies it. The
//! superseded key keeps verifying until the tokens it signed have expired ([`KeyTimings::retire_grace`]), then
//! `yolk keys retire` (or the next rotation) deletes it and nodes drop it on their next reload.

pub mod envelope;

use std::path::PathBuf;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use yolk_domain::settings::{SettingsDocument, Stamped, VendorConfig};
use yolk_domain::{Clock, PrivateKey, SigningKey};
use yolk_store::Store;
use yolk_store::keys::Reseal;

use crate::jws::JwsKey;
use crate::{CoreError, CoreResult};
pub use envelope::MasterKey;

/// How often a node reloads its key ring from the store unless configured (`key_reload_interval`), seconds.
pub const DEFAULT_RELOAD_INTERVAL_SECS: u64 = 60;

/// Generates a new 2048-bit RSA key, in clear, signing from `now`. Slow-ish (tens of milliseconds): call it off
/// the async threads.
pub fn generate_signing_key(now: DateTime<Utc>) -> CoreResult<SigningKey> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| CoreError::Internal("RSA keygen failed".into()))?;
    let private = pair.as_der().map_err(|_| CoreError::Internal("PKCS#8 encode failed".into()))?;
    let public = pair.public_key().as_der().map_err(|_| CoreError::Internal("SPKI encode failed".into()))?;
    Ok(SigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string(),
        private_key: PrivateKey::Clear(pem("PRIVATE KEY", private.as_ref())),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
        created_at: now,
        active_from: now,
    })
}

async fn generate_off_thread(now: DateTime<Utc>) -> CoreResult<SigningKey> {
    tokio::task::spawn_blocking(move || generate_signing_key(now))
        .await
        .map_err(|e| CoreError::Internal(format!("keygen task: {e}")))?
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// What a node needs to keep its key ring: the master key (by value or file) and how often to reload.
#[derive(Clone)]
pub struct KeyRingOptions {
    /// The master key's text (64 hex digits or base64 of 32 bytes).
    pub master_key: Option<String>,
    /// A file holding the master key's text.
    pub master_key_file: Option<PathBuf>,
    /// Seconds between reloads of the key ring from the store.
    pub reload_interval_secs: u64,
}

impl Default for KeyRingOptions {
    fn default() -> Self {
        Self { master_key: None, master_key_file: None, reload_interval_secs: DEFAULT_RELOAD_INTERVAL_SECS }
    }
}

impl std::fmt::Debug for KeyRingOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRingOptions")
            .field("master_key", &self.master_key.as_ref().map(|_| "<redacted>"))
            .field("master_key_file", &self.master_key_file)
            .field("reload_interval_secs", &self.reload_interval_secs)
            .finish()
    }
}

/// The time rules of rotation and retirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTimings {
    /// The longest a token yolk signs can live: the largest of the access-token and environment-token lifetimes
    /// (and the vendor configuration's `defaultTokenExpiration`), seconds.
    pub max_token_lifetime_secs: i64,
    /// Seconds between two reloads of a node's key ring.
    pub reload_interval_secs: u64,
}

impl KeyTimings {
    fn reload(&self) -> TimeDelta {
        TimeDelta::seconds(i64::try_from(self.reload_interval_secs).unwrap_or(i64::MAX / 4_000))
    }

    /// How long after a rotation the new key starts signing: two reload intervals, so every running node has
    /// loaded it (one interval) with an interval to spare for slow reloads and clock skew.
    pub fn activation_delay(&self) -> TimeDelta {
        self.reload() * 2
    }

    /// How long a superseded key keeps verifying after its successor started signing: the longest token lifetime
    /// (its last tokens expire then), plus one reload interval for clock skew between nodes.
    pub fn retire_grace(&self) -> TimeDelta {
        TimeDelta::seconds(self.max_token_lifetime_secs.max(0)) + self.reload()
    }
}

/// Where a key is in its life, at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Rotated in: published and verifying; signs from its `active_from`.
    Next,
    /// The key that signs.
    Signing,
    /// Superseded; still verifies the tokens it signed until `retirable_from`.
    Verifying,
    /// Superseded, and every token it signed has expired: `yolk keys retire` deletes it.
    Retirable,
}

impl KeyState {
    /// The state's name, as `yolk keys list` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Signing => "signing",
            Self::Verifying => "verifying",
            Self::Retirable => "retirable",
        }
    }
}

/// A key as `yolk keys list` shows it: never its private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    /// From when it signs (or signed).
    pub active_from: DateTime<Utc>,
    pub state: KeyState,
    /// For a superseded key: from when it may be retired.
    pub retirable_from: Option<DateTime<Utc>>,
    /// Whether its private half is sealed with the master key.
    pub sealed: bool,
}

/// Which of keys ordered latest `active_from` first signs at `now`: the first already active, else (every key in
/// the future, say a clock moved back) the earliest.
fn signer_index(active_from: impl ExactSizeIterator<Item = DateTime<Utc>>, now: DateTime<Utc>) -> usize {
    let n = active_from.len();
    let mut found = None;
    for (i, t) in active_from.enumerate() {
        if t <= now {
            found = Some(i);
            break;
        }
    }
    found.unwrap_or(n.saturating_sub(1))
}

fn sort_latest_first(keys: &mut [SigningKey]) {
    keys.sort_by(|a, b| (b.active_from, b.created_at, &b.kid).cmp(&(a.active_from, a.created_at, &a.kid)));
}

/// The state of each key at `now` (`keys` in any order; the answer latest `active_from` first).
pub fn key_statuses(keys: &[SigningKey], timings: &KeyTimings, now: DateTime<Utc>) -> Vec<KeyStatus> {
    let mut keys = keys.to_vec();
    sort_latest_first(&mut keys);
    let signer = signer_index(keys.iter().map(|k| k.active_from), now);
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let (state, retirable_from) = if i < signer {
                (KeyState::Next, None)
            } else if i == signer {
                (KeyState::Signing, None)
            } else {
                // Superseded when the next newer key started signing.
                let from = keys[i - 1].active_from + timings.retire_grace();
                (if now >= from { KeyState::Retirable } else { KeyState::Verifying }, Some(from))
            };
            KeyStatus {
                kid: k.kid.clone(),
                created_at: k.created_at,
                active_from: k.active_from,
                state,
                retirable_from,
                sealed: k.private_key.is_sealed(),
            }
        })
        .collect()
}

/// One key of a ring, opened: its private half parsed once (signing never parses it again), its public half parsed
/// once for verification.
pub(crate) struct RingKey {
    kid: String,
    active_from: DateTime<Utc>,
    /// SHA-256 of the stored envelope: a reload reuses the opened key while the envelope is unchanged.
    envelope_digest: Vec<u8>,
    jws: JwsKey,
    public_pem: String,
    jwk: Jwk,
}

fn envelope_digest(key: &SigningKey) -> Vec<u8> {
    let text = format!("{}\0{}\0{}", key.private_key.scheme(), key.private_key.stored_text(), key.public_pem);
    digest(&SHA256, text.as_bytes()).as_ref().to_vec()
}

impl RingKey {
    /// Opens the private half (with the master key if sealed) and checks it matches the published public half.
    fn open(key: &SigningKey, master: Option<&MasterKey>) -> CoreResult<Self> {
        let private_pem = envelope::open(master, &key.kid, &key.private_key)?;
        let bad = |what: &str| CoreError::Internal(format!("signing key {}: {what}", key.kid));
        // jsonwebtoken reads the PEMs (PKCS#8 or PKCS#1) into PKCS#1 DER; aws-lc-rs parses that once, here.
        let encoding = EncodingKey::from_rsa_pem(private_pem.as_bytes()).map_err(|_| bad("unreadable private key"))?;
        drop(private_pem);
        let decoding =
            DecodingKey::from_rsa_pem(key.public_pem.as_bytes()).map_err(|_| bad("unreadable public key"))?;
        let public_der = decoding.try_get_as_bytes().map_err(|_| bad("unreadable public key"))?;
        let jws = JwsKey::new(&key.kid, encoding.as_bytes(), public_der).map_err(bad)?;
        // The public half is stored in clear: a key pair that does not sign-and-verify is refused, not published.
        if !jws.self_check() {
            return Err(bad("the public key does not match the private key"));
        }
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).map_err(|e| bad(&format!("jwk: {e}")))?;
        jwk.common.key_id = Some(key.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        Ok(Self {
            kid: key.kid.clone(),
            active_from: key.active_from,
            envelope_digest: envelope_digest(key),
            jws,
            public_pem: key.public_pem.clone(),
            jwk,
        })
    }

    /// The key's id.
    #[cfg(test)]
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as a compact JWS (RS256, this key's `kid` in the header).
    pub(crate) fn sign<T: serde::Serialize>(&self, claims: &T) -> CoreResult<String> {
        self.jws.sign(claims).map_err(|e| CoreError::Internal(format!("sign: {e}")))
    }

    /// Whether `signature` is this key's RS256 signature of `signing_input`.
    pub(crate) fn verifies(&self, signing_input: &str, signature: &str) -> bool {
        self.jws.verify(signing_input, signature)
    }
}

/// The keys a node holds at one moment: the signer (chosen by the clock, see [`SigningKey::active_from`]) signs;
/// all verify (by `kid`) and are published.
pub struct KeyRing {
    /// Latest `active_from` first.
    keys: Vec<Arc<RingKey>>,
    jwks: serde_json::Value,
    clock: Arc<dyn Clock>,
}

impl KeyRing {
    /// A ring of keys in clear, on the system clock (benchmarks, tools). Fails if there are none, or one is sealed.
    pub fn from_keys(keys: &[SigningKey]) -> CoreResult<Self> {
        Self::open(keys, None, Arc::new(yolk_domain::SystemClock))
    }

    /// Opens stored keys (sealed ones with `master`) into a ring. Fails if there are none, or if one does not
    /// open.
    pub fn open(keys: &[SigningKey], master: Option<&MasterKey>, clock: Arc<dyn Clock>) -> CoreResult<Self> {
        let opened = keys.iter().map(|k| RingKey::open(k, master).map(Arc::new)).collect::<CoreResult<Vec<_>>>()?;
        Self::build(opened, clock)
    }

    fn build(mut keys: Vec<Arc<RingKey>>, clock: Arc<dyn Clock>) -> CoreResult<Self> {
        if keys.is_empty() {
            return Err(CoreError::Internal("no signing key".into()));
        }
        keys.sort_by(|a, b| (b.active_from, &b.kid).cmp(&(a.active_from, &a.kid)));
        let set = JwkSet { keys: keys.iter().map(|k| k.jwk.clone()).collect() };
        let jwks = serde_json::to_value(&set).unwrap_or_else(|_| serde_json::json!({ "keys": [] }));
        Ok(Self { keys, jwks, clock })
    }

    fn signer(&self) -> &Arc<RingKey> {
        &self.keys[signer_index(self.keys.iter().map(|k| k.active_from), self.clock.now())]
    }

    /// The key that signs now: its kid and the key are one value (a rotation's switch cannot fall between them).
    pub(crate) fn signing_key(&self) -> &Arc<RingKey> {
        self.signer()
    }

    /// The kid of the key that signs now.
    pub fn signing_kid(&self) -> &str {
        &self.signer().kid
    }

    /// Signs `claims` as a compact JWS with the key that signs now (RS256; header `typ`, `alg`, `kid`).
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> CoreResult<String> {
        self.signer().sign(claims)
    }

    /// The key that verifies tokens naming `kid`: a key of the ring.
    pub(crate) fn verifying_key(&self, kid: &str) -> Option<&Arc<RingKey>> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Whether `key` (an opened key, compared by identity) is still one of this ring's.
    pub(crate) fn holds(&self, key: *const RingKey) -> bool {
        self.keys.iter().any(|k| std::ptr::eq(Arc::as_ptr(k), key))
    }

    /// Whether a key `kid` is in the ring (it verifies the tokens it signed).
    pub fn verifies_kid(&self, kid: &str) -> bool {
        self.verifying_key(kid).is_some()
    }

    /// The signing key's public half as an SPKI PEM (what the SDKs fetch as `publicKey`).
    pub fn public_pem(&self) -> &str {
        &self.signer().public_pem
    }

    /// The public keys as a JWKS document (`alg`, `kid`, `use` set): every key of the ring.
    pub fn jwks_json(&self) -> serde_json::Value {
        self.jwks.clone()
    }

    /// The kids of the ring, latest `active_from` first.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }
}

/// The ring a node uses, swapped whole by the reloader: every reader gets one consistent snapshot.
#[derive(Clone)]
pub struct SharedKeyRing(Arc<RwLock<Arc<KeyRing>>>);

impl SharedKeyRing {
    /// A shared ring that starts as `ring` (and never reloads unless [`start_key_ring`] made it).
    pub fn new(ring: KeyRing) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(ring))))
    }

    /// The ring in force.
    pub fn snapshot(&self) -> Arc<KeyRing> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn replace(&self, ring: KeyRing) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ring);
    }

    fn downgrade(&self) -> Weak<RwLock<Arc<KeyRing>>> {
        Arc::downgrade(&self.0)
    }
}

impl From<Arc<KeyRing>> for SharedKeyRing {
    /// A fixed ring (never reloaded).
    fn from(ring: Arc<KeyRing>) -> Self {
        Self(Arc::new(RwLock::new(ring)))
    }
}

/// What to retire.
#[derive(Debug, Clone, Copy)]
pub enum RetireTarget<'a> {
    /// Every key whose tokens have all expired.
    Expired,
    /// One key: only once retirable, unless `force` (a compromised key: tokens it signed stop verifying as nodes
    /// reload). Never a key that signs or will sign.
    Kid { kid: &'a str, force: bool },
}

/// What `rotate` did.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The new key.
    pub kid: String,
    /// From when it signs.
    pub signs_from: DateTime<Utc>,
    /// The key it replaced; `None` when the store had no key and this is the first.
    pub replaced: Option<String>,
    /// Keys retired along the way (their grace had passed).
    pub retired: Vec<String>,
}

/// The signing keys in the store, seen through the master key: load (sealing clear keys), rotate, retire, list.
#[derive(Clone)]
pub struct KeyVault {
    store: Arc<dyn Store>,
    master: Option<Arc<MasterKey>>,
    clock: Arc<dyn Clock>,
}

impl KeyVault {
    /// A vault over `store`; `master` seals and opens private keys.
    pub fn new(store: Arc<dyn Store>, master: Option<MasterKey>, clock: Arc<dyn Clock>) -> Self {
        Self { store, master: master.map(Arc::new), clock }
    }

    /// The master key's id (safe to print), if one is configured.
    pub fn master_key_id(&self) -> Option<&str> {
        self.master.as_deref().map(MasterKey::id)
    }

    fn seal_if_configured(&self, mut key: SigningKey) -> CoreResult<SigningKey> {
        if let (Some(master), PrivateKey::Clear(pem)) = (self.master.as_deref(), &key.private_key) {
            key.private_key = envelope::seal(master, &key.kid, pem)?;
        }
        Ok(key)
    }

    /// The stored keys, checked: every one opens with the configured master key (a sealed key without it, or with
    /// another one, is an error: never a new key); with a master key, keys still in clear are sealed (one
    /// transaction); on an empty store the first key is created (nodes racing converge on one). Latest
    /// `active_from` first.
    pub async fn load(&self) -> CoreResult<Vec<SigningKey>> {
        let mut keys = self.store.signing_keys().await?;
        if keys.is_empty() {
            let candidate = self.seal_if_configured(generate_off_thread(self.clock.now()).await?)?;
            self.store.ensure_signing_key(candidate).await?;
            keys = self.store.signing_keys().await?;
        }
        for k in &keys {
            envelope::open(self.master.as_deref(), &k.kid, &k.private_key)?;
        }
        if self.seal_clear_keys(&keys).await? > 0 {
            keys = self.store.signing_keys().await?;
        }
        sort_latest_first(&mut keys);
        Ok(keys)
    }

    /// Seals every key still in clear, in one transaction, if a master key is configured; how many were sealed.
    async fn seal_clear_keys(&self, keys: &[SigningKey]) -> CoreResult<usize> {
        let Some(master) = self.master.as_deref() else { return Ok(0) };
        let mut changes = Vec::new();
        for k in keys {
            if let PrivateKey::Clear(pem) = &k.private_key {
                changes.push(Reseal {
                    kid: k.kid.clone(),
                    from: k.private_key.clone(),
                    to: envelope::seal(master, &k.kid, pem)?,
                });
            }
        }
        if changes.is_empty() {
            return Ok(0);
        }
        let sealed = self.store.reseal_signing_keys(&changes).await?;
        tracing::info!(sealed, master_key_id = master.id(), "signing keys in clear sealed with the master key");
        Ok(changes.len())
    }

    /// The ring over the loaded keys.
    pub async fn ring(&self) -> CoreResult<KeyRing> {
        KeyRing::open(&self.load().await?, self.master.as_deref(), self.clock.clone())
    }

    /// The ring as the store has it now, or `None` when it holds exactly the keys of `current`. Keys already in
    /// `current` with the same envelope are reused, not opened again.
    async fn reload(&self, current: &KeyRing) -> CoreResult<Option<KeyRing>> {
        let mut keys = self.store.signing_keys().await?;
        if keys.is_empty() {
            return Err(CoreError::Internal("the store holds no signing key".into()));
        }
        if self.seal_clear_keys(&keys).await? > 0 {
            keys = self.store.signing_keys().await?;
        }
        let mut opened = Vec::with_capacity(keys.len());
        let mut changed = keys.len() != current.keys.len();
        for k in &keys {
            let digest = envelope_digest(k);
            match current.keys.iter().find(|c| c.kid == k.kid && c.envelope_digest == digest) {
                Some(c) if c.active_from == k.active_from => opened.push(c.clone()),
                _ => {
                    changed = true;
                    opened.push(Arc::new(RingKey::open(k, self.master.as_deref())?));
                }
            }
        }
        if !changed {
            return Ok(None);
        }
        KeyRing::build(opened, self.clock.clone()).map(Some)
    }

    /// The timing rules with the token lifetimes: the configured ones and the stored vendor configuration's.
    pub async fn timings(
        &self,
        access_ttl_secs: i64,
        vendor_ttl_secs: i64,
        reload_interval_secs: u64,
    ) -> CoreResult<KeyTimings> {
        let configured = match self.store.get_setting(VendorConfig::KEY).await? {
            Some(v) => serde_json::from_value::<Stamped<VendorConfig>>(v)
                .map_err(|e| CoreError::Internal(format!("stored {}: {e}", VendorConfig::KEY)))?
                .doc
                .default_token_expiration
                .unwrap_or(0),
            None => 0,
        };
        Ok(KeyTimings {
            max_token_lifetime_secs: access_ttl_secs.max(vendor_ttl_secs).max(configured),
            reload_interval_secs,
        })
    }

    /// Every key's state now. Needs no master key.
    pub async fn statuses(&self, timings: &KeyTimings) -> CoreResult<Vec<KeyStatus>> {
        Ok(key_statuses(&self.store.signing_keys().await?, timings, self.clock.now()))
    }

    /// Rotates: a new key (sealed if a master key is configured) takes the newest key's place; it is published at
    /// once and signs from [`KeyTimings::activation_delay`] on. Keys already retirable are retired. On an empty
    /// store, creates the first key instead.
    pub async fn rotate(&self, timings: &KeyTimings) -> CoreResult<Rotation> {
        let before = self.store.signing_keys().await?;
        let keys = self.load().await?;
        if before.is_empty() {
            let first = &keys[0];
            return Ok(Rotation {
                kid: first.kid.clone(),
                signs_from: first.active_from,
                replaced: None,
                retired: Vec::new(),
            });
        }
        let newest = &keys[0];
        let now = self.clock.now();
        let mut key = generate_off_thread(now).await?;
        // Later than the newest key's, so the new key is the newest whatever the clocks say.
        key.active_from = (now + timings.activation_delay()).max(newest.active_from + TimeDelta::milliseconds(1));
        let key = self.seal_if_configured(key)?;
        let (kid, signs_from) = (key.kid.clone(), key.active_from);
        self.store.rotate_signing_key(key, &newest.kid).await?;
        tracing::info!(kid, replaced = newest.kid, %signs_from, "signing key rotated");
        let retired = self.retire(timings, RetireTarget::Expired).await?;
        Ok(Rotation { kid, signs_from, replaced: Some(newest.kid.clone()), retired })
    }

    /// Retires (deletes) keys; returns the kids retired. Needs no master key.
    pub async fn retire(&self, timings: &KeyTimings, target: RetireTarget<'_>) -> CoreResult<Vec<String>> {
        let statuses = self.statuses(timings).await?;
        let chosen: Vec<&KeyStatus> = match target {
            RetireTarget::Expired => statuses.iter().filter(|s| s.state == KeyState::Retirable).collect(),
            RetireTarget::Kid { kid, force } => {
                let s = statuses
                    .iter()
                    .find(|s| s.kid == kid)
                    .ok_or_else(|| CoreError::BadRequest(format!("no signing key {kid}")))?;
                match (s.state, force) {
                    (KeyState::Retirable, _) | (KeyState::Verifying, true) => vec![s],
                    (KeyState::Verifying, false) => {
                        return Err(CoreError::BadRequest(format!(
                            "signing key {kid} still verifies tokens it signed until {}; retire it then, or with \
                             --force (those tokens stop verifying)",
                            s.retirable_from.map(|t| t.to_rfc3339()).unwrap_or_default()
                        )));
                    }
                    (state, _) => {
                        return Err(CoreError::BadRequest(format!(
                            "signing key {kid} is {} (it signs, or is about to): it cannot be retired; rotate first, \
                             then retire it once superseded",
                            state.as_str()
                        )));
                    }
                }
            }
        };
        let mut retired = Vec::new();
        for s in chosen {
            if self.store.retire_signing_key(&s.kid).await? {
                tracing::info!(kid = s.kid, "signing key retired");
                retired.push(s.kid.clone());
            }
        }
        Ok(retired)
    }
}

/// Start-up: resolves the master key, loads the ring (sealing clear keys, creating the first key on an empty
/// store) and keeps it fresh: every `reload_interval_secs` the ring is read again from the store (a failed reload
/// keeps the loaded ring and is logged). The reloader stops when the ring is dropped.
pub async fn start_key_ring(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    options: &KeyRingOptions,
) -> CoreResult<SharedKeyRing> {
    if options.reload_interval_secs == 0 {
        return Err(CoreError::BadRequest("key_reload_interval must be at least 1 second".into()));
    }
    let master = MasterKey::resolve(options.master_key.as_deref(), options.master_key_file.as_deref())?;
    let vault = KeyVault::new(store, master, clock);
    let ring = vault.ring().await?;
    tracing::info!(
        kids = ?ring.kids(),
        signing = ring.signing_kid(),
        master_key_id = vault.master_key_id(),
        "signing keys loaded"
    );
    let shared = SharedKeyRing::new(ring);
    spawn_reloader(shared.downgrade(), vault, Duration::from_secs(options.reload_interval_secs));
    Ok(shared)
}

fn spawn_reloader(ring: Weak<RwLock<Arc<KeyRing>>>, vault: KeyVault, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(cell) = ring.upgrade() else { break };
            let shared = SharedKeyRing(cell);
            match vault.reload(&shared.snapshot()).await {
                Ok(Some(new)) => {
                    tracing::info!(kids = ?new.kids(), signing = new.signing_kid(), "signing keys reloaded");
                    shared.replace(new);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "reloading the signing keys failed; keeping the loaded ones"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, active_from_secs: i64) -> SigningKey {
        SigningKey {
            kid: kid.into(),
            private_key: PrivateKey::Clear(String::new()),
            public_pem: String::new(),
            created_at: at(active_from_secs),
            active_from: at(active_from_secs),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_000_000 + secs, 0).unwrap()
    }

    const TIMINGS: KeyTimings = KeyTimings { max_token_lifetime_secs: 300, reload_interval_secs: 60 };

    #[test]
    fn timings_follow_the_reload_interval_and_token_lifetime() {
        assert_eq!(TIMINGS.activation_delay(), TimeDelta::seconds(120));
        assert_eq!(TIMINGS.retire_grace(), TimeDelta::seconds(360));
    }

    #[test]
    fn states_through_a_rotation() {
        // k1 from 0; rotation at 1000 → k2 signs from 1120.
        let keys = [key("k1", 0), key("k2", 1120)];
        let states = |now| key_statuses(&keys, &TIMINGS, at(now)).into_iter().map(|s| s.state).collect::<Vec<_>>();
        assert_eq!(states(1000), [KeyState::Next, KeyState::Signing]);
        assert_eq!(states(1120), [KeyState::Signing, KeyState::Verifying]);
        assert_eq!(states(1120 + 359), [KeyState::Signing, KeyState::Verifying]);
        assert_eq!(states(1120 + 360), [KeyState::Signing, KeyState::Retirable]);
        let s = key_statuses(&keys, &TIMINGS, at(1200));
        assert_eq!(s[1].kid, "k1");
        assert_eq!(s[1].retirable_from, Some(at(1480)));
        assert_eq!(s[0].retirable_from, None);
    }

    #[test]
    fn with_every_key_in_the_future_the_earliest_signs() {
        let keys = [key("k1", 100), key("k2", 200)];
        let s = key_statuses(&keys, &TIMINGS, at(0));
        assert_eq!(s.iter().map(|s| s.state).collect::<Vec<_>>(), [KeyState::Next, KeyState::Signing]);
        assert_eq!(s[1].kid, "k1");
    }

    #[test]
    fn the_ring_switches_signer_at_activation_and_verifies_with_every_key() {
        use yolk_domain::clock::ManualClock;
        let clock = Arc::new(ManualClock::new());
        let now = clock.now();
        let old = generate_signing_key(now - TimeDelta::seconds(10)).unwrap();
        let new = SigningKey { active_from: now + TimeDelta::seconds(120), ..generate_signing_key(now).unwrap() };
        let ring = KeyRing::open(&[old.clone(), new.clone()], None, clock.clone()).unwrap();
        assert_eq!(ring.kids(), [new.kid.as_str(), old.kid.as_str()]);
        assert_eq!(ring.signing_kid(), old.kid, "the new key is published but does not sign yet");
        assert_eq!(ring.public_pem(), old.public_pem);
        let jwks = ring.jwks_json();
        let published: Vec<&str> =
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(published, [new.kid.as_str(), old.kid.as_str()]);
        assert!(ring.verifies_kid(&old.kid) && ring.verifies_kid(&new.kid));
        assert!(!ring.verifies_kid("unknown"));
        clock.advance_secs(120);
        assert_eq!(ring.signing_key().kid(), new.kid, "from its active_from on, the new key signs");
        assert_eq!(ring.public_pem(), new.public_pem);
    }

    #[test]
    fn a_sealed_ring_opens_only_with_its_master_key_and_refuses_a_swapped_public_key() {
        let master = MasterKey::from_bytes(&[9u8; 32]).unwrap();
        let clock: Arc<dyn Clock> = Arc::new(yolk_domain::SystemClock);
        let a = generate_signing_key(Utc::now()).unwrap();
        let b = generate_signing_key(Utc::now()).unwrap();
        let PrivateKey::Clear(pem) = &a.private_key else { panic!("clear") };
        let sealed = SigningKey { private_key: envelope::seal(&master, &a.kid, pem).unwrap(), ..a.clone() };
        assert!(KeyRing::open(std::slice::from_ref(&sealed), Some(&master), clock.clone()).is_ok());
        assert!(KeyRing::open(std::slice::from_ref(&sealed), None, clock.clone()).is_err());
        assert!(KeyRing::from_keys(std::slice::from_ref(&sealed)).is_err());
        let swapped = SigningKey { public_pem: b.public_pem.clone(), ..a.clone() };
        let err = KeyRing::open(&[swapped], None, clock.clone()).err().expect("refused");
        assert!(err.to_string().contains("does not match"), "{err}");
        assert!(KeyRing::open(&[], None, clock).is_err(), "an empty ring is an error");
    }

    #[test]
    fn key_ring_options_never_show_the_master_key() {
        let o = KeyRingOptions { master_key: Some("s3cr3t-master".into()), ..Default::default() };
        assert!(!format!("{o:?}").contains("s3cr3t"));
    }
}
