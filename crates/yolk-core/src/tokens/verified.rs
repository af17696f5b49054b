//! The verified-token cache: tokens this node verified recently, so a client presenting the same token again
//! (every request between two refreshes) costs a SHA-256 and a map lookup instead of an RSA verification, two
//! base64 decodes and a JSON parse.
//!
//! - **Key**: SHA-256 of the whole token string. Only a token identical byte for byte to one that verified hits.
//! - **Value**: the decoded claims (shared, not copied, on a hit), the token's `exp`, and the ring key that verified
//!   it, held weakly.
//! - **Expiry**: an entry is never used after its `exp` (the same rule as a fresh verification: expired when `exp`
//!   is before now, system clock); such an entry is dropped when met.
//! - **Keys leaving the ring**: an entry is used only while the key that verified it is still in the ring in force
//!   (compared by identity: a reload that keeps a key keeps its entries; a retired or re-sealed-and-changed key's
//!   entries are dead at once).
//! - **Bound**: at most [`DEFAULT_ENTRIES`] entries (configurable), in [`SHARDS`] shards of two generations each.
//!   An insert into a full current generation drops the previous one whole and starts a new one; a hit in the
//!   previous generation moves the entry forward. So eviction is O(1) amortized, tokens in use stay, and a flood of
//!   distinct valid tokens only churns the generations.
//!
//! What the cache does not hold: failures (a bad token is checked again each time), and anything about revocation
//! (sessions, locks, memberships are checked on every request by `grants::AccessCache`; environment tokens by the
//! credential generation, after the cache).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError, Weak};

use aws_lc_rs::digest::{SHA256, digest};

use super::VerifiedToken;
use crate::keys::{KeyRing, RingKey};

/// Entries a token service keeps unless told otherwise.
pub const DEFAULT_ENTRIES: usize = 10_000;

/// Independent locks: two threads verifying different tokens rarely wait for each other.
const SHARDS: usize = 16;

type Digest = [u8; 32];

struct Entry {
    token: VerifiedToken,
    exp: i64,
    key: Weak<RingKey>,
}

#[derive(Default)]
struct Shard {
    current: HashMap<Digest, Entry>,
    previous: HashMap<Digest, Entry>,
}

/// What a lookup found.
pub(super) enum Lookup {
    /// A token verified before, still valid.
    Hit(VerifiedToken),
    /// A token verified before whose `exp` has passed.
    Expired,
    /// Not known (or verified by a key no longer in the ring): verify it.
    Miss,
}

/// A bounded map of verified tokens; see the module documentation.
pub(super) struct VerifiedCache {
    shards: Box<[Mutex<Shard>]>,
    /// Entries per generation of a shard (0: the cache is off).
    generation: usize,
}

/// The cache key of a token.
pub(super) fn token_digest(token: &str) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}

impl VerifiedCache {
    /// A cache of `entries` tokens rounded down to a multiple of 32 (two generations in each of 16 shards), at
    /// least 32; 0 turns it off.
    pub(super) fn new(entries: usize) -> Self {
        let generation = entries / (SHARDS * 2);
        let generation = if entries > 0 { generation.max(1) } else { 0 };
        Self { shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(), generation }
    }

    /// The most entries the cache holds.
    pub(super) fn capacity(&self) -> usize {
        self.generation * SHARDS * 2
    }

    fn shard(&self, d: &Digest) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[usize::from(d[0]) % SHARDS].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token verified before under digest `d`, if its key is still in `ring` and it has not expired at `now`
    /// (seconds since the epoch).
    pub(super) fn get(&self, d: &Digest, ring: &KeyRing, now: i64) -> Lookup {
        if self.generation == 0 {
            return Lookup::Miss;
        }
        let mut shard = self.shard(d);
        let (found, in_previous) = {
            let (entry, in_previous) = match (shard.current.get(d), shard.previous.get(d)) {
                (Some(e), _) => (e, false),
                (None, Some(e)) => (e, true),
                (None, None) => return Lookup::Miss,
            };
            let found = if !ring.holds(entry.key.as_ptr()) {
                Lookup::Miss
            } else if entry.exp < now {
                Lookup::Expired
            } else {
                Lookup::Hit(entry.token.clone())
            };
            (found, in_previous)
        };
        match found {
            Lookup::Hit(_) => {
                if in_previous && let Some(e) = shard.previous.remove(d) {
                    self.put(&mut shard, *d, e);
                }
            }
            Lookup::Miss | Lookup::Expired => {
                shard.current.remove(d);
                shard.previous.remove(d);
            }
        }
        found
    }

    /// Remembers a token just verified by `key`, valid until `exp`.
    pub(super) fn insert(&self, d: Digest, token: VerifiedToken, exp: i64, key: Weak<RingKey>) {
        if self.generation == 0 {
            return;
        }
        let mut shard = self.shard(&d);
        self.put(&mut shard, d, Entry { token, exp, key });
    }

    fn put(&self, shard: &mut Shard, d: Digest, entry: Entry) {
        if shard.current.len() >= self.generation && !shard.current.contains_key(&d) {
            shard.previous = std::mem::take(&mut shard.current);
            shard.current.reserve(self.generation);
        }
        shard.previous.remove(&d);
        shard.current.insert(d, entry);
    }

    /// Entries held now (tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(PoisonError::into_inner);
                s.current.len() + s.previous.len()
            })
            .sum()
    }
}
