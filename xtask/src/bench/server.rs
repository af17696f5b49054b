//! Starting and stopping `target/release/yolk`, timing its readiness, and the throw-away PostgreSQL database.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::http;

/// The fixed environment client id of benchmark servers.
pub const CLIENT_ID: &str = "b3a1c0de-0000-4000-8000-00000000beef";
/// The fixed environment API key of benchmark servers.
pub const API_KEY: &str = "yolk-bench-api-key-not-a-secret";

/// How to start a server.
pub struct ServerSpec {
    /// The yolk binary.
    pub bin: PathBuf,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// `postgres://...`, or `None` for SQLite in the data directory.
    pub database_url: Option<String>,
    /// Where its stdout/stderr go.
    pub log: PathBuf,
    /// `rate_limit_per_ip`: password attempts one address may make a minute (see [`bench_rate_limit_per_ip`]).
    pub rate_limit_per_ip: u32,
}

/// yolk's default `rate_limit_per_ip`.
pub const DEFAULT_RATE_LIMIT_PER_IP: u32 = 600;

/// The per-address limit of the password paths the benchmark runs with, from the raw RS256 signing rate measured
/// on all cores (`/s`). Every request comes from the one load-generator address, so yolk's default (600 a minute,
/// in bursts of 600) would answer most of the `/auth/vendor` scenario 429. Each `/auth/vendor` answer costs an
/// RS256 signature and each login an argon2id hash, so no client can be answered faster than the machine signs:
/// twice the signatures it makes in a minute, rounded up to the thousand, can never refuse a request the server
/// could have answered, and stays a limit. The limiter spends whole milliseconds per attempt, so above 60,000 a
/// minute its steady rate stays 1,000/s and only its burst (this many attempts) grows: the burst must hold a whole
/// scenario, and does (a 10 s scenario at twice the signing rate is a sixth of it).
pub fn bench_rate_limit_per_ip(rs256_per_sec: f64) -> u32 {
    let per_minute = (rs256_per_sec.max(0.0) * 60.0 * 2.0 / 1000.0).ceil() * 1000.0;
    (per_minute as u32).max(DEFAULT_RATE_LIMIT_PER_IP)
}

/// A running server; killed on drop if not stopped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether its store is PostgreSQL (whose processes work for it).
    pub postgres: bool,
}

/// A free local port (bound then released; the server binds it right after).
fn free_addr() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?)
}

impl Server {
    /// Starts the server and returns it with the instant just before the spawn.
    pub fn start(spec: &ServerSpec) -> anyhow::Result<(Self, Instant)> {
        let addr = free_addr()?;
        let log = File::options().create(true).append(true).open(&spec.log).context("opening the server log")?;
        let mut cmd = Command::new(&spec.bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&spec.data_dir)
            .args(["--client-id", CLIENT_ID, "--api-key", API_KEY])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(url) = &spec.database_url {
            cmd.arg("--database-url").arg(url);
        }
        // The benchmark's own settings win over anything in the caller's environment.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("YOLK_") {
                cmd.env_remove(key);
            }
        }
        // Every request comes from one client address (the load generator): the per-address limit of the password
        // paths is raised as far as the scenarios need (see `bench_rate_limit_per_ip`); every other limit stays at
        // its default.
        cmd.env("YOLK_RATE_LIMIT_PER_IP", spec.rate_limit_per_ip.to_string());
        let started = Instant::now();
        let child = cmd.spawn().with_context(|| format!("starting {}", spec.bin.display()))?;
        Ok((Self { child, addr, postgres: spec.database_url.is_some() }, started))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `/health` every 2 ms until it answers 200; returns the time since `started`.
    pub async fn wait_ready(&mut self, started: Instant, log: &Path) -> anyhow::Result<Duration> {
        let req = http::request("GET", "/health", &[], None);
        loop {
            if let Ok(mut conn) = http::Conn::connect(self.addr).await
                && let Ok(Ok(resp)) = tokio::time::timeout(Duration::from_secs(5), conn.send(&req)).await
                && resp.status == 200
            {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(20).collect();
                bail!("yolk exited with {status} before becoming ready; log tail:\n{}", tail.join("\n"));
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("yolk not ready after 60 s (log: {})", log.display());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Stops the server gracefully (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child.kill().context("killing yolk")?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Connection settings of the PostgreSQL server used for benchmarks.
#[derive(Clone)]
pub struct PgServer {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User (creates and drops the database).
    pub user: String,
}

impl PgServer {
    /// Whether `pg_isready` answers.
    pub fn is_ready(&self) -> bool {
        Command::new("pg_isready")
            .args(["-h", &self.host, "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs one SQL statement with psql in `db`; its trimmed output.
    fn psql(&self, db: &str, sql: &str) -> Option<String> {
        let out = Command::new("psql")
            .args(["-h", &self.host, "-p", &self.port.to_string(), "-U", &self.user, "-d", db, "-tAc", sql])
            .output()
            .ok()?;
        let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        out.status.success().then_some(v)
    }

    /// The server's version and autovacuum setting, if psql can tell.
    pub fn describe(&self) -> Option<String> {
        let version = self.psql("postgres", "SHOW server_version")?;
        let autovacuum = self.psql("postgres", "SHOW autovacuum").unwrap_or_else(|| "?".into());
        Some(format!("{version} (autovacuum {autovacuum})"))
    }

    /// Creates a fresh database `yolk_bench_<random>`, dropped when the guard is.
    pub fn create_db(&self) -> anyhow::Result<PgDb> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!("yolk_bench_{:x}{:x}", std::process::id(), nanos & 0xffff_ffff);
        let out = Command::new("createdb")
            .args(["-h", &self.host, "-p", &self.port.to_string(), "-U", &self.user, &name])
            .output()
            .context("running createdb")?;
        if !out.status.success() {
            bail!("createdb {name} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(PgDb { server: self.clone(), name })
    }
}

/// A database that is dropped with the guard.
pub struct PgDb {
    server: PgServer,
    /// Its name.
    pub name: String,
}

impl PgDb {
    /// Refreshes the planner statistics (`ANALYZE`), as autovacuum would after a bulk insert; a server with
    /// autovacuum off (common on test instances) would otherwise plan the users list on default estimates.
    pub fn analyze(&self) -> anyhow::Result<()> {
        self.server.psql(&self.name, "ANALYZE").map(drop).with_context(|| format!("ANALYZE on {}", self.name))
    }

    /// Its connection URL.
    pub fn url(&self) -> String {
        format!("postgres://{}@{}:{}/{}", self.server.user, self.server.host, self.server.port, self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let s = &self.server;
        let port = s.port.to_string();
        let ok = Command::new("dropdb")
            .args(["-h", &s.host, "-p", &port, "-U", &s.user, "--if-exists", "--force", &self.name])
            .status()
            .is_ok_and(|st| st.success());
        if !ok {
            eprintln!("warning: could not drop database {}; drop it by hand", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_is_twice_a_minute_of_signatures_and_never_below_the_default() {
        assert_eq!(bench_rate_limit_per_ip(2_515.4), 302_000);
        assert_eq!(bench_rate_limit_per_ip(0.0), DEFAULT_RATE_LIMIT_PER_IP);
        assert_eq!(bench_rate_limit_per_ip(1.0), 1_000);
        assert_eq!(bench_rate_limit_per_ip(f64::NAN), DEFAULT_RATE_LIMIT_PER_IP);
    }
}
