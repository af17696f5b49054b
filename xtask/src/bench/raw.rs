//! The machine's raw limits, measured in-process with the crates and parameters yolk uses: argon2id verifications
//! (what a password login costs) and RS256 signatures of a typical user token (what a refresh costs), the latter
//! twice: through yolk's own signer (`Tokens::issue_user_token`: claims to JSON, base64url, RSA with the key parsed
//! once when the ring was built) and as a bare `aws_lc_rs` `RsaKeyPair` signature of the same signing input, so
//! the report shows what the signer adds to the hardware's RSA.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use yolk_core::keys::{KeyRing, generate_signing_key};
use yolk_core::tokens::{TokenSettings, Tokens, UserClaims};

/// The raw limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawLimits {
    /// argon2id (m=19456, t=2, p=1) verifications per second on one thread.
    pub argon2_single: f64,
    /// argon2id verifications per second on all cores.
    pub argon2_all: f64,
    /// RS256 user-token signatures per second on one thread, through yolk's signer (key parsed once).
    pub rs256_single: f64,
    /// RS256 user-token signatures per second on all cores, through yolk's signer.
    pub rs256_all: f64,
    /// Bare `aws_lc_rs` RSA-PKCS1-SHA256 signatures of the same signing input per second on one thread.
    pub rsa_bare_single: f64,
    /// The same on all cores.
    pub rsa_bare_all: f64,
    /// Threads used for "all cores".
    pub threads: usize,
}

/// The number of CPUs this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Runs `op` on `threads` threads for `duration`; returns operations per second.
fn rate(threads: usize, duration: Duration, op: impl Fn() + Sync) -> f64 {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < duration {
                        op();
                        n += 1;
                    }
                    n as f64 / start.elapsed().as_secs_f64()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    })
}

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A user token's claims as a login issues them (see `yolk_core::tokens::sample_user_claims`).
fn typical_claims(client_id: &str, issuer: &str) -> UserClaims {
    yolk_core::tokens::sample_user_claims(client_id, issuer, "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f", 300)
}

/// Measures all four limits, `duration` each.
pub fn measure(duration: Duration) -> anyhow::Result<RawLimits> {
    let threads = cores();
    let a = argon2()?;
    let hash =
        a.hash_password(b"correct horse battery staple").map_err(|e| anyhow::anyhow!("argon2: {e}"))?.to_string();
    let verify = || {
        let ok = a.verify_password(b"correct horse battery staple", hash.as_str()).is_ok();
        assert!(ok, "argon2 verification failed");
    };
    println!("  argon2id (m=19456, t=2, p=1) verify, 1 thread...");
    let argon2_single = rate(1, duration, verify);
    println!("  argon2id verify, {threads} threads...");
    let argon2_all = rate(threads, duration, verify);

    let key = generate_signing_key(chrono::Utc::now()).map_err(|e| anyhow::anyhow!("keygen: {e}"))?;
    anyhow::ensure!(!key.private_key.is_sealed(), "a freshly generated key is in clear");
    let pair = bare_key_pair(key.private_key.stored_text())?;
    let ring = KeyRing::from_keys(&[key]).map_err(|e| anyhow::anyhow!("key ring: {e}"))?;
    let settings = TokenSettings {
        issuer: "http://127.0.0.1:8080".into(),
        client_id: super::server::CLIENT_ID.into(),
        access_ttl_secs: 300,
        refresh_ttl_secs: 30 * 24 * 3600,
        vendor_ttl_secs: 24 * 3600,
    };
    let tokens = Tokens::without_credentials(Arc::new(ring), settings);
    let claims = typical_claims(super::server::CLIENT_ID, "http://127.0.0.1:8080");
    let sample = tokens.issue_user_token(&claims).map_err(|e| anyhow::anyhow!("sign: {e}"))?;
    tokens.verify_user_token(&sample).map_err(|e| anyhow::anyhow!("verify: {e}")).context("signed token")?;
    println!("  RS256 user token ({} bytes) sign through yolk's signer, 1 thread...", sample.len());
    let sign = || {
        let ok = tokens.issue_user_token(&claims).is_ok();
        assert!(ok, "RS256 signing failed");
    };
    let rs256_single = rate(1, duration, sign);
    println!("  RS256 sign, {threads} threads...");
    let rs256_all = rate(threads, duration, sign);

    // The same signing input (`header.claims`), signed by aws-lc-rs alone.
    let (signing_input, _) = sample.rsplit_once('.').context("a compact JWS")?;
    let bare = || {
        let mut signature = vec![0; pair.public_modulus_len()];
        let ok = pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature).is_ok();
        assert!(ok, "RSA signing failed");
    };
    println!("  bare aws-lc-rs RSA-PKCS1-SHA256 sign of the same {} bytes, 1 thread...", signing_input.len());
    let rsa_bare_single = rate(1, duration, bare);
    println!("  bare RSA sign, {threads} threads...");
    let rsa_bare_all = rate(threads, duration, bare);
    Ok(RawLimits { argon2_single, argon2_all, rs256_single, rs256_all, rsa_bare_single, rsa_bare_all, threads })
}

/// A private key as an `aws_lc_rs` key pair, parsed once (from the PKCS#8 PEM yolk generates).
fn bare_key_pair(pem: &str) -> anyhow::Result<RsaKeyPair> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body.trim()).context("PEM body")?;
    RsaKeyPair::from_pkcs8(&der).map_err(|e| anyhow::anyhow!("PKCS#8 RSA key: {e}"))
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn the_bare_signature_is_the_one_in_yolks_token() {
        let key = generate_signing_key(chrono::Utc::now()).unwrap();
        let pair = bare_key_pair(key.private_key.stored_text()).unwrap();
        let ring = KeyRing::from_keys(&[key]).unwrap();
        let settings = TokenSettings {
            issuer: "http://127.0.0.1:8080".into(),
            client_id: super::super::server::CLIENT_ID.into(),
            access_ttl_secs: 300,
            refresh_ttl_secs: 3600,
            vendor_ttl_secs: 3600,
        };
        let tokens = Tokens::without_credentials(Arc::new(ring), settings);
        let token = tokens.issue_user_token(&typical_claims(super::super::server::CLIENT_ID, "http://x")).unwrap();
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let mut bare = vec![0; pair.public_modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut bare).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(bare), signature, "the same bytes, the same deterministic signature");
    }
}
