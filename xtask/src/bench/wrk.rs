//! Driving wrk for the fixed-request scenarios: finding (or installing) it, writing its Lua script, parsing its
//! `--latency` report.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::load::{LoadResult, RssSampler, proc_cpu};

/// Whether `wrk` runs.
fn wrk_on_path() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Makes wrk available: already on PATH, or installed with `apt-get install -y wrk` when running as root and apt
/// has a candidate. Returns whether it is usable, printing why not.
pub fn ensure_wrk() -> bool {
    if wrk_on_path() {
        return true;
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        println!("  wrk is not installed and this is not root: using the built-in load generator");
        return false;
    }
    let policy = Command::new("apt-cache").args(["policy", "wrk"]).output();
    let candidate = policy.is_ok_and(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .any(|l| l.trim_start().starts_with("Candidate:") && !l.contains("(none)"))
    });
    if !candidate {
        println!("  apt has no wrk candidate: using the built-in load generator");
        return false;
    }
    println!("  installing wrk (apt-get install -y wrk)...");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq", "wrk"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !wrk_on_path() {
        println!("  installing wrk failed: using the built-in load generator");
        return false;
    }
    true
}

/// A request for wrk. wrk counts only non-2xx/3xx answers as errors, so the caller checks the exact status with
/// a probe request first.
pub struct WrkRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path and query.
    pub path: &'a str,
    /// Extra headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// JSON body.
    pub body: Option<&'a str>,
}

/// A Lua string literal in long-bracket form (no escaping needed unless the text holds the closing bracket).
fn lua_string(s: &str) -> String {
    let mut level = 1;
    while s.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let eq = "=".repeat(level);
    format!("[{eq}[{s}]{eq}]")
}

fn script(req: &WrkRequest<'_>) -> String {
    let mut s = format!("wrk.method = {}\n", lua_string(req.method));
    for (name, value) in req.headers {
        // The spaces matter: `[[` would open a long string instead of indexing.
        s.push_str(&format!("wrk.headers[ {} ] = {}\n", lua_string(name), lua_string(value)));
    }
    if let Some(body) = req.body {
        s.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        s.push_str(&format!("wrk.body = {}\n", lua_string(body)));
    }
    s
}

/// Runs wrk against `addr` with `connections` connections and `threads` threads for `duration`.
pub fn run(
    addr: SocketAddr,
    req: &WrkRequest<'_>,
    connections: usize,
    threads: usize,
    duration: Duration,
    server_pid: u32,
    scratch: &Path,
) -> anyhow::Result<LoadResult> {
    let script_path = scratch.join("wrk-request.lua");
    std::fs::write(&script_path, script(req)).context("writing the wrk script")?;
    let threads = threads.clamp(1, connections.max(1));
    let url = format!("http://{addr}{}", req.path);
    let sampler = RssSampler::start(server_pid);
    let child = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .args(["--timeout", "10s", "--latency", "-s"])
        .arg(&script_path)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running wrk")?;
    let generator_cpu_secs = cpu_until_exit(child.id());
    let out = child.wait_with_output().context("waiting for wrk")?;
    let sampled = sampler.stop();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // wrk reports a broken script on stderr and then runs without it, still exiting 0.
    if !out.status.success() || !stderr.trim().is_empty() {
        bail!("wrk failed: {text}{stderr}");
    }
    let mut result = parse(&text).with_context(|| format!("parsing wrk output:\n{text}"))?;
    result.max_rss_kib = sampled.max_rss_kib;
    result.server_cpu_secs = sampled.cpu_secs;
    result.generator_cpu_secs = generator_cpu_secs;
    result.connections = connections;
    Ok(result)
}

/// Waits (polling every 10 ms) until process `pid`, a child not yet reaped, has exited, and returns the CPU time it
/// used: read from `/proc/<pid>/stat` once it is a zombie, when the times of all its threads are final. wrk's
/// output is a few hundred bytes, so it never blocks on the unread pipes meanwhile.
fn cpu_until_exit(pid: u32) -> Option<f64> {
    let mut last = None;
    loop {
        match proc_cpu(pid) {
            Some(('Z' | 'X', secs)) => return Some(secs),
            Some((_, secs)) => last = Some(secs),
            None => return last,
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A wrk duration (`812.00us`, `4.10ms`, `1.20s`, `2.00m`) in milliseconds.
fn parse_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (s, 1.0)
    };
    num.trim().parse::<f64>().ok().map(|v| v * factor)
}

/// Parses wrk's `--latency` report.
fn parse(text: &str) -> anyhow::Result<LoadResult> {
    let mut result = LoadResult { generator: "wrk", ..Default::default() };
    let mut total = None;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => result.p50_ms = parse_ms(v).context("p50")?,
            ["99%", v] => result.p99_ms = parse_ms(v).context("p99")?,
            [n, "requests", "in", secs, ..] => {
                total = Some(n.parse::<u64>().context("request count")?);
                let secs = secs.trim_end_matches(',');
                result.elapsed = Duration::from_secs_f64(parse_ms(secs).context("elapsed")? / 1000.0);
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => result.errors += n.parse::<u64>().context("non-2xx")?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                for pair in rest.chunks(2) {
                    if let [_, n] = pair {
                        result.errors += n.trim_end_matches(',').parse::<u64>().unwrap_or(0);
                    }
                }
                if result.errors > 0 && result.first_error.is_none() {
                    result.first_error = Some(line.to_owned());
                }
            }
            _ => {}
        }
    }
    let total = total.context("no request count in wrk output")?;
    result.ok = total.saturating_sub(result.errors);
    if result.errors > 0 && result.first_error.is_none() {
        result.first_error = Some(format!("{} non-2xx/3xx answers", result.errors));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_wrk_report() {
        let text = "Running 2s test @ http://127.0.0.1:1/health
  1 threads and 256 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    1.02ms  20.00ms   90.00%
    Req/Sec    50.00k     2.00k   55.00k    80.00%
  Latency Distribution
     50%  812.00us
     75%    5.50ms
     90%    6.20ms
     99%    1.20s
  100000 requests in 2.00s, 60.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:  50000.00
Transfer/sec:      6.00MB
";
        let r = parse(text).unwrap();
        assert!((r.p50_ms - 0.812).abs() < 1e-9);
        assert!((r.p99_ms - 1200.0).abs() < 1e-9);
        assert_eq!(r.errors, 15);
        assert_eq!(r.ok, 100_000 - 15);
        assert_eq!(r.elapsed, Duration::from_secs(2));
    }

    #[test]
    fn script_indexes_headers_without_opening_a_long_string() {
        let req = WrkRequest { method: "GET", path: "/", headers: &[("x-access-token", "t")], body: Some("{}") };
        let s = script(&req);
        assert!(s.contains("wrk.headers[ [=[x-access-token]=] ] = [=[t]=]"), "{s}");
        assert!(!s.contains("[["), "{s}");
    }

    #[test]
    fn lua_strings_survive_brackets() {
        assert_eq!(lua_string("a"), "[=[a]=]");
        assert_eq!(lua_string("x]=]y"), "[==[x]=]y]==]");
    }
}
