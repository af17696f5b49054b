//! BENCHMARKS.md: machine facts, raw limits, issue 7's targets table (SQLite and PostgreSQL side by side, every
//! row ✅ or ❌), each store's figures with its growth curve, the peers and their ratios, and the method.

use std::fmt::Write as _;

use super::growth::Growth;
use super::load::LoadResult;
use super::machine::Facts;
use super::peers::PeerResults;
use super::raw::RawLimits;
use super::scenarios::StoreResult;
use super::server::DEFAULT_RATE_LIMIT_PER_IP;
use crate::{BenchArgs, StoreKind};

/// Issue 7's targets, per store.
struct Targets {
    /// Users v3 reads/s at 256 connections.
    reads: f64,
    /// Users v3 p99 at 32 connections, milliseconds.
    reads_p99_ms: f64,
    /// p50 of the largest growth tenant over the smallest's.
    growth_p50_ratio: f64,
    /// Chained refreshes/s.
    refresh: f64,
    /// Share of the raw RS256 all-cores limit the refreshes must reach (SQLite only).
    refresh_share: Option<f64>,
    /// `POST /auth/vendor`/s.
    vendor: f64,
    /// Logins as a share of the argon2id limit.
    login_share: f64,
    /// Ready on an existing store, milliseconds.
    ready_ms: f64,
}

fn targets(kind: StoreKind) -> Targets {
    match kind {
        StoreKind::Sqlite => Targets {
            reads: 10_000.0,
            reads_p99_ms: 10.0,
            growth_p50_ratio: 1.5,
            refresh: 2_500.0,
            refresh_share: Some(0.60),
            vendor: 3_000.0,
            login_share: 0.90,
            ready_ms: 50.0,
        },
        StoreKind::Postgres => Targets {
            reads: 5_000.0,
            reads_p99_ms: 20.0,
            growth_p50_ratio: 1.5,
            refresh: 1_500.0,
            refresh_share: None,
            vendor: 2_500.0,
            login_share: 0.85,
            ready_ms: 150.0,
        },
    }
}

/// The peer scenarios the ratios use.
const PEER_REFRESH: &str = "oidc-provider.refresh_chained";
const PEER_REFRESH_SQLITE: &str = "oidc-provider.refresh_chained.sqlite";
const PEER_VENDOR: &str = "oidc-provider.client_credentials";
const PEER_LIST: &str = "better-auth.list_members";
const PEER_SIGN_IN: &str = "better-auth.sign_in";
const PEER_SCRYPT: &str = "better-auth.raw_scrypt_verify";

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
    /// `rate_limit_per_ip` of the benchmark servers.
    pub rate_limit_per_ip: u32,
    /// Each store's figures, or why there are none.
    pub stores: &'a [(StoreKind, Result<StoreResult, String>)],
    /// The peers, when run.
    pub peers: Option<&'a PeerResults>,
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

/// A count with thousands separators (`25`, `1,000`).
fn count(n: impl Into<u64>) -> String {
    let n: u64 = n.into();
    if n < 100 { n.to_string() } else { num(n as f64) }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn rss(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |k| format!("{:.1} MiB", mib(k)))
}

fn mark(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

fn latency(r: &LoadResult) -> String {
    format!("p50 {:.2} ms, p99 {:.2} ms", r.p50_ms, r.p99_ms)
}

fn cores(v: Option<f64>) -> String {
    v.map_or_else(|| "?".into(), |c| format!("{c:.2}"))
}

/// A login scenario against the hash limit.
struct LoginShare {
    /// argon2id verifications/s on all cores, measured right before (or the raw limit).
    limit: f64,
    /// Whether `limit` was measured right before the scenario.
    fresh: bool,
    /// Logins/s over `limit`.
    plain: f64,
    /// Cores the load generator used.
    generator_cores: Option<f64>,
    /// Logins/s over the share of `limit` the generator left to the server (the target's basis).
    adjusted: f64,
}

impl Report<'_> {
    fn dry_run(&self) -> bool {
        let a = self.args;
        a.duration < 10
            || a.users < 10_000
            || (!a.no_growth && (a.store_users < 1_000_000 || a.growth_sizes.iter().max().is_none_or(|m| *m < 100_000)))
    }

    fn login_share(&self, res: &StoreResult, l: &LoadResult) -> LoginShare {
        let (limit, fresh) = match res.login_hash_limit {
            Some(v) if v > 0.0 => (v, true),
            _ => (self.raw.argon2_all, false),
        };
        let n = self.facts.cores.max(1) as f64;
        let generator_cores = l.generator_cores();
        let left = (n - generator_cores.unwrap_or(0.0)).max(0.1) / n;
        LoginShare { limit, fresh, plain: l.rate() / limit, generator_cores, adjusted: l.rate() / (limit * left) }
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
                "> Reduced parameters (shorter than 10 s per scenario, fewer than 10,000 users, or a growth curve \
                 short of 100k-user tenants in a store of 1M): the figures are indicative only.\n\n",
            );
        }
        let _ = writeln!(
            s,
            "Produced by `cargo xtask bench{}` (source: `xtask/src/bench/`). Re-run it on a quiet machine to refresh \
             this file; every figure below comes from that one run.\n",
            if self.peers.is_some() { " --peers" } else { "" }
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
        if let Some(p) = self.peers {
            let _ = writeln!(s, "| Peers | {} |", p.header.as_deref().unwrap_or("(the kit printed no header)"));
        }
        let _ = writeln!(s, "| Date | {} |", f.date);
        let _ = writeln!(s, "| Commit | `{}` |", f.commit);
        let _ = writeln!(s, "| Command | `{}` |", self.command);
        let generator = if self.use_wrk {
            format!("wrk, {} thread(s) (chained refresh and seeding: built-in)", a.client_threads)
        } else {
            format!("built-in, {} thread(s)", a.client_threads)
        };
        let growth = if a.no_growth {
            "no growth curve".to_owned()
        } else {
            let sizes: Vec<String> = a.growth_sizes.iter().map(|n| count(*n as u64)).collect();
            format!(
                "growth curve: tenants of {} and {} users in a store of {} users, {} connections",
                sizes.join(", "),
                a.small_tenant,
                count(a.store_users as u64),
                a.growth_connections
            )
        };
        let _ = writeln!(
            s,
            "| Parameters | {} s per scenario; {} users in the main tenant; {} connections (vendor, users list), {} \
             (users-list latency), {} (logins), {} (refresh chains); {growth}; load generator: {generator}; \
             `rate_limit_per_ip` {} a minute (default {DEFAULT_RATE_LIMIT_PER_IP}; see Method) |\n",
            a.duration,
            a.users,
            a.connections,
            a.latency_connections,
            a.login_connections,
            a.refresh_connections,
            num(f64::from(self.rate_limit_per_ip)),
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

        self.targets_section(&mut s);
        for (kind, outcome) in self.stores {
            let _ = writeln!(s, "## {}\n", kind.label());
            match outcome {
                Err(e) => {
                    let _ = writeln!(s, "Not measured: {e}\n");
                }
                Ok(res) => self.store_section(&mut s, res),
            }
        }
        if let Some(p) = self.peers {
            self.peers_section(&mut s, p);
        }
        s.push_str(&self.method());
        s
    }

    fn store(&self, kind: StoreKind) -> Option<&StoreResult> {
        self.stores.iter().find(|(k, _)| *k == kind).and_then(|(_, r)| r.as_ref().ok())
    }

    /// Issue 7's table: one row per figure, SQLite and PostgreSQL side by side.
    fn targets_section(&self, s: &mut String) {
        s.push_str("## Targets (issue 7)\n\n");
        if self.facts.cores != 2 {
            let _ = writeln!(
                s,
                "The targets are for 2 cores; this machine has {}: read the verdicts with that in mind.\n",
                self.facts.cores
            );
        }
        s.push_str("| Figure | SQLite target | SQLite | PostgreSQL target | PostgreSQL |\n|---|---|---|---|---|\n");
        type Row<'r> =
            (String, Box<dyn Fn(&Targets) -> String + 'r>, Box<dyn Fn(&StoreResult, &Targets) -> String + 'r>);
        let rows: Vec<Row<'_>> = vec![
            (
                format!("Users v3 page of 25, {} connections (main tenant)", self.args.connections),
                Box::new(|t| format!("≥ {}/s", num(t.reads))),
                Box::new(|res, t| match &res.users {
                    Some(l) => format!("{}/s {}", num(l.rate()), mark(l.rate() >= t.reads)),
                    None => "not measured".into(),
                }),
            ),
            (
                format!("same, {} connections", self.args.latency_connections),
                Box::new(|t| format!("p99 ≤ {} ms", t.reads_p99_ms)),
                Box::new(|res, t| match &res.users_latency {
                    Some(l) => {
                        format!("p99 {:.2} ms {}", l.p99_ms, mark(l.p99_ms <= t.reads_p99_ms))
                    }
                    None => "not measured".into(),
                }),
            ),
            (
                "same, p50 of the largest growth tenant vs the smallest".into(),
                Box::new(|t| format!("within {}×", t.growth_p50_ratio)),
                Box::new(|res, t| match growth_of(res).and_then(|g| Some((g.extremes()?, g.p50_ratio()))) {
                    Some(((large, small), None)) => {
                        let silent = if large.result.ok == 0 { large } else { small };
                        format!(
                            "no page answered during the {} s run at {} users (one page alone: {:.0} ms) ❌",
                            self.args.duration,
                            count(silent.tenant_users as u64),
                            silent.alone_ms
                        )
                    }
                    Some(((large, small), Some(ratio))) => format!(
                        "{ratio:.2}× ({} users {:.2} ms, {} users {:.2} ms) {}",
                        count(large.tenant_users as u64),
                        large.result.p50_ms,
                        count(small.tenant_users as u64),
                        small.result.p50_ms,
                        mark(ratio <= t.growth_p50_ratio)
                    ),
                    None => "not measured".into(),
                }),
            ),
            (
                "Chained refresh".into(),
                Box::new(|t| match t.refresh_share {
                    Some(share) => format!("≥ {}/s and ≥ {:.0} % of the RS256 limit", num(t.refresh), share * 100.0),
                    None => format!("≥ {}/s", num(t.refresh)),
                }),
                Box::new(|res, t| match &res.refresh {
                    Some(l) => {
                        let share = l.rate() / self.raw.rs256_all;
                        let ok = l.rate() >= t.refresh && t.refresh_share.is_none_or(|min| share >= min);
                        format!("{}/s ({:.0} %) {}", num(l.rate()), share * 100.0, mark(ok))
                    }
                    None => "not measured".into(),
                }),
            ),
            (
                "`POST /auth/vendor`".into(),
                Box::new(|t| format!("≥ {}/s", num(t.vendor))),
                Box::new(|res, t| match &res.vendor {
                    Some(l) => format!("{}/s {}", num(l.rate()), mark(l.rate() >= t.vendor)),
                    None => "not measured".into(),
                }),
            ),
            (
                "Password login, share of the argon2id limit".into(),
                Box::new(|t| format!("≥ {:.0} %", t.login_share * 100.0)),
                Box::new(|res, t| match &res.login {
                    Some(l) => {
                        let share = self.login_share(res, l);
                        format!(
                            "{:.0} % ({}/s) {}",
                            share.adjusted * 100.0,
                            num(l.rate()),
                            mark(share.adjusted >= t.login_share)
                        )
                    }
                    None => "not measured".into(),
                }),
            ),
            (
                "Ready on an existing store".into(),
                Box::new(|t| format!("≤ {} ms", t.ready_ms)),
                Box::new(|res, t| match res.ready_median() {
                    Some(m) => format!("{m:.1} ms {}", mark(m <= t.ready_ms)),
                    None => "not measured".into(),
                }),
            ),
        ];
        for (name, target, result) in &rows {
            let mut line = format!("| {name} |");
            for kind in [StoreKind::Sqlite, StoreKind::Postgres] {
                let t = targets(kind);
                let cell = self.store(kind).map_or_else(|| "not measured".into(), |res| result(res, &t));
                let _ = write!(line, " {} | {cell} |", target(&t));
            }
            let _ = writeln!(s, "{line}");
        }
        for pair in self.peer_pairs() {
            let mut line = format!("| Peers: {} |", pair.name);
            for kind in [StoreKind::Sqlite, StoreKind::Postgres] {
                let cell = match (self.store(kind), self.peers) {
                    (_, None) => "not run (`--peers`)".to_owned(),
                    (None, _) => "not measured".to_owned(),
                    (Some(res), Some(p)) => match (pair.yolk)(res).zip((pair.peer)(p)) {
                        Some((y, peer)) if peer > 0.0 => format!("{:.2}× {}", y / peer, mark(y > peer)),
                        _ => "not measured".to_owned(),
                    },
                };
                let _ = write!(line, " yolk ahead | {cell} |");
            }
            let _ = writeln!(s, "{line}");
        }
        s.push_str(
            "\nThe peer rows are yolk's figure over the peer's (above 1: yolk ahead); the Peers section has both \
             figures. The login row is the share of the argon2id limit measured right before the logins, after setting \
             aside the cores the load generator used (see Method).\n\n",
        );
    }

    fn peer_pairs(&self) -> Vec<PeerPair<'_>> {
        vec![
            PeerPair {
                name: "refresh vs oidc-provider chained refresh (its in-memory store)",
                yolk: Box::new(|res| res.refresh.as_ref().map(LoadResult::rate)),
                yolk_text: Box::new(|res| {
                    res.refresh.as_ref().map(|l| format!("{}/s ({})", num(l.rate()), latency(l)))
                }),
                peer: Box::new(|p| Some(p.get(PEER_REFRESH)?.rate)),
                peer_text: Box::new(|p| p.get(PEER_REFRESH).map(peer_rate)),
            },
            PeerPair {
                name: "refresh vs oidc-provider chained refresh (its SQLite store)",
                yolk: Box::new(|res| res.refresh.as_ref().map(LoadResult::rate)),
                yolk_text: Box::new(|res| {
                    res.refresh.as_ref().map(|l| format!("{}/s ({})", num(l.rate()), latency(l)))
                }),
                peer: Box::new(|p| Some(p.get(PEER_REFRESH_SQLITE)?.rate)),
                peer_text: Box::new(|p| p.get(PEER_REFRESH_SQLITE).map(peer_rate)),
            },
            PeerPair {
                name: "`/auth/vendor` vs oidc-provider client_credentials",
                yolk: Box::new(|res| res.vendor.as_ref().map(LoadResult::rate)),
                yolk_text: Box::new(|res| res.vendor.as_ref().map(|l| format!("{}/s ({})", num(l.rate()), latency(l)))),
                peer: Box::new(|p| Some(p.get(PEER_VENDOR)?.rate)),
                peer_text: Box::new(|p| p.get(PEER_VENDOR).map(peer_rate)),
            },
            PeerPair {
                name: "users page vs better-auth member page (25 of 10,000, 256 connections)",
                yolk: Box::new(|res| res.users.as_ref().map(LoadResult::rate)),
                yolk_text: Box::new(|res| res.users.as_ref().map(|l| format!("{}/s ({})", num(l.rate()), latency(l)))),
                peer: Box::new(|p| Some(p.get(PEER_LIST)?.rate)),
                peer_text: Box::new(|p| p.get(PEER_LIST).map(peer_rate)),
            },
            PeerPair {
                name: "login as % of its hash limit vs better-auth sign-in as % of its scrypt limit",
                yolk: Box::new(|res| res.login.as_ref().map(|l| self.login_share(res, l).plain)),
                yolk_text: Box::new(|res| {
                    res.login.as_ref().map(|l| {
                        let share = self.login_share(res, l);
                        format!("{:.0} % ({}/s of {}/s argon2id)", share.plain * 100.0, num(l.rate()), num(share.limit))
                    })
                }),
                peer: Box::new(|p| {
                    let limit = p.all_cores(PEER_SCRYPT)?.rate;
                    (limit > 0.0).then(|| p.get(PEER_SIGN_IN).map(|l| l.rate / limit)).flatten()
                }),
                peer_text: Box::new(|p| {
                    let limit = p.all_cores(PEER_SCRYPT)?;
                    let l = p.get(PEER_SIGN_IN)?;
                    let share = if limit.rate > 0.0 { l.rate / limit.rate * 100.0 } else { 0.0 };
                    Some(format!("{share:.0} % ({}/s of {}/s scrypt)", num(l.rate), num(limit.rate)))
                }),
            },
        ]
    }

    fn store_section(&self, s: &mut String, res: &StoreResult) {
        let r = &self.raw;
        s.push_str("| Measure | Result |\n|---|---|\n");
        if let Some(l) = &res.login {
            let share = self.login_share(res, l);
            let _ = writeln!(
                s,
                "| Password logins/s ({} connections) | {} ({}); {:.0} % of the argon2id limit {} ({}/s); the load \
                 generator used {} cores, so {:.0} % of what it left; the server kept {} cores busy |",
                l.connections,
                num(l.rate()),
                latency(l),
                share.plain * 100.0,
                if share.fresh { "measured right before" } else { "measured at the start" },
                num(share.limit),
                cores(share.generator_cores),
                share.adjusted * 100.0,
                cores(l.server_cores()),
            );
        }
        if let Some(l) = &res.refresh {
            let _ = writeln!(
                s,
                "| Token refreshes/s (chained, {} sessions) | {} ({:.0} % of the raw RS256 all-cores limit; {}) |",
                l.connections,
                num(l.rate()),
                l.rate() / r.rs256_all * 100.0,
                latency(l)
            );
        }
        if let Some(l) = &res.vendor {
            let _ = writeln!(
                s,
                "| `POST /auth/vendor`/s ({} connections) | {} ({}) |",
                l.connections,
                num(l.rate()),
                latency(l)
            );
        }
        let main_users = count(res.users_total.unwrap_or(self.args.users as u64));
        for l in [&res.users, &res.users_latency].into_iter().flatten() {
            let _ = writeln!(
                s,
                "| Users v3 reads/s (`_limit=25`, {main_users} users, {} connections) | {} ({}) |",
                l.connections,
                num(l.rate()),
                latency(l)
            );
        }
        if res.users.is_none() {
            s.push_str("| Users v3 reads/s | not measured (see below) |\n");
        }
        if let Some(l) = &res.users_as_member {
            let _ = writeln!(
                s,
                "| Users v3 reads/s with a user token (session, lock and membership checked, cached ≤ 2 s; {} \
                 connections) | {} ({}) |",
                l.connections,
                num(l.rate()),
                latency(l)
            );
        }
        match &res.factors {
            Some(Ok(f)) => {
                for (what, l) in [
                    (
                        "MFA verifications/s (`POST .../auth/v1/user/mfa/verify`, an authenticator code completing a \
                      waiting login: code checked, step spent, `mfaToken` spent, session and token issued",
                        &f.mfa_verify,
                    ),
                    (
                        "Magic-link sign-ins/s (`POST .../passwordless/magiclink/postlogin`: link spent, session and \
                      token issued",
                        &f.magic_link,
                    ),
                    (
                        "SAML sign-ons/s (`POST .../auth/v1/user/saml/postlogin`, IdP-initiated responses signed by \
                      xmlsec1 for 50 returning users: signature and conditions checked, assertion recorded, session \
                      and token issued",
                        &f.saml,
                    ),
                ] {
                    let _ = writeln!(
                        s,
                        "| {what}; {} single-use requests prepared, {} connections) | {} ({}) |",
                        count(f.prepared as u64),
                        l.connections,
                        num(l.rate()),
                        latency(l)
                    );
                }
            }
            Some(Err(e)) => {
                let _ = writeln!(
                    s,
                    "| MFA verifications/s, magic-link sign-ins/s | not measured: {} |",
                    e.replace('|', "\\|")
                );
            }
            None => {}
        }
        if let Some(kib) = res.idle_rss_kib {
            let _ = writeln!(s, "| Idle RSS (main store) | {:.1} MiB |", mib(kib));
        }
        if let Some(kib) = res.max_load_rss_kib() {
            let _ = writeln!(s, "| RSS under load (max over the scenarios above) | {:.1} MiB |", mib(kib));
        }
        if let Some(m) = res.ready_median() {
            let min = res.ready_ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = res.ready_ms.iter().copied().fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "| Ready time, existing store (process start → first `/health` 200) | {m:.1} ms (median of {}; \
                 {min:.1}–{max:.1}) |",
                res.ready_ms.len()
            );
        }
        if let Some(seeded) = &res.seeded {
            let secs = seeded.elapsed.as_secs_f64();
            let _ = writeln!(
                s,
                "| Seeding the main tenant: `POST /identity/resources/users/v1` ({} in flight) | {} users in {secs:.1} s \
                 ({}/s) |",
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
        match &res.growth {
            None => {}
            Some(Err(e)) => {
                let _ = writeln!(s, "Growth curve: not measured: {}\n", e.replace('\n', " "));
            }
            Some(Ok(g)) => self.growth_section(s, g),
        }
        s.push_str("<details><summary>Per-scenario detail</summary>\n\n");
        s.push_str(
            "| Scenario | Generator | Connections | OK | Errors | req/s | p50 | p99 | Max RSS | Server CPU (cores) | \
             Generator CPU (cores) |\n",
        );
        s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        let mut rows: Vec<(String, &LoadResult)> = [
            ("/auth/vendor", &res.vendor),
            ("password login", &res.login),
            ("chained refresh", &res.refresh),
            ("users v3 list", &res.users),
            ("users v3 list (latency)", &res.users_latency),
            ("users v3 list (user token)", &res.users_as_member),
        ]
        .into_iter()
        .filter_map(|(n, r)| Some((n.to_owned(), r.as_ref()?)))
        .collect();
        if let Some(Ok(f)) = &res.factors {
            rows.push(("MFA verify".to_owned(), &f.mfa_verify));
            rows.push(("magic-link postlogin".to_owned(), &f.magic_link));
            rows.push(("SAML postlogin".to_owned(), &f.saml));
        }
        if let Some(Ok(g)) = &res.growth {
            for p in &g.points {
                let what = if p.small { "users v3, small tenant" } else { "users v3, growth" };
                rows.push((format!("{what} ({} users)", count(p.tenant_users as u64)), &p.result));
            }
        }
        for (name, r) in &rows {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} | {} | {} | {:.2} ms | {:.2} ms | {} | {} | {} |",
                r.generator,
                r.connections,
                r.ok,
                r.errors,
                num(r.rate()),
                r.p50_ms,
                r.p99_ms,
                rss(r.max_rss_kib),
                cores(r.server_cores()),
                cores(r.generator_cores()),
            );
        }
        let errors: Vec<String> =
            rows.iter().filter_map(|(name, r)| Some(format!("{name}: {}", r.first_error.as_ref()?))).collect();
        if !errors.is_empty() {
            s.push_str("\nFirst errors:\n\n");
            for e in errors {
                let _ = writeln!(s, "- {}", e.replace('|', "\\|"));
            }
        }
        s.push_str("\n</details>\n\n");
    }

    fn growth_section(&self, s: &mut String, g: &Growth) {
        let _ = writeln!(
            s,
            "**Growth curve**: users v3 page of 25 (`_limit=25&_offset=0`, environment token) of tenants of every size, \
             all in one store of {} users:\n",
            count(g.store_users)
        );
        s.push_str(
            "| Tenant | Users in the tenant | One page alone | Connections | req/s | p50 | p99 | Errors | Max RSS |\n",
        );
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for p in &g.points {
            let r = &p.result;
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} ms | {} | {} | {} | {} | {} | {} |",
                if p.small { "small, the newest of the store" } else { "growth" },
                count(p.tenant_users as u64),
                p.alone_ms,
                r.connections,
                num(r.rate()),
                answered_ms(r, r.p50_ms),
                answered_ms(r, r.p99_ms),
                r.errors,
                rss(r.max_rss_kib),
            );
        }
        s.push('\n');
        if g.points.iter().any(|p| p.result.ok == 0) {
            let _ = writeln!(
                s,
                "- No latency where no page was answered during the {} s run: each took longer with {} in flight.",
                self.args.duration, self.args.growth_connections
            );
        }
        if let Some(ratio) = g.p50_ratio() {
            let _ = writeln!(s, "- p50 of the largest tenant over the smallest: {ratio:.2}×.");
        }
        let secs = g.load_elapsed.as_secs_f64();
        let _ = writeln!(
            s,
            "- Seeding: {} users bulk-loaded through the store (`yolk_store_sql::bulk`: multi-row `INSERT`s of users, \
             memberships and default roles) in {secs:.1} s ({}/s){}.",
            count(g.loaded),
            num(g.loaded as f64 / secs.max(1e-9)),
            g.analyze_elapsed.map_or_else(String::new, |a| format!(", then `ANALYZE` in {:.1} s", a.as_secs_f64()))
        );
        let _ = writeln!(
            s,
            "- On this store: ready in {:.1} ms; idle RSS {}; RSS under the curve's load (max) {}; RSS at rest after it {}.\n",
            g.ready_ms,
            rss(g.idle_rss_kib),
            rss(g.max_load_rss_kib()),
            rss(g.rss_after_kib)
        );
    }

    fn peers_section(&self, s: &mut String, p: &PeerResults) {
        s.push_str("## Peers (same machine, right after yolk)\n\n");
        let _ = writeln!(
            s,
            "The peer kit (`shared/peers/`, see its README) run by `cargo xtask bench --peers`: `run-all.sh {}` for \
             oidc-provider (in-memory store) and better-auth, then again for oidc-provider with `OIDC_STORE=sqlite`.\n",
            self.args.duration
        );
        let stores: Vec<StoreKind> = self.stores.iter().filter(|(_, r)| r.is_ok()).map(|(k, _)| *k).collect();
        let mut head = "| Pair | Peer |".to_owned();
        let mut rule = "|---|---|".to_owned();
        for k in &stores {
            let _ = write!(head, " yolk, {} | ratio |", k.label());
            rule.push_str("---|---|");
        }
        let _ = writeln!(s, "{head}\n{rule}");
        for pair in self.peer_pairs() {
            let peer = (pair.peer_text)(p).unwrap_or_else(|| "not measured".into());
            let mut line = format!("| {} | {peer} |", pair.name);
            for k in &stores {
                let Some(res) = self.store(*k) else { continue };
                let yolk = (pair.yolk_text)(res).unwrap_or_else(|| "not measured".into());
                let ratio = match ((pair.yolk)(res), (pair.peer)(p)) {
                    (Some(y), Some(x)) if x > 0.0 => format!("{:.2}× {}", y / x, mark(y > x)),
                    _ => "—".into(),
                };
                let _ = write!(line, " {yolk} | {ratio} |");
            }
            let _ = writeln!(s, "{line}");
        }
        if let Some(l) = p.get(PEER_LIST) {
            let _ = writeln!(
                s,
                "\nLatency at 256 connections, users page vs member page: better-auth p50 {:.2} ms, p99 {:.2} ms{}.",
                l.p50_ms,
                l.p99_ms,
                stores
                    .iter()
                    .filter_map(|k| Some(format!(
                        "; yolk on {} {}",
                        k.label(),
                        latency(self.store(*k)?.users.as_ref()?)
                    )))
                    .collect::<String>()
            );
        }
        s.push_str(
            "\n<details><summary>Every peer line</summary>\n\n| Scenario | req/s (ops/s) | p50 | p99 | Errors |\n",
        );
        s.push_str("|---|---:|---:|---:|---:|\n");
        for l in &p.lines {
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} ms | {:.2} ms | {} |",
                l.name,
                num(l.rate),
                l.p50_ms,
                l.p99_ms,
                l.errors
            );
        }
        s.push('\n');
        for (peer, rss) in &p.peak_rss {
            let _ = writeln!(s, "- {peer}: peak RSS {rss}");
        }
        for f in &p.failures {
            let _ = writeln!(s, "- failed: {}", f.replace('\n', " "));
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
                    let p99 = r.users_latency.as_ref().map_or_else(|| "-".into(), |l| format!("{:.1}", l.p99_ms));
                    let growth = match &r.growth {
                        Some(Ok(g)) => g.p50_ratio().map_or_else(|| "-".into(), |v| format!("{v:.2}×")),
                        _ => "-".into(),
                    };
                    let _ = writeln!(
                        s,
                        "{}: login {}/s, refresh {}/s, vendor {}/s, users v3 {}/s (p99 {p99} ms at {} conns), growth p50 \
                         {growth}, idle {:.1} MiB, load {:.1} MiB, ready {:.1} ms",
                        kind.label(),
                        rate(&r.login),
                        rate(&r.refresh),
                        rate(&r.vendor),
                        rate(&r.users),
                        self.args.latency_connections,
                        r.idle_rss_kib.map_or(0.0, mib),
                        r.max_load_rss_kib().map_or(0.0, mib),
                        r.ready_median().unwrap_or(0.0)
                    );
                }
            }
        }
        if let Some(p) = self.peers {
            let _ = writeln!(s, "peers: {} lines, {} failed runs", p.lines.len(), p.failures.len());
        }
        s
    }

    fn method(&self) -> String {
        let limit = num(f64::from(self.rate_limit_per_ip));
        format!(
            "## Method\n\n\
- **Raw limits** are measured inside xtask, without a server, with the crates and parameters yolk uses: argon2id \
  verifications (`argon2` 0.6, m=19456 KiB, t=2, p=1) and RS256 signatures of a typical user token \
  (`yolk_core::tokens::Tokens::issue_user_token`: the key parsed once, `aws-lc-rs`, 2048-bit key), and a bare \
  `aws_lc_rs` `RsaKeyPair` signature of the same signing input, on one thread and on `available_parallelism` threads.\n\
- **Server**: `target/release/yolk` on a free 127.0.0.1 port with a fixed client id and API key; SQLite in a fresh \
  temporary data directory, PostgreSQL in a fresh database `yolk_bench_<random>` (dropped afterwards). The store is \
  created by a first start; the **ready time** is then measured over several restarts on the existing store, from \
  just before the process is spawned to the first `/health` 200 (polled every 2 ms). **Idle RSS** is `VmRSS` from \
  `/proc/<pid>/status` after the last start and a settle; **RSS under load** is the largest `VmRSS` sampled every \
  20 ms during the load scenarios. **CPU** (detail tables) is user + system time from `/proc/<pid>/stat` over the \
  run, divided by its length: the cores the server, and the load generator, kept busy (PostgreSQL's own processes \
  are not counted in the server's).\n\
- **Rate limits stay on.** One limit is raised: `rate_limit_per_ip` (password attempts per client address and \
  minute, on `/auth/vendor` and the login) is {limit} instead of {DEFAULT_RATE_LIMIT_PER_IP}, because every request \
  comes from the one load-generator address and the `/auth/vendor` scenario makes thousands of attempts a second \
  (at the default, all but the first 600 of a minute would be 429). {limit} is twice the RS256 signatures the raw \
  limit says this machine makes in a minute, rounded up: every `/auth/vendor` answer and every login costs at least \
  a signature, so no client could be answered faster, and the limit never refuses a request the server could have \
  answered. (The limiter spends whole milliseconds per attempt, so above 60,000 a minute its steady rate stays \
  1,000/s and only its burst grows: a {limit}-attempt burst holds any one scenario.) The per-identifier failure \
  limit (10 a minute) and every other limit keep their defaults. A 429 would count as an error in the detail tables.\n\
- **Seeding**: the main tenant goes through the API: a sign-up (`POST /identity/resources/users/v1/signUp`) makes \
  the tenant and its owner (who logs in), then `POST /identity/resources/users/v1` (environment token + \
  `frontegg-tenant-id`, no password) adds the other users (`--seed-concurrency` in flight). The **growth curve**'s \
  tenants are loaded through the store with `yolk_store_sql::bulk::insert_members` while the server is stopped: \
  multi-row `INSERT`s (500 users a statement on SQLite, 32 on PostgreSQL, 50,000 a transaction) writing what \
  `create_user` writes for a user joining a tenant (the user row, the membership, the tenant's default roles), \
  for users like the API's (local, unverified, no password); the contract tests check that such users are listed \
  and counted exactly like users created one by one. Filler users of another tenant come first (the oldest), then \
  the tenants from the largest, the small one last: every measured tenant's users are newer than most of the \
  store, so a page that walks users in creation order pays for the whole store. On PostgreSQL, `ANALYZE` runs \
  after each seeding, as autovacuum would after a bulk insert (test instances often run with autovacuum off).\n\
- **Scenarios** (each a fixed duration with a fixed number of keep-alive connections, each connection sending its \
  next request as soon as the previous answer arrives): `POST /auth/vendor`; password logins of the owner \
  (`POST /identity/resources/auth/v1/user`); token refreshes (`POST /identity/resources/auth/v1/user/token/refresh` \
  with `{{\"refreshToken\": ...}}`), where every connection owns a session opened by a login beforehand and sends \
  each answer's new refresh token next, since each refresh rotates the token; and \
  `GET /identity/resources/users/v3?_limit=25&_offset=0` with the environment token and `frontegg-tenant-id` at \
  {} connections (throughput) and {} (latency: at 256, latency only follows from throughput), then with the owner's \
  access token (every request checks that the token's session is live, the user unlocked and the membership \
  enabled, through the per-node access cache). After those, the growth curve: the same page for each growth \
  tenant at {} connections, on a server restarted on the loaded store, after one page alone (the probe, whose \
  time is shown). After each scenario the harness waits until the server, and PostgreSQL's processes, are idle \
  (under a tenth of a core over 200 ms, at most 60 s), so that requests a slow scenario left in flight are not \
  charged to the next. Rates count successful answers only; errors are listed in the detail.\n\
- **Login against the hash limit, on shared cores**: the load generator and the server share the machine. Right \
  before the login scenario the argon2id limit is measured again, in-process on all cores while the server idles \
  (the machine's state minutes earlier may differ). During the scenario the generator's CPU time is read from \
  `/proc` (wrk's, once it has exited; the built-in generator's own), and the target compares the logins with the \
  share of that limit the generator left: limit × (cores − generator cores) / cores. The plain share is shown too; \
  the peer pair uses plain shares on both sides (better-auth's scrypt limit is measured the same way by the kit, \
  right before its sign-ins, and its generator, wrk at 16 connections, costs as little).\n\
- **Load generators**: the fixed-request scenarios use `wrk --latency` when it is installed (the harness installs \
  the Debian package if it can), otherwise the generator built into xtask. The chained refresh cannot be expressed \
  with wrk (its Lua hooks are per thread, not per connection), so it always uses the built-in generator: a minimal \
  HTTP/1.1 keep-alive client on tokio, built with `--release`, recording every latency and reporting exact \
  percentiles. The generator runs on the same machine and takes CPU from the server, so the figures are a lower \
  bound of what the server does with the machine to itself.\n\
- **Peers** (`--peers`): right after yolk, on the same machine, the kit in `../shared/peers` runs through its own \
  entry point (`run-all.sh <duration>`: install if needed, then for each peer alone: start, seed, functional \
  check, load, stop) with the same durations and connection counts; oidc-provider runs a second time on its \
  SQLite store (`OIDC_STORE=sqlite`), which persists every grant and rotation as yolk does. Its scenario lines are \
  parsed from stdout; its stderr goes to a log whose path the run prints. Ratios are yolk's figure over the \
  peer's: above 1, yolk is ahead.\n\
- **Targets** (issue 7, for 2 cores): users v3 ≥ 10,000/s on SQLite and ≥ 5,000/s on PostgreSQL at 256 \
  connections, p99 ≤ 10 ms / ≤ 20 ms at 32, p50 at the largest growth tenant within 1.5× of the smallest's; \
  chained refresh ≥ 2,500/s and ≥ 60 % of the raw RS256 limit / ≥ 1,500/s; `/auth/vendor` ≥ 3,000/s / ≥ 2,500/s; \
  login ≥ 90 % / ≥ 85 % of the argon2id limit in the same run; ready on an existing store ≤ 50 ms / ≤ 150 ms; \
  every peer pair: yolk ahead.\n",
            self.args.connections, self.args.latency_connections, self.args.growth_connections,
        )
    }
}

/// A latency of a run, or `—` when the run answered nothing.
fn answered_ms(r: &LoadResult, v: f64) -> String {
    if r.ok == 0 { "—".into() } else { format!("{v:.2} ms") }
}

fn growth_of(res: &StoreResult) -> Option<&Growth> {
    res.growth.as_ref()?.as_ref().ok()
}

fn peer_rate(l: &super::peers::PeerLine) -> String {
    format!("{}/s (p50 {:.2} ms, p99 {:.2} ms)", num(l.rate), l.p50_ms, l.p99_ms)
}

/// A figure read from one store's results.
type FromStore<'r, T> = Box<dyn Fn(&StoreResult) -> Option<T> + 'r>;
/// A figure read from the peers' results.
type FromPeers<'r, T> = Box<dyn Fn(&PeerResults) -> Option<T> + 'r>;

/// One pair of the peer comparison.
struct PeerPair<'r> {
    name: &'static str,
    /// yolk's figure (higher is better).
    yolk: FromStore<'r, f64>,
    yolk_text: FromStore<'r, String>,
    /// The peer's figure.
    peer: FromPeers<'r, f64>,
    peer_text: FromPeers<'r, String>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser as _;

    use super::*;
    use crate::bench::growth::GrowthPoint;

    fn args(extra: &[&str]) -> BenchArgs {
        let argv = ["cargo xtask", "bench"].into_iter().chain(extra.iter().copied());
        match crate::Cli::try_parse_from(argv).expect("valid flags").command {
            crate::Command::Bench(a) => a,
        }
    }

    /// `rate` requests/s over 10 s with the given latencies.
    fn load(rate: f64, p50_ms: f64, p99_ms: f64, connections: usize) -> LoadResult {
        LoadResult {
            ok: (rate * 10.0) as u64,
            elapsed: Duration::from_secs(10),
            p50_ms,
            p99_ms,
            connections,
            generator: "wrk",
            server_cpu_secs: Some(19.0),
            generator_cpu_secs: Some(1.0),
            ..Default::default()
        }
    }

    fn facts() -> Facts {
        Facts {
            cores: 2,
            cpu_model: "Test CPU".into(),
            memory: "1 GiB".into(),
            kernel: "6".into(),
            loadavg: "0 0 0".into(),
            rustc: "rustc".into(),
            commit: "abc".into(),
            date: "today".into(),
        }
    }

    #[test]
    fn the_targets_table_judges_each_store_and_each_peer_pair() {
        let sqlite = StoreResult {
            ready_ms: vec![40.0, 45.0, 60.0],
            users: Some(load(12_000.0, 20.0, 30.0, 256)),
            users_latency: Some(load(9_000.0, 3.0, 12.0, 32)),
            refresh: Some(load(2_600.0, 20.0, 40.0, 64)),
            vendor: Some(load(3_100.0, 80.0, 100.0, 256)),
            // 95/s against a limit of 100/s, of which the generator (0.1 of 2 cores) left 95 %: 100 %.
            login: Some(load(95.0, 150.0, 200.0, 16)),
            login_hash_limit: Some(100.0),
            growth: Some(Ok(Growth {
                store_users: 1_000_000,
                loaded: 990_000,
                load_elapsed: Duration::from_secs(30),
                analyze_elapsed: None,
                ready_ms: 45.0,
                idle_rss_kib: Some(14_000),
                rss_after_kib: Some(40_000),
                points: vec![
                    GrowthPoint {
                        tenant_users: 1_000,
                        small: false,
                        alone_ms: 2.0,
                        result: load(5_000.0, 6.0, 9.0, 32),
                    },
                    GrowthPoint {
                        tenant_users: 100_000,
                        small: false,
                        alone_ms: 3.0,
                        result: load(4_000.0, 8.0, 12.0, 32),
                    },
                    GrowthPoint { tenant_users: 25, small: true, alone_ms: 2.0, result: load(5_000.0, 6.0, 9.0, 32) },
                ],
            })),
            ..Default::default()
        };
        let postgres = StoreResult { users: Some(load(4_000.0, 60.0, 80.0, 256)), ..Default::default() };
        let stores = [(StoreKind::Sqlite, Ok(sqlite)), (StoreKind::Postgres, Ok(postgres))];
        let mut peers = PeerResults::default();
        crate::bench::peers::parse(
            "oidc-provider.refresh_chained 2000 10 20 0\n\
             oidc-provider.refresh_chained.sqlite 1000 10 20 0\n\
             oidc-provider.client_credentials 3500 10 20 0\n\
             better-auth.raw_scrypt_verify_2cores 20 100 120 0\n\
             better-auth.sign_in 16 900 1200 0\n\
             better-auth.list_members 125 2000 2800 0\n",
            "",
            &mut peers,
        );
        let f = facts();
        let a = args(&["--peers"]);
        let report = Report {
            facts: &f,
            pg_version: None,
            command: "cargo xtask bench --peers".into(),
            args: &a,
            use_wrk: true,
            raw: RawLimits { argon2_all: 100.0, rs256_all: 4_000.0, threads: 2, ..Default::default() },
            rate_limit_per_ip: 480_000,
            stores: &stores,
            peers: Some(&peers),
        };
        let text = report.render();
        let row = |start: &str| {
            text.lines().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no row {start}:\n{text}")).to_owned()
        };
        assert_eq!(
            row("| Users v3 page of 25, 256"),
            "| Users v3 page of 25, 256 connections (main tenant) | ≥ 10,000/s | 12,000/s ✅ | ≥ 5,000/s | 4,000/s ❌ |"
        );
        assert!(row("| same, 32 connections").contains("| p99 12.00 ms ❌ |"));
        assert!(row("| same, p50 of the largest").contains("1.33× (100,000 users 8.00 ms, 1,000 users 6.00 ms) ✅"));
        // 2,600/s is 65 % of the 4,000/s RS256 limit.
        assert!(row("| Chained refresh").contains("| 2,600/s (65 %) ✅ |"));
        assert!(row("| `POST /auth/vendor`").contains("| 3,100/s ✅ |"));
        assert!(row("| Password login").contains("| 100 % (95.0/s) ✅ |"), "{}", row("| Password login"));
        assert!(row("| Ready on an existing store").contains("| 45.0 ms ✅ |"));
        assert!(row("| Peers: refresh vs oidc-provider chained refresh (its in-memory").contains("| 1.30× ✅ |"));
        assert!(row("| Peers: `/auth/vendor`").contains("| 0.89× ❌ |"));
        assert!(row("| Peers: users page").contains("| 96.00× ✅ |"));
        // yolk 95 % of its limit against better-auth's 80 % of its own.
        assert!(row("| Peers: login").contains("| 1.19× ✅ |"));
        assert!(text.contains("| users v3, small tenant (25 users) | wrk | 32 |"), "{text}");
        assert!(text.contains("minute, on `/auth/vendor` and the login) is 480,000 instead of 600,"), "{text}");
    }

    #[test]
    fn a_growth_tenant_that_answered_nothing_fails_the_ratio_and_shows_no_latency() {
        let silent = LoadResult { ok: 0, elapsed: Duration::from_secs(10), connections: 32, ..Default::default() };
        let sqlite = StoreResult {
            growth: Some(Ok(Growth {
                store_users: 1_000_000,
                loaded: 1_000_000,
                load_elapsed: Duration::from_secs(30),
                analyze_elapsed: None,
                ready_ms: 45.0,
                idle_rss_kib: None,
                rss_after_kib: None,
                points: vec![
                    GrowthPoint {
                        tenant_users: 1_000,
                        small: false,
                        alone_ms: 2.0,
                        result: load(5_000.0, 6.0, 9.0, 32),
                    },
                    GrowthPoint { tenant_users: 100_000, small: false, alone_ms: 12_345.0, result: silent },
                ],
            })),
            ..Default::default()
        };
        let stores = [(StoreKind::Sqlite, Ok(sqlite))];
        let (f, a) = (facts(), args(&[]));
        let report = Report {
            facts: &f,
            pg_version: None,
            command: String::new(),
            args: &a,
            use_wrk: true,
            raw: RawLimits::default(),
            rate_limit_per_ip: 600,
            stores: &stores,
            peers: None,
        };
        let text = report.render();
        assert!(
            text.contains("| no page answered during the 10 s run at 100,000 users (one page alone: 12345 ms) ❌ |"),
            "{text}"
        );
        assert!(text.contains("| growth | 100,000 | 12345.0 ms | 32 | 0.0 | — | — | 0 | ? |"), "{text}");
        assert!(text.contains(
            "| Peers: users page vs better-auth member page (25 of 10,000, 256 connections) | yolk ahead | not run"
        ));
    }
}
