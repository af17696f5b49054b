//! What a user token may do right now. A signed token proves who the caller was when it was issued; whether its
//! session still stands (not logged out, not revoked by reuse detection, the user not locked or deleted, the
//! membership not removed, disabled or pending) and which roles and permissions it holds is read from the store,
//! at most once per [`AccessCache::ttl`] per (session, user, tenant) on each node.
//!
//! The staleness bound: a write on this node that revokes or narrows access calls [`AccessCache::invalidate`], so
//! this node sees it on the next request; another node sees it within the TTL (2 s by default).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use yolk_domain::{Clock, SessionId, TenantId, UserId};
use yolk_store::{SessionGrant, Store};

use crate::CoreResult;

/// The default bound on how long another node's revocation may go unseen.
pub const DEFAULT_TTL_MS: u64 = 2_000;

/// Entries kept before the cache starts over (a bound on memory, not a tuning knob: an entry is ~200 bytes).
const MAX_ENTRIES: usize = 50_000;

type Key = (SessionId, UserId, TenantId);

struct Entry {
    grant: Option<Arc<SessionGrant>>,
    read_at: DateTime<Utc>,
    epoch: u64,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    /// Bumped by every local revoking write; entries read before it are stale.
    epoch: AtomicU64,
    entries: Mutex<HashMap<Key, Entry>>,
}

/// The per-node cache of session grants (cheap to clone; clones share it).
#[derive(Clone)]
pub struct AccessCache(Arc<Inner>);

impl AccessCache {
    /// A cache over `store` whose entries live `ttl_ms` (0: read the store on every request).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, ttl_ms: u64) -> Self {
        let ttl = Duration::milliseconds(i64::try_from(ttl_ms).unwrap_or(i64::MAX));
        Self(Arc::new(Inner { store, clock, ttl, epoch: AtomicU64::new(0), entries: Mutex::new(HashMap::new()) }))
    }

    /// How long another node's revocation may go unseen here.
    pub fn ttl(&self) -> Duration {
        self.0.ttl
    }

    /// What `session` of `user` may do in `tenant`: `None` when the store no longer admits it.
    pub async fn grant(
        &self,
        session: SessionId,
        user: UserId,
        tenant: &TenantId,
    ) -> CoreResult<Option<Arc<SessionGrant>>> {
        let inner = &self.0;
        let now = inner.clock.now();
        // The epoch is read before the store: a revocation that lands while we read makes this entry stale.
        let epoch = inner.epoch.load(Ordering::Acquire);
        let key = (session, user, tenant.clone());
        if let Some(e) = self.entries().get(&key)
            && e.epoch == epoch
            && e.read_at <= now
            && now - e.read_at < inner.ttl
        {
            return Ok(e.grant.clone());
        }
        let grant = inner.store.session_grant(session, user, tenant, now).await?.map(Arc::new);
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry { grant: grant.clone(), read_at: now, epoch });
        Ok(grant)
    }

    /// Forgets every cached grant: called after a local write that revokes or narrows access (logout, reuse
    /// detection, lock, removal, disabling, role and permission changes, tenant deletion).
    pub fn invalidate(&self) {
        self.0.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries().clear();
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.0.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
