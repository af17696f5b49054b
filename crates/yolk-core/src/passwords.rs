//! Password hashing: argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1), run on tokio's blocking pool
//! behind a semaphore sized to the CPUs, so hashing never stalls the async runtime and a login flood queues
//! instead of spawning unbounded threads.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

use crate::{CoreError, CoreResult};

/// Hashes and verifies passwords on a bounded pool.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified against when the user does not exist, so an unknown user costs
    /// the same time as a wrong password.
    dummy_hash: Arc<str>,
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
    /// A hasher allowing `concurrency` hashes at once (use the number of CPUs).
    pub fn new(concurrency: usize) -> Self {
        let dummy = hash_blocking(&crate::secrets::random_token()).expect("hashing a random password");
        Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy_hash: dummy.into() }
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
            None => (self.dummy_hash.to_string(), false),
        };
        self.run(move || real && argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok()).await
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
        let _permit = self.permits.acquire().await.map_err(|_| CoreError::Internal("hasher closed".into()))?;
        tokio::task::spawn_blocking(f).await.map_err(|e| CoreError::Internal(format!("hash task: {e}")))
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
}
