//! The peers (`--peers`): the kit in `../shared/peers` (oidc-provider and better-auth, see its README) run right
//! after yolk on the same machine, through its one entry point, `run-all.sh SECONDS`, whose stdout is one line per
//! scenario: `name req/s p50_ms p99_ms errors`. oidc-provider runs twice: with its in-memory store (the kit's
//! default, nothing persisted: its best figure) and with its SQLite store (every grant and rotation persisted, as
//! yolk persists them).

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// One scenario line of the kit.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerLine {
    /// `peer.scenario[.store]`.
    pub name: String,
    /// Successful answers (or operations, for `raw_*` lines) per second.
    pub rate: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Failed requests, or the kit's word for a failed run (`wrk-failed`).
    pub errors: String,
}

/// Everything the kit printed that the report uses.
#[derive(Debug, Clone, Default)]
pub struct PeerResults {
    /// Scenario lines, in the order printed.
    pub lines: Vec<PeerLine>,
    /// The kit's `# peers: node ..., N cores, wrk ...` line.
    pub header: Option<String>,
    /// `# <peer> peak RSS: <n> MiB` lines, as `(peer, MiB)`.
    pub peak_rss: Vec<(String, String)>,
    /// Runs that failed, with why.
    pub failures: Vec<String>,
}

impl PeerResults {
    /// The line named `name`.
    pub fn get(&self, name: &str) -> Option<&PeerLine> {
        self.lines.iter().find(|l| l.name == name)
    }

    /// The `raw_*_<N>cores` line of a `prefix` (`better-auth.raw_scrypt_verify`): the all-cores limit.
    pub fn all_cores(&self, prefix: &str) -> Option<&PeerLine> {
        let start = format!("{prefix}_");
        self.lines.iter().find(|l| l.name.starts_with(&start) && l.name.ends_with("cores"))
    }
}

/// Parses the kit's stdout (scenario lines) and stderr (`#` lines).
pub fn parse(stdout: &str, stderr: &str, into: &mut PeerResults) {
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, rate, p50, p99, errors] = words.as_slice()
            && let (Ok(rate), Ok(p50_ms), Ok(p99_ms)) = (rate.parse(), p50.parse(), p99.parse())
        {
            into.lines.push(PeerLine { name: (*name).to_owned(), rate, p50_ms, p99_ms, errors: (*errors).to_owned() });
        }
    }
    for line in stderr.lines() {
        if let Some(h) = line.strip_prefix("# peers: ") {
            into.header = Some(h.trim().to_owned());
        } else if let Some((peer, rss)) = line.strip_prefix("# ").and_then(|l| l.split_once(" peak RSS: ")) {
            into.peak_rss.push((peer.to_owned(), rss.trim().to_owned()));
        }
    }
}

/// Runs `<kit>/run-all.sh <secs>` with the given extra environment; its stderr goes to `log` (appended).
fn run_all(kit: &Path, secs: u64, env: &[(&str, &str)], log: &Path) -> anyhow::Result<(String, String)> {
    let script = kit.join("run-all.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&script).arg(secs.to_string()).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let what = env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
    println!("==> peers: {what} {} {secs}", script.display());
    let out = cmd.output().with_context(|| format!("running {}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut text = std::fs::read_to_string(log).unwrap_or_default();
    text.push_str(&format!("==> {what} run-all.sh {secs}\n{stderr}\n"));
    std::fs::write(log, text).with_context(|| format!("writing {}", log.display()))?;
    for line in stdout.lines() {
        println!("    {line}");
    }
    if !out.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{what} run-all.sh exited with {}:\n{}", out.status, tail.join("\n"));
    }
    Ok((stdout, stderr))
}

/// Runs the kit: both peers with its defaults, then oidc-provider again on its SQLite store (without the raw
/// limits, measured in the first pass).
pub fn run(kit: &Path, secs: u64, log: &Path) -> PeerResults {
    let mut results = PeerResults::default();
    let runs: [&[(&str, &str)]; 2] = [
        &[("PEERS", "oidc-provider better-auth")],
        &[("PEERS", "oidc-provider"), ("OIDC_STORE", "sqlite"), ("RAW", "0")],
    ];
    for env in runs {
        match run_all(kit, secs, env, log) {
            Ok((stdout, stderr)) => {
                let mut one = PeerResults::default();
                parse(&stdout, &stderr, &mut one);
                let sqlite = env.contains(&("OIDC_STORE", "sqlite"));
                results.lines.extend(one.lines);
                results.header = results.header.or(one.header);
                results.peak_rss.extend(
                    one.peak_rss.into_iter().map(|(p, r)| (if sqlite { format!("{p} (SQLite store)") } else { p }, r)),
                );
            }
            Err(e) => {
                println!("    {e:#}");
                results.failures.push(format!("{e:#}"));
            }
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kits_lines() {
        let stdout = "oidc-provider.client_credentials 1804.2 134.00 501.10 0\n\
                      garbage line\n\
                      better-auth.raw_scrypt_verify_1thread 9.1 106.00 126.00 0\n\
                      better-auth.raw_scrypt_verify_2cores 17.5 111.00 137.00 0\n\
                      better-auth.sign_in 0 0 0 wrk-failed\n";
        let stderr = "# peers: node 20.20.2, 2 cores, wrk 4.1.0, load average 1.6 1.2 1.0, 5s per scenario\n\
                      #   drained\n# better-auth peak RSS: 256.3 MiB\n";
        let mut r = PeerResults::default();
        parse(stdout, stderr, &mut r);
        assert_eq!(r.lines.len(), 4);
        assert_eq!(r.get("oidc-provider.client_credentials").unwrap().rate, 1804.2);
        assert_eq!(r.all_cores("better-auth.raw_scrypt_verify").unwrap().rate, 17.5);
        assert_eq!(r.get("better-auth.sign_in").unwrap().errors, "wrk-failed");
        assert_eq!(
            r.header.as_deref(),
            Some("node 20.20.2, 2 cores, wrk 4.1.0, load average 1.6 1.2 1.0, 5s per scenario")
        );
        assert_eq!(r.peak_rss, [("better-auth".to_owned(), "256.3 MiB".to_owned())]);
    }
}
