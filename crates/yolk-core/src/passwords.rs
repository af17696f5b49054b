//! Password hashing: argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1) on a fixed set of dedicated
//! threads (one per CPU). Hashing never runs on the async runtime, a login flood queues instead of spawning
//! threads, and memory stays bounded: each worker verifies in its own reused 19 MiB working area ([`MEMORY`]),
//! where tokio's blocking pool would leave one in the allocator arena of every thread it ever used (measured:
//! ~450 MiB RSS under login load before, see BENCHMARKS.md).
//!
//! The queue cannot be flooded (issue 6, item 5): it holds at most [`queue_capacity`] jobs — what the workers
//! finish well within the server's request timeout — and a job is refused at once when it is full
//! ([`CoreError::Unavailable`]: 503 with `Retry-After`, never a wait); and a job whose caller went away (the
//! handler future dropped because the client disconnected or the request timed out) is skipped, not hashed, so
//! abandoned requests cost the next real login nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::cell::RefCell;

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version};
use subtle::ConstantTimeEq as _;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use crate::{CoreError, CoreResult};

/// A well-formed argon2id hash with the production parameters and random salt and output, so no password is known
/// to match it. Verified against when the user does not exist, so an unknown user costs the same time as a wrong
/// password. A constant, so start-up does not spend a hash making one; the verification result is discarded anyway.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$8k8wMTtsS6fKkGO8Bqm6cA$+xP0gD3wvU9cWfn2NPBmQYl6XoS/CUDrhl/DEpLKbYQ";

/// What one hash or verification costs one worker thread, rounded up. Measured for m = 19 MiB, t = 2, p = 1 on this
/// project's 2-core machine: 30.6 verifications/s on one thread and 59.1/s on two (`cargo xtask bench`, raw limits
/// in BENCHMARKS.md), i.e. ~33 ms of one core per hash — ~17 ms per hash of throughput with both cores busy, which
/// is the figure to use for the whole pool, not for one worker. 35 ms leaves a little room for a slower core.
pub const HASH_COST: Duration = Duration::from_millis(35);

/// The most work the queue may hold: half of the server's 30 s request timeout (`yolk_server::REQUEST_TIMEOUT`
/// asserts the relation), so the last queued job still finishes in time when the workers share the CPUs with the
/// runtime, and a refused client hears so at once instead of after a timeout.
pub const QUEUE_BUDGET: Duration = Duration::from_secs(15);

/// `Retry-After` (seconds) of the answer to a request refused because the queue is full: a third of what a full
/// queue holds, so a client that honours it finds room once the burst has partly drained.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The queue's capacity for `workers` threads: `workers × QUEUE_BUDGET / HASH_COST` (428 jobs per worker; 856 on
/// two cores).
pub fn queue_capacity(workers: usize) -> usize {
    let per_worker = (QUEUE_BUDGET.as_millis() / HASH_COST.as_millis()) as usize;
    workers.max(1) * per_worker
}

/// A queued job: given the counters, runs (and counts itself) unless its caller is gone.
type Job = Box<dyn FnOnce(&Counters) + Send>;

#[derive(Default)]
struct Counters {
    computed: AtomicU64,
    skipped: AtomicU64,
    refused: AtomicU64,
}

/// The queue's state: for tests, metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    /// Hashes and verifications performed since start.
    pub computed: u64,
    /// Jobs skipped because their caller had gone away.
    pub skipped: u64,
    /// Jobs refused because the queue was full.
    pub refused: u64,
    /// Jobs waiting for a worker now.
    pub queued: usize,
    /// The most jobs that may wait.
    pub capacity: usize,
}

/// Hashes and verifies passwords on dedicated worker threads.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
    counters: Arc<Counters>,
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

/// The most argon2 memory (in 1 KiB blocks) a worker keeps between verifications: 64 MiB. A stored hash with a
/// larger `m` (an imported one) is verified with memory of its own, freed afterwards.
const MAX_KEPT_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// The worker's argon2 working area, reused by every verification on this thread. Allocating 19 MiB per
    /// verification cost a page fault per 4 KiB page, every time: 6–8 % of a worker's time in the kernel under a
    /// login load (`perf`, `exc_page_fault` / `do_anonymous_page`).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Whether `password` matches the argon2 PHC string `phc`, computed in the worker's reused memory. The output is
/// compared in constant time. An unparsable hash matches nothing.
fn verify_blocking(password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else { return false };
    let Ok(version) = hash.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let argon = Argon2::new(algorithm, version, params);
    let blocks = argon.params().block_count();
    if blocks > MAX_KEPT_BLOCKS {
        return argon.verify_password(password, &hash).is_ok();
    }
    let mut buffer = [0u8; 64];
    let Some(out) = buffer.get_mut(..expected.len()) else { return false };
    let computed = MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        argon.hash_password_into_with_memory(password, salt, &mut *out, &mut memory[..blocks]).is_ok()
    });
    computed && bool::from(out.ct_eq(expected.as_bytes()))
}

impl Passwords {
    /// A hasher with `workers` threads (use the number of CPUs) and a queue of [`queue_capacity`]`(workers)`.
    /// The threads end when the last clone is dropped.
    pub fn new(workers: usize) -> Self {
        Self::with_capacity(workers, queue_capacity(workers))
    }

    /// A hasher with `workers` threads and room for `capacity` waiting jobs (tests use a small one).
    pub fn with_capacity(workers: usize, capacity: usize) -> Self {
        let (jobs, receiver) = mpsc::channel::<Job>(capacity.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        let counters = Arc::new(Counters::default());
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            let counters = counters.clone();
            std::thread::Builder::new()
                .name(format!("yolk-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, never while hashing.
                        let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).blocking_recv();
                        match job {
                            Some(job) => job(&counters),
                            None => break,
                        }
                    }
                })
                .expect("spawning a password-hashing thread");
        }
        Self { jobs, counters }
    }

    /// The argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> CoreResult<String> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `hash`. With no hash (unknown user, passwordless user) it verifies against a
    /// dummy hash and returns false, taking the same time — and, when the queue is full, getting the same refusal.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> CoreResult<bool> {
        let password = password.to_owned();
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (DUMMY_HASH.to_owned(), false),
        };
        self.run(move || verify_blocking(password.as_bytes(), &hash) && real).await
    }

    /// The queue's counters and depth.
    pub fn stats(&self) -> QueueStats {
        QueueStats {
            computed: self.counters.computed.load(Ordering::SeqCst),
            skipped: self.counters.skipped.load(Ordering::SeqCst),
            refused: self.counters.refused.load(Ordering::SeqCst),
            queued: self.jobs.max_capacity() - self.jobs.capacity(),
            capacity: self.jobs.max_capacity(),
        }
    }

    /// Queues `f` without waiting (refused when the queue is full) and waits for its result. Dropping the returned
    /// future drops the receiver, and the worker then skips the job.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |counters: &Counters| {
            if tx.is_closed() {
                counters.skipped.fetch_add(1, Ordering::SeqCst);
                return;
            }
            let result = f();
            counters.computed.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(result);
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                // Logged on the first refusal and every thousandth after it: a flood must not flood the log.
                let refused = self.counters.refused.fetch_add(1, Ordering::SeqCst) + 1;
                if refused % 1000 == 1 {
                    tracing::warn!(refused, "password-hashing queue full: answering 503");
                }
                return Err(CoreError::Unavailable {
                    message: "Too many sign-in attempts are in progress; try again shortly".into(),
                    retry_after_secs: RETRY_AFTER_SECS,
                });
            }
            Err(TrySendError::Closed(_)) => return Err(CoreError::Internal("password hasher stopped".into())),
        }
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

    /// The reused-memory verification agrees with argon2's own, for the production parameters and for others (an
    /// imported hash), in any order on one thread (the kept memory only grows), and refuses what it cannot parse.
    #[test]
    fn verification_in_reused_memory_agrees_with_argon2() {
        let production = hash_blocking("correct horse").unwrap();
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, Some(16)).unwrap())
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::new(4 * 1024, 3, 1, None).unwrap())
            .hash_password(b"staple")
            .unwrap()
            .to_string();
        for _ in 0..2 {
            assert!(verify_blocking(b"correct horse", &production));
            assert!(!verify_blocking(b"correct horsf", &production));
            assert!(verify_blocking(b"battery staple", &small));
            assert!(!verify_blocking(b"correct horse", &small));
            assert!(verify_blocking(b"staple", &argon2i));
            assert!(!verify_blocking(b"staplf", &argon2i));
        }
        assert!(!verify_blocking(b"", "$argon2id$v=19$m=19456,t=2,p=1$bm9wZQ"), "no output: matches nothing");
        assert!(!verify_blocking(b"x", "not a hash"));
        assert!(!verify_blocking(b"x", "$2b$10$abcdefghijklmnopqrstuv"), "not argon2");
    }

    #[test]
    fn the_dummy_hash_is_a_valid_hash_with_production_parameters() {
        let parsed = argon2::PasswordHash::new(DUMMY_HASH).expect("parses");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        // Verifying it must do the full work (not fail fast on a malformed hash).
        assert!(argon2().verify_password(b"anything", DUMMY_HASH).is_err());
    }

    #[test]
    fn the_queue_holds_what_the_workers_finish_within_the_budget() {
        assert_eq!(queue_capacity(1), 428);
        assert_eq!(queue_capacity(2), 856);
        assert_eq!(queue_capacity(0), 428, "at least one worker");
        assert_eq!(Passwords::new(2).stats().capacity, 856);
        // What a full queue holds is done within the budget, at the measured cost.
        let full_queue_work = HASH_COST * (queue_capacity(2) / 2) as u32;
        assert!(full_queue_work <= QUEUE_BUDGET, "{full_queue_work:?}");
    }

    /// Occupies the (single) worker until the returned sender is dropped or sent to.
    fn block_the_worker(p: &Passwords) -> std::sync::mpsc::Sender<()> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let job: Job = Box::new(move |_: &Counters| {
            let _ = started_tx.send(());
            let _ = wait.recv();
        });
        p.jobs.try_send(job).unwrap_or_else(|_| panic!("queue the blocking job"));
        started_rx.recv().expect("the worker took the blocking job");
        release
    }

    /// The future's output if it is ready on its first poll.
    fn first_poll<F: Future>(f: F) -> Option<F::Output> {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(f).poll(&mut cx) {
            std::task::Poll::Ready(out) => Some(out),
            std::task::Poll::Pending => None,
        }
    }

    /// Waits (by yielding, bounded in count) until `n` jobs are queued.
    async fn until_queued(p: &Passwords, n: usize) {
        for _ in 0..100_000 {
            if p.stats().queued >= n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("never {n} queued: {:?}", p.stats());
    }

    #[tokio::test]
    async fn jobs_whose_caller_went_away_are_skipped_not_hashed() {
        let p = Passwords::with_capacity(1, 64);
        let release = block_the_worker(&p);
        // 20 logins queue behind the busy worker, then their clients go away (the handler futures are dropped).
        let abandoned: Vec<_> = (0..20)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.verify("guess", None).await })
            })
            .collect();
        until_queued(&p, 20).await;
        for task in abandoned {
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
        }
        drop(release);
        // The next real login waits only for itself.
        assert!(!p.verify("guess", None).await.unwrap());
        let stats = p.stats();
        assert_eq!((stats.computed, stats.skipped, stats.queued), (1, 20, 0), "{stats:?}");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_alike_for_known_and_unknown_users() {
        let p = Passwords::with_capacity(1, 2);
        let hash = hash_blocking("pw").unwrap();
        let release = block_the_worker(&p);
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.verify("pw", None).await })
            })
            .collect();
        until_queued(&p, 2).await;

        // Refused without waiting — on the first poll (the worker is blocked: a wait would never end) — and the
        // same for a known and an unknown user.
        let known = first_poll(p.verify("pw", Some(&hash))).expect("answered at once").unwrap_err();
        let unknown = first_poll(p.verify("pw", None)).expect("answered at once").unwrap_err();
        let hashing = first_poll(p.hash("pw")).expect("answered at once").unwrap_err();
        for e in [&known, &unknown, &hashing] {
            assert!(matches!(e, CoreError::Unavailable { retry_after_secs: RETRY_AFTER_SECS, .. }), "{e:?}");
        }
        assert_eq!(known.to_string(), unknown.to_string());
        assert_eq!(p.stats().refused, 3);

        drop(release);
        for task in waiting {
            assert!(!task.await.unwrap().unwrap());
        }
        assert!(p.verify("pw", Some(&hash)).await.unwrap(), "room again once drained");
    }
}
