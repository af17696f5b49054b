//! Password hashing: argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1) on a fixed set of dedicated
//! threads (one per CPU). Hashing never runs on the async runtime, a login flood queues (with async
//! backpressure) instead of spawning threads, and memory stays bounded: each worker reuses its own 19 MiB
//! working area, where tokio's blocking pool would leave one in the allocator arena of every thread it ever used
//! (measured: ~450 MiB RSS under login load before, see BENCHMARKS.md).

use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::{mpsc, oneshot};

use crate::{CoreError, CoreResult};

/// A well-formed argon2id hash with the production parameters and random salt and output, so no password is known
/// to match it. Verified against when the user does not exist, so an unknown user costs the same time as a wrong
/// password. A constant, so start-up does not spend a hash making one; the verification result is discarded anyway.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$8k8wMTtsS6fKkGO8Bqm6cA$+xP0gD3wvU9cWfn2NPBmQYl6XoS/CUDrhl/DEpLKbYQ";

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on dedicated worker threads.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> CoreResult<String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("argon2 hash: {e}")))
}

impl Passwords {
    /// A hasher with `workers` threads (use the number of CPUs). The threads end when the last clone is dropped.
    pub fn new(workers: usize) -> Self {
        let (jobs, receiver) = mpsc::channel::<Job>(4096);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("yolk-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, never while hashing.
                        let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).blocking_recv();
                        match job {
                            Some(job) => job(),
                            None => break,
                        }
                    }
                })
                .expect("spawning a password-hashing thread");
        }
        Self { jobs }
    }

    /// The argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> CoreResult<String> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `hash`. With no hash (unknown user, passwordless user) it verifies against a
    /// dummy hash and returns false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> CoreResult<bool> {
        let password = password.to_owned();
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        self.run(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok() && real).await
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs.send(job).await.map_err(|_| CoreError::Internal("password hasher stopped".into()))?;
        rx.await.map_err(|_| CoreError::Internal("password hashing job failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let p = Passwords::new(2);
        let h = p.hash("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(p.verify("correct horse", Some(&h)).await.unwrap());
        assert!(!p.verify("wrong", Some(&h)).await.unwrap());
        assert!(!p.verify("correct horse", None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_is_a_valid_hash_with_production_parameters() {
        let parsed = argon2::PasswordHash::new(DUMMY_HASH).expect("parses");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        // Verifying it must do the full work (not fail fast on a malformed hash).
        assert!(argon2().verify_password(b"anything", DUMMY_HASH).is_err());
    }
}
