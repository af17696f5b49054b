//! Project automation, run as `cargo xtask <command>` (the alias lives in `.cargo/config.toml`).
//!
//! - `bench`: builds the release binary, measures the machine's raw limits (argon2id, RS256) and yolk's
//!   throughput, latency, memory and start time on SQLite and PostgreSQL, and writes `BENCHMARKS.md`.

mod bench;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about = "yolk project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Benchmark yolk (release build) on SQLite and PostgreSQL and write BENCHMARKS.md.
    ///
    /// All load goes to 127.0.0.1 only and every scenario stops by itself after --duration seconds. A full run
    /// with the defaults takes 15 to 25 minutes plus the build (20 s of raw limits; per store about 2 minutes of
    /// scenarios, 1-3 minutes of bulk loading a million users and 1-5 minutes of growth curve, longer when pages
    /// are slow; with --peers about 4 more minutes). PostgreSQL is measured when `pg_isready -h <pg-host>` answers: a fresh database
    /// `yolk_bench_<random>` is created and dropped after.
    Bench(BenchArgs),
}

/// Flags of `cargo xtask bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Seconds per load scenario.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Seconds per raw-limit measurement (argon2id, RS256), each.
    #[arg(long, default_value_t = 5)]
    pub raw_duration: u64,
    /// Users in the tenant for the users-list scenario (the signed-up owner included).
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Concurrent connections for /auth/vendor and the users-list reads.
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Connections of the users-list latency scenario (the p99 target is judged here: at 256 connections latency
    /// only follows from throughput).
    #[arg(long, default_value_t = 32)]
    pub latency_connections: usize,
    /// Tenant sizes of the growth curve (comma-separated): a tenant of each size is bulk-loaded into the store and
    /// its users v3 page measured; a tenant of --small-tenant users is added last.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000, 100_000])]
    pub growth_sizes: Vec<usize>,
    /// Users of the small tenant measured at the end of the growth curve (the newest tenant of the store).
    #[arg(long, default_value_t = 25)]
    pub small_tenant: usize,
    /// Users in the store during the growth curve: filler users of another tenant (the oldest) make up the rest.
    #[arg(long, default_value_t = 1_000_000)]
    pub store_users: usize,
    /// Connections of the growth-curve scenarios.
    #[arg(long, default_value_t = 32)]
    pub growth_connections: usize,
    /// Skip the growth curve (no bulk loading).
    #[arg(long)]
    pub no_growth: bool,
    /// After yolk, run the peer kit (`<peers-kit>/run-all.sh <duration>`: oidc-provider and better-auth) on the
    /// same machine and report each pair as a ratio.
    #[arg(long)]
    pub peers: bool,
    /// The peer kit [default: ../shared/peers beside the workspace].
    #[arg(long)]
    pub peers_kit: Option<PathBuf>,
    /// Concurrent connections for password logins (hashing is CPU-bound: more only queue).
    #[arg(long, default_value_t = 16)]
    pub login_connections: usize,
    /// Concurrent connections (each chaining its own session) for token refreshes.
    #[arg(long, default_value_t = 64)]
    pub refresh_connections: usize,
    /// Single-use requests prepared for each of the MFA-verify and magic-link scenarios (one user each).
    #[arg(long, default_value_t = 10_000)]
    pub factor_requests: usize,
    /// Requests in flight while seeding users.
    #[arg(long, default_value_t = 32)]
    pub seed_concurrency: usize,
    /// Threads of the load generator (the built-in one and wrk's -t).
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Load generator for the fixed-request scenarios: `auto` (wrk if on PATH or installable with apt-get, else
    /// built-in), `wrk`, or `builtin`. The chained refresh always uses the built-in generator.
    #[arg(long, value_enum, default_value_t = Loadgen::Auto)]
    pub loadgen: Loadgen,
    /// Stores to measure (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [StoreKind::Sqlite, StoreKind::Postgres])]
    pub stores: Vec<StoreKind>,
    /// Timed restarts on the existing store; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub ready_runs: usize,
    /// Milliseconds to let the server settle after start before reading its idle RSS.
    #[arg(long, default_value_t = 1000)]
    pub settle_ms: u64,
    /// PostgreSQL host (trust authentication expected).
    #[arg(long, default_value = "127.0.0.1")]
    pub pg_host: String,
    /// PostgreSQL port.
    #[arg(long, default_value_t = 5432)]
    pub pg_port: u16,
    /// PostgreSQL user allowed to create and drop databases.
    #[arg(long, default_value = "postgres")]
    pub pg_user: String,
    /// Where to write the report [default: BENCHMARKS.md at the workspace root].
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Do not write the report (print the figures only).
    #[arg(long)]
    pub no_write: bool,
    /// A note printed at the top of the report (e.g. "dry run on a busy machine").
    #[arg(long)]
    pub note: Option<String>,
    /// Use the existing target/release/yolk instead of running `cargo build --release -p yolk`.
    #[arg(long)]
    pub skip_build: bool,
}

/// Which load generator drives the fixed-request scenarios.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loadgen {
    /// wrk when available (installed with apt-get if missing and possible), else built-in.
    Auto,
    /// wrk (fails if it cannot be found or installed).
    Wrk,
    /// The generator built into xtask.
    Builtin,
}

/// A store backend.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Embedded SQLite in a fresh temporary data directory.
    Sqlite,
    /// PostgreSQL in a fresh temporary database.
    Postgres,
}

impl StoreKind {
    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "SQLite",
            StoreKind::Postgres => "PostgreSQL",
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench(args) => bench::run(args),
    }
}
