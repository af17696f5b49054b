//! Facts about the machine and the checkout, for the report.

use std::path::Path;
use std::process::Command;

/// What the report says about where and what was measured.
pub struct Facts {
    /// CPUs available to the process.
    pub cores: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Total memory, human-readable.
    pub memory: String,
    /// Kernel release.
    pub kernel: String,
    /// The 1/5/15-minute load averages when the run started.
    pub loadavg: String,
    /// `rustc --version`.
    pub rustc: String,
    /// The commit (short hash, `+dirty` when the tree has changes besides BENCHMARKS.md).
    pub commit: String,
    /// Start of the run, UTC.
    pub date: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn output(cmd: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(cmd).args(args).current_dir(dir).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Facts {
    /// Reads /proc and asks git and rustc.
    pub fn collect(root: &Path) -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let mem_kib: u64 = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let loadavg = read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        let commit = output("git", &["rev-parse", "--short=12", "HEAD"], root).unwrap_or_else(|| "unknown".into());
        let dirty = output("git", &["status", "--porcelain", "--", ".", ":!BENCHMARKS.md"], root)
            .is_some_and(|s| !s.is_empty());
        Self {
            cores: super::raw::cores(),
            cpu_model,
            memory: format!("{:.1} GiB", mem_kib as f64 / (1024.0 * 1024.0)),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            loadavg,
            rustc: output("rustc", &["--version"], root).unwrap_or_else(|| "unknown".into()),
            commit: if dirty { format!("{commit}+dirty") } else { commit },
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}
