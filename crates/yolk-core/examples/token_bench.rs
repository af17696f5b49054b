//! In-process micro-benchmark of the token service: `Tokens::issue_user_token` and `Tokens::verify_user_token`
//! on one thread and on two, with a typical user token (one tenant, one role, eight permissions).
//!
//! `cargo run --release -p yolk-core --example token_bench [seconds per figure, default 3]`
//!
//! Each figure is operations per wall-clock second and per CPU-second of the threads that ran them (on a shared
//! machine the latter is the steadier one). "bare aws-lc-rs" signs the token's signing input with an `RsaKeyPair`
//! parsed once and nothing else: the hardware's RSA, for the signer's overhead.
//!
//! "verify, same token" verifies one token over and over (what a client does between refreshes: the cached path
//! once the node has seen it); "verify, 16k tokens in turn" cycles through more distinct tokens than the verified
//! token cache holds, so every verification misses it (the full signature check and decode).

use std::sync::Arc;
use std::time::{Duration, Instant};

use yolk_core::keys::{KeyRing, generate_signing_key};
use yolk_core::tokens::{TokenSettings, Tokens, UserClaims, sample_user_claims};

/// More distinct tokens than the verified-token cache holds.
const DISTINCT: usize = 16_384;

fn claims(sid: usize) -> UserClaims {
    let aud = "b3a1c0de-0000-4000-8000-00000000beef";
    sample_user_claims(aud, "http://127.0.0.1:8080", &format!("c3d4e5f6-a7b8-4c9d-8e0f-{sid:012x}"), 3600)
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), if known: on a shared machine
/// operations per CPU-second are steadier than operations per wall-clock second.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// Operations per wall-clock second (all threads together) and per CPU-second of the threads that ran them.
struct Rate {
    wall: f64,
    per_cpu: Option<f64>,
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.0}/s", self.wall)?;
        if let Some(c) = self.per_cpu {
            write!(f, " ({c:.0} per CPU-second)")?;
        }
        Ok(())
    }
}

/// Runs `op(thread, i)` on `threads` threads for `duration`.
fn rate(threads: usize, duration: Duration, op: impl Fn(usize, usize) + Sync) -> Rate {
    let per_thread: Vec<(f64, usize, Option<u64>)> = std::thread::scope(|s| {
        let op = &op;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let cpu = thread_cpu_ns();
                    let start = Instant::now();
                    let mut n = 0usize;
                    while start.elapsed() < duration {
                        op(t, n);
                        n += 1;
                    }
                    let wall = n as f64 / start.elapsed().as_secs_f64();
                    (wall, n, cpu.zip(thread_cpu_ns()).map(|(a, b)| b.saturating_sub(a)))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("bench thread")).collect()
    });
    let wall = per_thread.iter().map(|t| t.0).sum();
    let ops: usize = per_thread.iter().map(|t| t.1).sum();
    let cpu: Option<u64> = per_thread.iter().map(|t| t.2).sum();
    Rate { wall, per_cpu: cpu.filter(|&ns| ns > 0).map(|ns| ops as f64 / (ns as f64 / 1e9)) }
}

fn main() {
    let secs = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let duration = Duration::from_secs(secs);
    let key = generate_signing_key(chrono::Utc::now()).expect("keygen");
    // The same key as a bare aws-lc-rs key pair (from the PKCS#8 PEM yolk generates), for the hardware's figure.
    let pem_body: String = key.private_key.stored_text().lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, pem_body).expect("PEM");
    let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).expect("PKCS#8");
    let ring = KeyRing::from_keys(&[key]).expect("ring");
    let settings = TokenSettings {
        issuer: "http://127.0.0.1:8080".into(),
        client_id: "b3a1c0de-0000-4000-8000-00000000beef".into(),
        access_ttl_secs: 300,
        refresh_ttl_secs: 30 * 24 * 3600,
        vendor_ttl_secs: 24 * 3600,
    };
    let tokens = Tokens::without_credentials(Arc::new(ring), settings);
    let one = claims(0);
    let token = tokens.issue_user_token(&one).expect("sign");
    println!("token: {} bytes", token.len());

    for threads in [1, 2] {
        let r = rate(threads, duration, |_, _| {
            tokens.issue_user_token(&one).expect("sign");
        });
        println!("issue_user_token, {threads} thread(s): {r}");
    }
    let (signing_input, _) = token.rsplit_once('.').expect("a compact JWS");
    for threads in [1, 2] {
        let r = rate(threads, duration, |_, _| {
            let mut signature = vec![0; pair.public_modulus_len()];
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let alg = &aws_lc_rs::signature::RSA_PKCS1_SHA256;
            pair.sign(alg, &rng, signing_input.as_bytes(), &mut signature).expect("sign");
        });
        println!("bare aws-lc-rs RSA-PKCS1-SHA256 of the same signing input, {threads} thread(s): {r}");
    }
    for threads in [1, 2] {
        let r = rate(threads, duration, |_, _| {
            assert!(tokens.verify_user_token(&token).is_ok());
        });
        println!("verify_user_token, same token, {threads} thread(s): {r}");
    }

    let started = Instant::now();
    let many: Vec<String> = std::thread::scope(|s| {
        let halves: Vec<_> = (0..2)
            .map(|h| {
                let tokens = &tokens;
                s.spawn(move || {
                    (h * DISTINCT / 2..(h + 1) * DISTINCT / 2)
                        .map(|i| tokens.issue_user_token(&claims(i)).expect("sign"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().expect("signer thread")).collect()
    });
    println!("({DISTINCT} distinct tokens signed in {:.1} s)", started.elapsed().as_secs_f64());
    for threads in [1, 2] {
        let r = rate(threads, duration, |t, n| {
            // Each thread walks the whole cycle from its own starting point.
            let i = (t * DISTINCT / 2 + n) % DISTINCT;
            assert!(tokens.verify_user_token(&many[i]).is_ok());
        });
        println!("verify_user_token, {DISTINCT} tokens in turn, {threads} thread(s): {r}");
    }
}
