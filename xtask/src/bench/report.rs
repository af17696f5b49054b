//! BENCHMARKS.md: machine facts, raw limits, one table per store with the targets beside the figures.

use std::fmt::Write as _;

use super::load::LoadResult;
use super::machine::Facts;
use super::raw::RawLimits;
use super::scenarios::StoreResult;
use crate::{BenchArgs, StoreKind};

/// Login throughput target: this share of the raw argon2id limit.
const LOGIN_SHARE: f64 = 0.90;
/// Refresh target on SQLite with 2 cores, per second.
const REFRESH_TARGET: f64 = 2500.0;
/// Users-list reads target at 256 connections, per second.
const READS_TARGET: f64 = 10_000.0;
/// Users-list p99 target, milliseconds.
const READS_P99_TARGET: f64 = 20.0;
/// Idle RSS target, MiB.
const IDLE_RSS_TARGET_MIB: f64 = 25.0;
/// Ready-time target on an existing store, milliseconds.
const READY_TARGET_MS: f64 = 150.0;

/// Everything the report shows.
pub struct Report<'a> {
    /// The machine.
    pub facts: &'a Facts,
    /// PostgreSQL's version, when measured.
    pub pg_version: Option<String>,
    /// The command that produced it.
    pub command: String,
    /// The flags.
    pub args: &'a BenchArgs,
    /// Whether wrk drove the fixed-request scenarios.
    pub use_wrk: bool,
    /// The raw limits.
    pub raw: RawLimits,
    /// Each store's figures, or why there are none.
    pub stores: &'a [(StoreKind, Result<StoreResult, String>)],
}

/// `12,345` for large values, one decimal below 100.
fn num(v: f64) -> String {
    if v < 100.0 {
        return format!("{v:.1}");
    }
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn met(ok: bool) -> &'static str {
    if ok { "✅ met" } else { "❌ not met" }
}

fn latency(r: &LoadResult) -> String {
    format!("p50 {:.2} ms, p99 {:.2} ms", r.p50_ms, r.p99_ms)
}

impl Report<'_> {
    fn dry_run(&self) -> bool {
        self.args.duration < 10 || self.args.users < 10_000
    }

    /// The markdown document.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let f = self.facts;
        let a = self.args;
        s.push_str("# Benchmarks\n\n");
        if let Some(note) = &a.note {
            let _ = writeln!(s, "> **{note}**\n");
        }
        if self.dry_run() {
            s.push_str(
                "> Reduced parameters (shorter than 10 s per scenario or fewer than 10,000 users): the figures are \
                 indicative only.\n\n",
            );
        }
        let _ = writeln!(
            s,
            "Produced by `cargo xtask bench` (source: `xtask/src/bench/`). Re-run it on a quiet machine to refresh \
             this file; every figure below comes from that one run.\n"
        );
        s.push_str("## Machine and run\n\n| | |\n|---|---|\n");
        let _ = writeln!(s, "| CPU | {} × {} |", f.cores, f.cpu_model);
        let _ = writeln!(s, "| Memory | {} |", f.memory);
        let _ = writeln!(s, "| Kernel | {} |", f.kernel);
        let _ = writeln!(s, "| Load average at start (1/5/15 min) | {} |", f.loadavg);
        if let Some(v) = &self.pg_version {
            let _ = writeln!(s, "| PostgreSQL | {v}, same machine |");
        }
        let _ = writeln!(s, "| Rust | {} |", f.rustc);
        let _ = writeln!(s, "| Date | {} |", f.date);
        let _ = writeln!(s, "| Commit | `{}` |", f.commit);
        let _ = writeln!(s, "| Command | `{}` |", self.command);
        let generator = if self.use_wrk {
            format!("wrk, {} thread(s) (chained refresh and seeding: built-in)", a.client_threads)
        } else {
            format!("built-in, {} thread(s)", a.client_threads)
        };
        let _ = writeln!(
            s,
            "| Parameters | {} s per scenario; {} users; {} connections (vendor, users list), {} (logins), {} \
             (refresh chains); load generator: {generator} |\n",
            a.duration, a.users, a.connections, a.login_connections, a.refresh_connections
        );

        let r = &self.raw;
        s.push_str("## Raw limits (in-process, no server)\n\n");
        let _ = writeln!(s, "| Operation | 1 thread | all cores ({} threads) |\n|---|---:|---:|", r.threads);
        let _ = writeln!(
            s,
            "| argon2id verify, m=19456 KiB, t=2, p=1 (a password login) | {}/s | {}/s |",
            num(r.argon2_single),
            num(r.argon2_all)
        );
        let _ = writeln!(
            s,
            "| RS256 sign of a typical user token, 2048-bit key, yolk's signer (a refresh) | {}/s | {}/s |",
            num(r.rs256_single),
            num(r.rs256_all)
        );
        let _ = writeln!(
            s,
            "| bare aws-lc-rs RSA-PKCS1-SHA256 sign of the same bytes (the hardware) | {}/s | {}/s |\n",
            num(r.rsa_bare_single),
            num(r.rsa_bare_all)
        );

        for (kind, outcome) in self.stores {
            let _ = writeln!(s, "## {}\n", kind.label());
            match outcome {
                Err(e) => {
                    let _ = writeln!(s, "Not measured: {e}\n");
                }
                Ok(res) => self.store_section(&mut s, *kind, res),
            }
        }
        s.push_str(METHOD);
        s
    }

    fn store_section(&self, s: &mut String, kind: StoreKind, res: &StoreResult) {
        let r = &self.raw;
        let cores = self.facts.cores;
        s.push_str("| Measure | Result | Target | |\n|---|---|---|---|\n");
        if let Some(l) = &res.login {
            let share = l.rate() / r.argon2_all;
            let _ = writeln!(
                s,
                "| Password logins/s | {} ({:.0} % of the raw argon2id limit; {}) | ≥ 90 % of the raw limit | {} |",
                num(l.rate()),
                share * 100.0,
                latency(l),
                met(share >= LOGIN_SHARE)
            );
        }
        if let Some(l) = &res.refresh {
            let share = l.rate() / r.rs256_all;
            let (target, verdict) = match kind {
                StoreKind::Sqlite if cores == 2 => {
                    ("≥ 2,500/s (SQLite, 2 cores)".to_owned(), met(l.rate() >= REFRESH_TARGET))
                }
                StoreKind::Sqlite => (
                    format!("≥ 2,500/s (SQLite, 2 cores; this machine has {cores})"),
                    if l.rate() >= REFRESH_TARGET {
                        "✅ met (other core count)"
                    } else {
                        "❌ not met (other core count)"
                    },
                ),
                StoreKind::Postgres => ("— (the target is for SQLite)".to_owned(), ""),
            };
            let _ = writeln!(
                s,
                "| Token refreshes/s (chained, {} sessions) | {} ({:.0} % of the raw RS256 all-cores limit; {}) | {target} | {verdict} |",
                l.connections,
                num(l.rate()),
                share * 100.0,
                latency(l)
            );
        }
        if let Some(l) = &res.vendor {
            let _ = writeln!(
                s,
                "| `POST /auth/vendor`/s ({} connections) | {} ({}) | — | |",
                l.connections,
                num(l.rate()),
                latency(l)
            );
        }
        match &res.users {
            Some(l) => {
                let _ = writeln!(
                    s,
                    "| Users v3 reads/s (`_limit=25`, {} users, {} connections) | {} | ≥ 10,000/s | {} |",
                    res.users_total.map_or_else(|| self.args.users.to_string(), |t| t.to_string()),
                    l.connections,
                    num(l.rate()),
                    met(l.rate() >= READS_TARGET)
                );
                let _ = writeln!(
                    s,
                    "| Users v3 latency at {} connections | {} | p99 ≤ 20 ms | {} |",
                    l.connections,
                    latency(l),
                    met(l.p99_ms <= READS_P99_TARGET)
                );
            }
            None => {
                let _ = writeln!(s, "| Users v3 reads/s | not measured (see below) | ≥ 10,000/s, p99 ≤ 20 ms | |");
            }
        }
        if let Some(l) = &res.users_as_member {
            let _ = writeln!(
                s,
                "| Users v3 reads/s with a user token (session, lock and membership checked, cached ≤ 2 s) | {} ({}) | — | |",
                num(l.rate()),
                latency(l)
            );
        }
        if let Some(kib) = res.idle_rss_kib {
            let _ =
                writeln!(s, "| Idle RSS | {:.1} MiB | ≤ 25 MB | {} |", mib(kib), met(mib(kib) <= IDLE_RSS_TARGET_MIB));
        }
        if let Some(kib) = res.max_load_rss_kib() {
            let _ = writeln!(s, "| RSS under load (max over all scenarios) | {:.1} MiB | — | |", mib(kib));
        }
        if let Some(m) = res.ready_median() {
            let min = res.ready_ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = res.ready_ms.iter().copied().fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "| Ready time, existing store (process start → first `/health` 200) | {m:.1} ms (median of {}; {min:.1}–{max:.1}) | ≤ 150 ms | {} |",
                res.ready_ms.len(),
                met(m <= READY_TARGET_MS)
            );
        }
        if let Some(seeded) = &res.seeded {
            let secs = seeded.elapsed.as_secs_f64();
            let _ = writeln!(
                s,
                "| Seeding: `POST /identity/resources/users/v1` ({} in flight) | {} users in {secs:.1} s ({}/s) | — | |",
                self.args.seed_concurrency,
                seeded.created,
                num(seeded.created as f64 / secs.max(1e-9))
            );
        }
        s.push('\n');
        for note in &res.notes {
            let _ = writeln!(s, "- {note}");
        }
        if !res.notes.is_empty() {
            s.push('\n');
        }
        s.push_str("<details><summary>Per-scenario detail</summary>\n\n");
        s.push_str("| Scenario | Generator | Connections | OK | Errors | req/s | p50 | p99 | Max RSS |\n");
        s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        let rows = [
            ("/auth/vendor", &res.vendor),
            ("password login", &res.login),
            ("chained refresh", &res.refresh),
            ("users v3 list", &res.users),
            ("users v3 list (user token)", &res.users_as_member),
        ];
        for (name, r) in rows {
            let Some(r) = r else { continue };
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} | {} | {} | {:.2} ms | {:.2} ms | {} |",
                r.generator,
                r.connections,
                r.ok,
                r.errors,
                num(r.rate()),
                r.p50_ms,
                r.p99_ms,
                r.max_rss_kib.map_or_else(|| "?".into(), |k| format!("{:.1} MiB", mib(k)))
            );
        }
        let errors: Vec<String> = rows
            .iter()
            .filter_map(|(name, r)| Some(format!("{name}: {}", r.as_ref()?.first_error.as_ref()?)))
            .collect();
        if !errors.is_empty() {
            s.push_str("\nFirst errors:\n\n");
            for e in errors {
                let _ = writeln!(s, "- {}", e.replace('|', "\\|"));
            }
        }
        s.push_str("\n</details>\n\n");
    }

    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "raw: argon2id {}/s, RS256 {}/s (all {} cores)\n",
            num(self.raw.argon2_all),
            num(self.raw.rs256_all),
            self.raw.threads
        );
        for (kind, outcome) in self.stores {
            match outcome {
                Err(e) => {
                    let _ = writeln!(s, "{}: {e}", kind.label());
                }
                Ok(r) => {
                    let rate = |x: &Option<LoadResult>| x.as_ref().map_or_else(|| "-".into(), |l| num(l.rate()));
                    let p99 = r.users.as_ref().map_or_else(|| "-".into(), |l| format!("{:.1}", l.p99_ms));
                    let _ = writeln!(
                        s,
                        "{}: login {}/s, refresh {}/s, vendor {}/s, users v3 {}/s (p99 {p99} ms), idle {:.1} MiB, \
                         load {:.1} MiB, ready {:.1} ms",
                        kind.label(),
                        rate(&r.login),
                        rate(&r.refresh),
                        rate(&r.vendor),
                        rate(&r.users),
                        r.idle_rss_kib.map_or(0.0, mib),
                        r.max_load_rss_kib().map_or(0.0, mib),
                        r.ready_median().unwrap_or(0.0)
                    );
                }
            }
        }
        s
    }
}

const METHOD: &str = "## Method\n\n\
- **Raw limits** are measured inside xtask, without a server, with the crates and parameters yolk uses: argon2id \
  verifications (`argon2` 0.6, m=19456 KiB, t=2, p=1) and RS256 signatures of a typical user token \
  (`yolk_core::tokens::Tokens::issue_user_token`: the key parsed once, `aws-lc-rs`, 2048-bit key), and a bare \
  `aws_lc_rs` `RsaKeyPair` signature of the same signing input, on one thread and on `available_parallelism` threads.\n\
- **Server**: `target/release/yolk` on a free 127.0.0.1 port with a fixed client id and API key; SQLite in a fresh \
  temporary data directory, PostgreSQL in a fresh database `yolk_bench_<random>` (dropped afterwards). The store is \
  created by a first start; the **ready time** is then measured over several restarts on the existing store, from \
  just before the process is spawned to the first `/health` 200 (polled every 2 ms). **Idle RSS** is `VmRSS` from \
  `/proc/<pid>/status` after the last start and a settle; **RSS under load** is the largest `VmRSS` sampled every \
  20 ms during the load scenarios.\n\
- **Seeding** goes through the API: a sign-up (`POST /identity/resources/users/v1/signUp`) makes the tenant and its \
  owner (who logs in), then `POST /identity/resources/users/v1` (environment token + `frontegg-tenant-id`, no \
  password) adds the other users (`--seed-concurrency` in flight). On PostgreSQL, `ANALYZE` runs after seeding, as \
  autovacuum would after a bulk insert (test instances often run with autovacuum off).\n\
- **Scenarios** (each a fixed duration with a fixed number of keep-alive connections, each connection sending its \
  next request as soon as the previous answer arrives): `POST /auth/vendor`; password logins of the owner \
  (`POST /identity/resources/auth/v1/user`); token refreshes (`POST /identity/resources/auth/v1/user/token/refresh` \
  with `{\"refreshToken\": ...}`), where every connection owns a session opened by a login beforehand and sends each \
  answer's new refresh token next, since each refresh rotates the token; and \
  `GET /identity/resources/users/v3?_limit=25&_offset=0` with the environment token and `frontegg-tenant-id`, then \
  with the owner's access token (every request checks that the token's session is live, the user unlocked and the \
  membership enabled, through the per-node access cache: one store read per session and 2 s at most). \
  Rates count successful answers only; errors are listed in the detail.\n\
- **Limits**: the per-address rate limit of the password paths (`rate_limit_per_ip`) is off, because every request \
  comes from the one load-generator address; the per-identifier failure limit and every other limit stay on.\n\
- **Load generators**: the fixed-request scenarios use `wrk --latency` when it is installed (the harness installs \
  the Debian package if it can), otherwise the generator built into xtask. The chained refresh cannot be expressed \
  with wrk (its Lua hooks are per thread, not per connection), so it always uses the built-in generator: a minimal \
  HTTP/1.1 keep-alive client on tokio, built with `--release`, recording every latency and reporting exact \
  percentiles. The generator runs on the same machine and takes CPU from the server, so the figures are a lower \
  bound of what the server does with the machine to itself.\n\
- **Targets** (from the issue): login ≥ 90 % of the raw hash limit; refresh ≥ 2,500/s on 2 cores on SQLite; users v3 \
  reads ≥ 10,000/s with p99 ≤ 20 ms at 256 connections; idle RSS ≤ 25 MB (compared in MiB); ready ≤ 150 ms on an \
  existing store.\n";
