//! The argon2id limit measured again right before the login scenario, in the same conditions as the raw limit
//! (`raw.rs`: the same parameters, one thread per core, in-process): the machine is shared, and a limit taken
//! minutes earlier may not be the one the logins meet.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};

/// argon2id (m=19456 KiB, t=2, p=1: yolk's parameters) verifications per second on all cores, over `duration`.
pub fn argon2_per_sec(duration: Duration) -> anyhow::Result<f64> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"correct horse battery staple";
    let hash = a.hash_password(password).map_err(|e| anyhow::anyhow!("argon2: {e}"))?.to_string();
    let rate = std::thread::scope(|s| {
        let handles: Vec<_> = (0..super::raw::cores())
            .map(|_| {
                s.spawn(|| {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < duration {
                        if a.verify_password(password, hash.as_str()).is_ok() {
                            n += 1;
                        }
                    }
                    n as f64 / start.elapsed().as_secs_f64()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    });
    Ok(rate)
}
