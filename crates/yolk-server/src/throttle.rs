//! Rate limits on the password paths (`POST /identity/resources/auth/v1/user`, `POST /auth/vendor`): per client
//! address, every attempt counts; per identifier (an email, a username, a client id), only failed attempts count,
//! so an attacker cannot lock a user out of a correct login by spending its budget... beyond the lockout policy
//! the environment chose. Beyond either limit: 429 with `Retry-After`, before any password is hashed.
//!
//! The limits are **per node**: counters live in this process. The exact, store-wide defence against guessing is
//! the lockout policy (`yolk_core::lockout`, counted in the store by all nodes); these limits bound the load one
//! client puts on a node's password hasher and slow guessing when no lockout policy is set, without a store write
//! per request. N nodes behind a balancer allow up to N times the rate.
//!
//! A GCRA limiter written here (about 40 lines) rather than `governor`: the per-identifier limit must *peek*
//! (refuse when exhausted) before the attempt and *spend* only after a failure, which governor's API does not do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use yolk_domain::Clock;

use crate::error::ApiError;

/// Keys kept per limiter before expired ones are dropped (and, if still over, all of them).
const MAX_KEYS: usize = 100_000;
/// The longest key kept (identifiers are attacker-chosen).
const MAX_KEY_LEN: usize = 256;

/// A generic cell-rate limiter: `per_minute` events per key and minute, in bursts of up to `per_minute`.
struct Limiter {
    /// Time one event costs.
    interval: Duration,
    /// How far ahead of now a key's theoretical arrival time may run.
    tolerance: Duration,
    tat: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl Limiter {
    fn new(per_minute: u32) -> Option<Self> {
        (per_minute > 0).then(|| {
            // In microseconds: whole milliseconds would cap every limit above 60,000 a minute at 1,000 a second.
            let interval = Duration::microseconds(60_000_000 / i64::from(per_minute)).max(Duration::microseconds(1));
            Self {
                interval,
                tolerance: interval * (i32::try_from(per_minute).unwrap_or(i32::MAX) - 1),
                tat: Mutex::default(),
            }
        })
    }

    /// How long until `key` may act again (zero: now), spending one event when `spend` and allowed.
    fn check(&self, key: &str, now: DateTime<Utc>, spend: bool) -> Duration {
        let key = &key[..key.floor_char_boundary(MAX_KEY_LEN)];
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let current = tat.get(key).copied().unwrap_or(now).max(now);
        let wait = current - now - self.tolerance;
        if wait > Duration::zero() {
            return wait;
        }
        if spend {
            if tat.len() >= MAX_KEYS {
                tat.retain(|_, t| *t > now);
                if tat.len() >= MAX_KEYS {
                    tat.clear();
                }
            }
            tat.insert(key.to_owned(), current + self.interval);
        }
        Duration::zero()
    }
}

/// The rate limits of the password paths (cheap to clone).
#[derive(Clone)]
pub struct Throttle(Arc<Inner>);

struct Inner {
    clock: Arc<dyn Clock>,
    per_ip: Option<Limiter>,
    per_identifier: Option<Limiter>,
}

impl Throttle {
    /// Limits of `attempts_per_ip` attempts and `failures_per_identifier` failures a minute (0: no limit).
    pub fn new(clock: Arc<dyn Clock>, attempts_per_ip: u32, failures_per_identifier: u32) -> Self {
        Self(Arc::new(Inner {
            clock,
            per_ip: Limiter::new(attempts_per_ip),
            per_identifier: Limiter::new(failures_per_identifier),
        }))
    }

    /// Admits an attempt from `ip` (when known) naming `identifier`, or refuses it with 429: spends one of the
    /// address's attempts; refuses an identifier whose failures are used up.
    pub fn admit(&self, ip: Option<IpAddr>, identifier: &str) -> Result<(), ApiError> {
        let now = self.0.clock.now();
        if let (Some(l), Some(ip)) = (&self.0.per_ip, ip) {
            refuse_after(l.check(&ip.to_string(), now, true))?;
        }
        if let Some(l) = &self.0.per_identifier {
            refuse_after(l.check(identifier, now, false))?;
        }
        Ok(())
    }

    /// Counts a failed attempt against `identifier`.
    pub fn failed(&self, identifier: &str) {
        if let Some(l) = &self.0.per_identifier {
            l.check(identifier, self.0.clock.now(), true);
        }
    }
}

fn refuse_after(wait: Duration) -> Result<(), ApiError> {
    if wait <= Duration::zero() {
        return Ok(());
    }
    let secs = u64::try_from((wait.num_milliseconds() + 999) / 1000).unwrap_or(1).max(1);
    Err(ApiError::TooManyRequests { retry_after_secs: secs })
}

#[cfg(test)]
mod tests {
    use yolk_domain::clock::ManualClock;

    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let clock = Arc::new(ManualClock::new());
        let t = Throttle::new(clock.clone(), 3, 0);
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..3 {
            assert!(t.admit(ip, "a").is_ok());
        }
        let Err(ApiError::TooManyRequests { retry_after_secs }) = t.admit(ip, "a") else { panic!("limited") };
        assert_eq!(retry_after_secs, 20, "one attempt every 20 s at 3 a minute");
        assert!(t.admit(Some(IpAddr::from([10, 0, 0, 2])), "a").is_ok(), "per address");
        assert!(t.admit(None, "a").is_ok(), "no address, no address limit");
        clock.advance_secs(20);
        assert!(t.admit(ip, "a").is_ok());
    }

    /// A limit above 60,000 a minute keeps its rate: 120,000 a minute is 2,000 a second once the burst is spent,
    /// not the 1,000 a second an interval in whole milliseconds allowed.
    #[test]
    fn a_high_limit_keeps_its_steady_rate() {
        let clock = Arc::new(ManualClock::new());
        let t = Throttle::new(clock.clone(), 120_000, 0);
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        let mut burst = 0;
        while t.admit(ip, "a").is_ok() {
            burst += 1;
        }
        assert_eq!(burst, 120_000);
        clock.advance_secs(1);
        let mut next_second = 0;
        while t.admit(ip, "a").is_ok() {
            next_second += 1;
        }
        assert_eq!(next_second, 2_000);
    }

    #[test]
    fn only_failures_count_against_an_identifier() {
        let clock = Arc::new(ManualClock::new());
        let t = Throttle::new(clock.clone(), 0, 2);
        for _ in 0..10 {
            assert!(t.admit(None, "ann").is_ok(), "admitting alone spends nothing");
        }
        t.failed("ann");
        t.failed("ann");
        assert!(t.admit(None, "ann").is_err());
        assert!(t.admit(None, "bob").is_ok());
        clock.advance_secs(30);
        assert!(t.admit(None, "ann").is_ok());
    }
}
