//! The built-in load generator: a fixed number of keep-alive connections, each sending its next request as soon
//! as the previous answer arrives (closed loop, like wrk), for a fixed duration; every answer's latency is kept
//! and sorted at the end for exact percentiles.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::http::{Conn, Response, request};

/// A request answer slower than this counts as an error (and the connection is replaced).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Successful answers.
    pub ok: u64,
    /// Failed requests (unexpected status, I/O error, timeout).
    pub errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Median latency of successful requests, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency of successful requests, milliseconds.
    pub p99_ms: f64,
    /// Largest RSS of the server seen during the run, KiB.
    pub max_rss_kib: Option<u64>,
    /// The first error, for the log.
    pub first_error: Option<String>,
    /// Which generator produced the figures.
    pub generator: &'static str,
    /// Connections used.
    pub connections: usize,
    /// CPU time the server used during the run, seconds (user + system, from `/proc`).
    pub server_cpu_secs: Option<f64>,
    /// CPU time the load generator used during the run, seconds.
    pub generator_cpu_secs: Option<f64>,
}

impl LoadResult {
    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.ok as f64 / secs } else { 0.0 }
    }

    /// Cores the server kept busy on average (CPU seconds per second of the run).
    pub fn server_cores(&self) -> Option<f64> {
        per_second(self.server_cpu_secs, self.elapsed)
    }

    /// Cores the load generator kept busy on average.
    pub fn generator_cores(&self) -> Option<f64> {
        per_second(self.generator_cpu_secs, self.elapsed)
    }
}

fn per_second(cpu: Option<f64>, elapsed: Duration) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    cpu.filter(|_| secs > 0.0).map(|c| c / secs)
}

/// The requests a connection sends.
#[derive(Clone)]
pub enum Plan {
    /// The same request every time; `expect` is the success status.
    Fixed {
        /// The raw request.
        request: Arc<Vec<u8>>,
        /// The status of a success.
        expect: u16,
    },
    /// Token refreshes, each connection chaining its own session: `tokens[i]` is connection i's first refresh
    /// token; each answer's `refreshToken` is sent next.
    RefreshChain {
        /// One starting refresh token per connection.
        tokens: Vec<String>,
    },
    /// Single-use requests (an MFA verification, a magic link): every connection takes the next one until none is
    /// left; `expect` is the success status.
    Queue { requests: Arc<std::sync::Mutex<Vec<Vec<u8>>>>, expect: u16 },
}

/// The refresh path.
pub const REFRESH_PATH: &str = "/identity/resources/auth/v1/user/token/refresh";

enum ConnState {
    Fixed(Arc<Vec<u8>>, u16),
    Refresh(Option<String>),
    Queue(Arc<std::sync::Mutex<Vec<Vec<u8>>>>, u16),
}

impl ConnState {
    fn next_request(&self) -> Option<Vec<u8>> {
        match self {
            ConnState::Fixed(r, _) => Some(r.as_ref().clone()),
            ConnState::Refresh(Some(token)) => {
                let body = serde_json::json!({ "refreshToken": token }).to_string();
                Some(request("POST", REFRESH_PATH, &[], Some(body.as_bytes())))
            }
            // The chain broke (a failed refresh ends the session): this connection is done.
            ConnState::Refresh(None) => None,
            ConnState::Queue(q, _) => q.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop(),
        }
    }

    /// Whether the answer is a success; for refreshes, takes the next token from it.
    fn on_response(&mut self, resp: &Response) -> Result<(), String> {
        match self {
            ConnState::Fixed(_, expect) if resp.status == *expect => Ok(()),
            ConnState::Fixed(..) => Err(format!("status {}: {}", resp.status, truncate(&resp.text()))),
            ConnState::Queue(_, expect) if resp.status == *expect => Ok(()),
            ConnState::Queue(..) => Err(format!("status {}: {}", resp.status, truncate(&resp.text()))),
            ConnState::Refresh(token) => {
                let next =
                    (resp.status == 201).then(|| resp.json()["refreshToken"].as_str().map(str::to_owned)).flatten();
                match next {
                    Some(t) => {
                        *token = Some(t);
                        Ok(())
                    }
                    None => {
                        *token = None;
                        Err(format!("refresh: status {}: {}", resp.status, truncate(&resp.text())))
                    }
                }
            }
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

#[derive(Default)]
struct ConnOutcome {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u32>,
    first_error: Option<String>,
}

/// Runs `plan` over `connections` connections for `duration`, sampling the server's RSS meanwhile.
pub async fn run(
    addr: SocketAddr,
    plan: Plan,
    connections: usize,
    duration: Duration,
    server_pid: u32,
) -> anyhow::Result<LoadResult> {
    let states: Vec<ConnState> = match &plan {
        Plan::Fixed { request, expect } => {
            (0..connections).map(|_| ConnState::Fixed(request.clone(), *expect)).collect()
        }
        Plan::RefreshChain { tokens } => tokens.iter().map(|t| ConnState::Refresh(Some(t.clone()))).collect(),
        Plan::Queue { requests, expect } => {
            (0..connections).map(|_| ConnState::Queue(requests.clone(), *expect)).collect()
        }
    };
    let connections = states.len();
    // Connect everything before the clock starts.
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(Conn::connect(addr).await.context("connecting the load generator")?);
    }
    let sampler = RssSampler::start(server_pid);
    let own_cpu = cpu_secs(std::process::id());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for (conn, state) in conns.into_iter().zip(states) {
        tasks.push(tokio::spawn(drive(addr, conn, state, deadline)));
    }
    let mut total = ConnOutcome::default();
    for t in tasks {
        let o = t.await.context("load task")?;
        total.ok += o.ok;
        total.errors += o.errors;
        total.latencies_us.extend(o.latencies_us);
        if total.first_error.is_none() {
            total.first_error = o.first_error;
        }
    }
    let elapsed = started.elapsed();
    let generator_cpu_secs = cpu_delta(own_cpu, cpu_secs(std::process::id()));
    let sampled = sampler.stop();
    let mut lat = total.latencies_us;
    lat.sort_unstable();
    Ok(LoadResult {
        ok: total.ok,
        errors: total.errors,
        elapsed,
        p50_ms: percentile(&lat, 50.0),
        p99_ms: percentile(&lat, 99.0),
        max_rss_kib: sampled.max_rss_kib,
        first_error: total.first_error,
        generator: "built-in",
        connections,
        server_cpu_secs: sampled.cpu_secs,
        generator_cpu_secs,
    })
}

async fn drive(addr: SocketAddr, mut conn: Conn, mut state: ConnState, deadline: Instant) -> ConnOutcome {
    let mut out = ConnOutcome { latencies_us: Vec::with_capacity(4096), ..Default::default() };
    let note = |out: &mut ConnOutcome, e: String| {
        out.errors += 1;
        if out.first_error.is_none() {
            out.first_error = Some(e);
        }
    };
    while Instant::now() < deadline {
        let Some(req) = state.next_request() else { break };
        let sent = Instant::now();
        match tokio::time::timeout(REQUEST_TIMEOUT, conn.send(&req)).await {
            Ok(Ok(resp)) => {
                let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                match state.on_response(&resp) {
                    Ok(()) => {
                        out.ok += 1;
                        out.latencies_us.push(micros);
                    }
                    Err(e) => note(&mut out, e),
                }
                if conn.is_closed() {
                    match Conn::connect(addr).await {
                        Ok(c) => conn = c,
                        Err(e) => {
                            note(&mut out, format!("reconnect: {e}"));
                            break;
                        }
                    }
                }
            }
            failed => {
                let msg = match failed {
                    Ok(Err(e)) => format!("i/o: {e}"),
                    _ => "timeout".to_owned(),
                };
                note(&mut out, msg);
                match Conn::connect(addr).await {
                    Ok(c) => conn = c,
                    Err(e) => {
                        note(&mut out, format!("reconnect: {e}"));
                        break;
                    }
                }
            }
        }
    }
    out
}

/// The `p`th percentile of sorted microsecond samples, in milliseconds (0 when empty).
pub fn percentile(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[idx]) / 1000.0
}

/// The resident set size of a process, KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Clock ticks per second of `/proc/<pid>/stat`'s times (`getconf CLK_TCK`; 100 on Linux unless told otherwise).
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// A process's state letter and the CPU time it has used (user + system, all its threads), seconds.
pub fn proc_cpu(pid: u32) -> Option<(char, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|(state, ticks)| (state, ticks / clock_ticks()))
}

/// The state letter and `utime + stime` (clock ticks) of a `/proc/<pid>/stat` line.
fn parse_stat(stat: &str) -> Option<(char, f64)> {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((state, utime + stime))
}

/// The CPU time a process has used, seconds.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    proc_cpu(pid).map(|(_, secs)| secs)
}

/// `after - before` when both are known.
pub fn cpu_delta(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    Some((after? - before?).max(0.0))
}

/// CPU time used so far by every process named `postgres`, seconds.
fn postgres_cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(cpu_secs)
        .sum()
}

/// Waits until the server (and, with `postgres`, the PostgreSQL processes) has worked off what the last load left
/// in flight: until they use less than a tenth of a core over 200 ms, at most 60 s. A load generator that stops
/// leaves requests behind (the server may still run their queries after the connections close); a fixed pause
/// would charge that backlog to the next scenario whenever pages are slow. Returns how long it waited.
pub async fn drain(server_pid: u32, postgres: bool) -> Duration {
    let started = Instant::now();
    let busy = || cpu_secs(server_pid).unwrap_or(0.0) + if postgres { postgres_cpu_secs() } else { 0.0 };
    loop {
        let before = busy();
        tokio::time::sleep(Duration::from_millis(200)).await;
        if busy() - before < 0.02 || started.elapsed() > Duration::from_secs(60) {
            return started.elapsed();
        }
    }
}

/// What a [`RssSampler`] saw of the server during a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sampled {
    /// The largest RSS, KiB.
    pub max_rss_kib: Option<u64>,
    /// CPU time used between start and stop, seconds.
    pub cpu_secs: Option<f64>,
}

/// Samples a process's RSS every 20 ms on its own thread, keeping the maximum, and its CPU time at start and stop.
pub struct RssSampler {
    pid: u32,
    cpu_at_start: Option<f64>,
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Option<u64>>,
}

impl RssSampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let cpu_at_start = cpu_secs(pid);
        let handle = std::thread::spawn(move || {
            let mut max = rss_kib(pid);
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                max = max.max(rss_kib(pid));
            }
            max
        });
        Self { pid, cpu_at_start, stop, handle }
    }

    /// Stops; the largest RSS seen and the CPU time used since the start.
    pub fn stop(self) -> Sampled {
        let cpu = cpu_delta(self.cpu_at_start, cpu_secs(self.pid));
        self.stop.store(true, Ordering::Relaxed);
        Sampled { max_rss_kib: self.handle.join().ok().flatten(), cpu_secs: cpu }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time_from_a_stat_line() {
        let line =
            "4242 (wrk (x) y) Z 1 4242 4242 0 -1 4194560 100 0 0 0 150 37 0 0 20 0 2 0 99 0 0 18446744073709551615";
        assert_eq!(parse_stat(line), Some(('Z', 187.0)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        assert!(cpu_secs(std::process::id()).is_some_and(|s| s >= 0.0));
    }
}
