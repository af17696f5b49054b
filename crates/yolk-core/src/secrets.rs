//! Random secrets, their hashes and constant-time comparison.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// A new random secret: 32 bytes from the system CSPRNG, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    aws_lc_rs::rand::fill(&mut buf).expect("the system CSPRNG is available");
    URL_SAFE_NO_PAD.encode(buf)
}

/// Seeds aws-lc's random generator on a thread of its own, now, rather than on the first call that needs it.
///
/// aws-lc seeds its generator once per process from CPU jitter as well as the OS, and that first seeding took
/// about 40 ms on the reference machine (`perf`: `tree_jitter_initialize_once`), most of the SQLite start-up. The
/// server calls this first thing, so the seeding overlaps opening the store instead of delaying the first
/// signature. Nothing waits for the thread: a call that needs random bytes before it ends waits for the seeding as
/// it would have anyway.
pub fn seed_rng_in_background() {
    let spawned = std::thread::Builder::new().name("rng-seed".into()).spawn(|| {
        let mut byte = [0u8; 1];
        // A failure here is reported by the call that next needs randomness.
        let _ = aws_lc_rs::rand::fill(&mut byte);
    });
    // Without a thread, the first call that needs randomness seeds it, as before.
    drop(spawned);
}

/// Lower-case hex SHA-256 of a secret: how refresh tokens and API secrets are stored.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(digest(&SHA256, secret.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_urlsafe() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(constant_time_eq("x", "x"));
        assert!(!constant_time_eq("x", "y"));
    }
}
