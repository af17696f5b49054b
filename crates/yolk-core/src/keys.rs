//! RS256 signing keys: generated once (2048-bit), kept in the store so every node signs and verifies with the
//! same keys, published as PEM and JWKS.

use std::collections::HashMap;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use yolk_domain::SigningKey;
use yolk_store::Store;

use crate::{CoreError, CoreResult};

/// Generates a new 2048-bit RSA key. Slow-ish (tens of milliseconds): call it off the async threads at start.
pub fn generate_signing_key(now: chrono::DateTime<chrono::Utc>) -> CoreResult<SigningKey> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| CoreError::Internal("RSA keygen failed".into()))?;
    let private = pair.as_der().map_err(|_| CoreError::Internal("PKCS#8 encode failed".into()))?;
    let public = pair.public_key().as_der().map_err(|_| CoreError::Internal("SPKI encode failed".into()))?;
    Ok(SigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string(),
        private_pem: pem("PRIVATE KEY", private.as_ref()),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
        created_at: now,
    })
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

/// The keys in force: the newest signs; all verify (by `kid`).
pub struct KeyRing {
    signing_kid: String,
    encoding: EncodingKey,
    public_pem: String,
    decoding: HashMap<String, DecodingKey>,
    jwks: JwkSet,
}

impl KeyRing {
    /// Builds the ring from stored keys, newest first. Fails if there are none.
    pub fn from_keys(keys: &[SigningKey]) -> CoreResult<Self> {
        let newest = keys.first().ok_or_else(|| CoreError::Internal("no signing key".into()))?;
        let encoding = EncodingKey::from_rsa_pem(newest.private_pem.as_bytes())
            .map_err(|e| CoreError::Internal(format!("signing key: {e}")))?;
        let mut decoding = HashMap::new();
        let mut jwks = Vec::new();
        for k in keys {
            let dec = DecodingKey::from_rsa_pem(k.public_pem.as_bytes())
                .map_err(|e| CoreError::Internal(format!("public key: {e}")))?;
            decoding.insert(k.kid.clone(), dec);
            let enc = EncodingKey::from_rsa_pem(k.private_pem.as_bytes())
                .map_err(|e| CoreError::Internal(format!("signing key: {e}")))?;
            let mut jwk =
                Jwk::from_encoding_key(&enc, Algorithm::RS256).map_err(|e| CoreError::Internal(format!("jwk: {e}")))?;
            jwk.common.key_id = Some(k.kid.clone());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
            jwks.push(jwk);
        }
        Ok(Self {
            signing_kid: newest.kid.clone(),
            encoding,
            public_pem: newest.public_pem.clone(),
            decoding,
            jwks: JwkSet { keys: jwks },
        })
    }

    /// Loads the ring from the store, generating and storing the first key if there is none. Nodes racing on an
    /// empty store converge on one key (the store keeps the first insert).
    pub async fn load_or_create(store: &dyn Store, now: chrono::DateTime<chrono::Utc>) -> CoreResult<Self> {
        let keys = store.signing_keys().await?;
        if !keys.is_empty() {
            return Self::from_keys(&keys);
        }
        let candidate = tokio::task::spawn_blocking(move || generate_signing_key(now))
            .await
            .map_err(|e| CoreError::Internal(format!("keygen task: {e}")))??;
        store.ensure_signing_key(candidate).await?;
        Self::from_keys(&store.signing_keys().await?)
    }

    /// The kid of the signing key.
    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    /// The signing key.
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The verification key for a kid.
    pub fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.decoding.get(kid)
    }

    /// The signing key's public half as an SPKI PEM (what the SDKs fetch as `publicKey`).
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// The public keys as a JWKS document (`alg`, `kid`, `use` set).
    pub fn jwks_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.jwks).unwrap_or_else(|_| serde_json::json!({ "keys": [] }))
    }
}
