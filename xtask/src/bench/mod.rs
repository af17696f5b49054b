//! `cargo xtask bench`: builds the release binary, measures the raw limits, then each store's figures, and writes
//! the report.

mod factors;
mod growth;
mod hashlimit;
mod http;
mod load;
mod machine;
mod peers;
mod raw;
mod report;
mod saml;
mod scenarios;
mod server;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::{BenchArgs, Loadgen, StoreKind};

/// Set on the optimised re-run so it does not build (and re-run) again.
const RELEASE_MARK: &str = "XTASK_BENCH_RELEASE";

/// The workspace root (xtask's parent directory).
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

fn cargo_build_release(root: &Path, package: &str) -> anyhow::Result<()> {
    println!("==> cargo build --release -p {package}");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", package])
        .current_dir(root)
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo build --release -p {package} failed");
    }
    Ok(())
}

/// The command line as the user typed it (`cargo xtask bench ...`), quoted for a shell.
fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| {
            if a.chars().all(|c| c.is_ascii_alphanumeric() || "-_=,./:".contains(c)) {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect();
    format!("cargo xtask {}", args.join(" "))
}

/// Everything a store run needs to know.
pub struct Context {
    /// The flags.
    pub args: BenchArgs,
    /// The yolk release binary.
    pub yolk_bin: PathBuf,
    /// Whether wrk drives the fixed-request scenarios.
    pub use_wrk: bool,
    /// The PostgreSQL server.
    pub pg: server::PgServer,
    /// `rate_limit_per_ip` of the benchmark servers.
    pub rate_limit_per_ip: u32,
}

/// Runs the benchmark.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let root = workspace_root();
    let target = target_dir(&root);
    let rerun = std::env::var_os(RELEASE_MARK).is_some();
    if !args.skip_build && !rerun {
        cargo_build_release(&root, "yolk")?;
        if cfg!(debug_assertions) {
            // The load generator shares the CPUs with the server: run it optimised.
            cargo_build_release(&root, "xtask")?;
            let status = Command::new(target.join("release").join("xtask"))
                .args(std::env::args_os().skip(1))
                .env(RELEASE_MARK, "1")
                .status()
                .context("running the optimised xtask")?;
            if !status.success() {
                bail!("benchmark failed");
            }
            return Ok(());
        }
    } else if cfg!(debug_assertions) {
        println!("warning: --skip-build runs the load generator unoptimised; figures will be lower");
    }
    let yolk_bin = target.join("release").join("yolk");
    if !yolk_bin.exists() {
        bail!("{} not found: run without --skip-build", yolk_bin.display());
    }
    let facts = machine::Facts::collect(&root);
    println!("==> {} × {}, {} memory, load average {}", facts.cores, facts.cpu_model, facts.memory, facts.loadavg);

    let use_wrk = match args.loadgen {
        Loadgen::Builtin => false,
        Loadgen::Auto => wrk::ensure_wrk(),
        Loadgen::Wrk => {
            if !wrk::ensure_wrk() {
                bail!("wrk is not available");
            }
            true
        }
    };
    println!("==> load generator: {}", if use_wrk { "wrk (chained refresh: built-in)" } else { "built-in" });

    println!("==> raw limits ({} s each)", args.raw_duration);
    let raw = raw::measure(Duration::from_secs(args.raw_duration))?;
    println!(
        "    argon2id: {:.1}/s (1 thread), {:.1}/s ({} threads); RS256: {:.0}/s (1 thread), {:.0}/s ({} threads)",
        raw.argon2_single, raw.argon2_all, raw.threads, raw.rs256_single, raw.rs256_all, raw.threads
    );

    let pg = server::PgServer { host: args.pg_host.clone(), port: args.pg_port, user: args.pg_user.clone() };
    let rate_limit_per_ip = server::bench_rate_limit_per_ip(raw.rs256_all);
    println!(
        "==> rate_limit_per_ip {rate_limit_per_ip} (default {}): twice the RS256 signatures of a minute",
        server::DEFAULT_RATE_LIMIT_PER_IP
    );
    let ctx = Context { args: args.clone(), yolk_bin, use_wrk, pg, rate_limit_per_ip };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .context("building the runtime")?;
    let mut stores = Vec::new();
    let mut pg_version = None;
    for kind in &args.stores {
        println!("==> {}", kind.label());
        let outcome = match kind {
            StoreKind::Postgres if !ctx.pg.is_ready() => {
                Err(format!("skipped: pg_isready -h {} -p {} does not answer", ctx.pg.host, ctx.pg.port))
            }
            _ => {
                if *kind == StoreKind::Postgres {
                    pg_version = ctx.pg.describe();
                }
                runtime.block_on(scenarios::bench_store(&ctx, *kind)).map_err(|e| format!("failed: {e:#}"))
            }
        };
        if let Err(e) = &outcome {
            println!("    {}: {e}", kind.label());
        }
        stores.push((*kind, outcome));
    }
    drop(runtime);

    let peers = args.peers.then(|| {
        let kit = args.peers_kit.clone().unwrap_or_else(|| root.join("..").join("shared").join("peers"));
        let log = std::env::temp_dir().join(format!("yolk-bench-peers-{}.log", std::process::id()));
        let results = peers::run(&kit, args.duration, &log);
        println!("    peers' stderr: {}", log.display());
        (kit, results)
    });

    let report = report::Report {
        facts: &facts,
        pg_version,
        command: command_line(),
        args: &args,
        use_wrk,
        raw,
        rate_limit_per_ip,
        stores: &stores,
        peers: peers.as_ref().map(|(_, r)| r),
    };
    let text = report.render();
    println!();
    println!("{}", report.summary());
    if !args.no_write {
        let path = args.output.clone().unwrap_or_else(|| root.join("BENCHMARKS.md"));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("==> wrote {}", path.display());
    }
    Ok(())
}
