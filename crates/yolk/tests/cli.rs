//! The `yolk` binary as an operator sees it: first-start credentials, configuration layering, graceful shutdown on
//! SIGTERM, `yolk migrate`. Each test runs the real binary on its own temporary data dir and loopback port 0.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "0b6f3c9e-4d5a-4f1e-8c2b-7a9d0e1f2a3b";
const API_KEY: &str = "cli-test-api-key-0123456789";
const WAIT: Duration = Duration::from_secs(30);

/// `yolk` with no inherited `YOLK_*` variables (yolk reads them as configuration) and plain log output.
fn yolk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yolk"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("YOLK_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("NO_COLOR", "1").stdin(Stdio::null());
    cmd
}

/// A running `yolk serve` whose stdout lines arrive on a channel; killed on drop if still running.
struct Server {
    child: Child,
    lines: Receiver<String>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Server {
    fn start(mut cmd: Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn yolk");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines, seen: Vec::new() }
    }

    /// Reads lines until one contains `needle`; returns it (panics after [`WAIT`] or if yolk stops).
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no line with {needle:?} in {WAIT:?}; got:\n{}", self.log()),
                Err(RecvTimeoutError::Disconnected) => panic!("yolk stopped before {needle:?}; got:\n{}", self.log()),
            }
        }
    }

    /// The address from the `listening on http://ADDR` line.
    fn wait_listening(&mut self) -> String {
        let line = self.wait_for("listening on http://");
        let rest = line.split("listening on http://").nth(1).unwrap_or_default();
        rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':')).collect()
    }

    /// Waits until `GET /health` answers 200: the server loop is running (and its signal handler installed).
    fn wait_healthy(&self, addr: &str) {
        let deadline = Instant::now() + WAIT;
        while !http_get(addr, "/health").starts_with("HTTP/1.1 200") {
            assert!(Instant::now() < deadline, "/health did not answer 200 in {WAIT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit (panics after [`WAIT`]) and drains the rest of its output into `seen`.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
                    self.seen.push(line);
                }
                return status;
            }
            assert!(Instant::now() < deadline, "yolk did not exit in {WAIT:?}; got:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A plain HTTP/1.1 GET; the whole response as text ("" if the connection failed).
fn http_get(addr: &str, path: &str) -> String {
    let Ok(mut conn) = TcpStream::connect(addr) else { return String::new() };
    let _ = conn.set_read_timeout(Some(WAIT));
    let _ = write!(conn, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    let _ = conn.read_to_string(&mut response);
    response
}

fn serve_cmd(data_dir: &Path) -> Command {
    let mut cmd = yolk();
    cmd.arg("serve").arg("--listen").arg("127.0.0.1:0").arg("--data-dir").arg(data_dir);
    cmd
}

/// The value after `label` on the line that has it.
fn field(line: &str, label: &str) -> String {
    line.split(label).nth(1).unwrap_or_default().trim().to_owned()
}

#[test]
fn first_start_prints_the_generated_credentials_once() {
    let dir = tempfile::tempdir().expect("temp dir");

    let mut first = Server::start(serve_cmd(dir.path()));
    let client_id = field(&first.wait_for("clientId:"), "clientId:");
    let secret = field(&first.wait_for("secret:"), "secret:");
    let addr = first.wait_listening();
    first.wait_healthy(&addr);
    assert!(uuid_like(&client_id), "clientId is a UUID: {client_id:?}");
    assert!(secret.len() >= 32, "secret looks random: {} chars", secret.len());
    first.sigterm();
    assert!(first.wait_exit().success());

    let mut second = Server::start(serve_cmd(dir.path()));
    let line = second.wait_for("clientId");
    let addr = second.wait_listening();
    second.wait_healthy(&addr);
    assert_eq!(field(&line, "clientId:"), client_id, "same environment on the second start");
    second.sigterm();
    assert!(second.wait_exit().success());
    let log = second.log();
    assert!(!log.contains(&secret), "the secret is printed only on the first start:\n{log}");
    assert!(!log.contains("secret:"), "no secret line on the second start:\n{log}");
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') && s.matches('-').count() == 4
}

/// `yolk config` (the effective configuration as JSON), with extra arguments and environment.
fn effective_config(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = yolk();
    cmd.arg("config").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run yolk config");
    assert!(out.status.success(), "yolk config failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn configuration_layers_flag_over_env_over_toml_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("yolk.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:1111\"\naccess_token_ttl = 42\nallowed_origins = [\"https://app.example\"]\n\
         api_key = \"toml-secret\"\nclient_id = \"6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f\"\n",
    )
    .expect("write toml");
    let path = file.to_str().expect("utf-8 path");

    let c = effective_config(&["--config", path], &[]);
    assert_eq!(c["listen"], "127.0.0.1:1111");
    assert_eq!(c["access_token_ttl"], 42);
    assert_eq!(c["allowed_origins"], serde_json::json!(["https://app.example"]));
    assert_eq!(c["api_key"], "<redacted>", "secrets are never printed");

    // YOLK_CONFIG names the file too; the environment beats the file.
    let c = effective_config(&[], &[("YOLK_CONFIG", path), ("YOLK_LISTEN", "127.0.0.1:2222")]);
    assert_eq!(c["listen"], "127.0.0.1:2222");
    assert_eq!(c["access_token_ttl"], 42, "unset keys still come from the file");

    // A flag beats both.
    let c = effective_config(&["--config", path, "--listen", "127.0.0.1:3333"], &[("YOLK_LISTEN", "127.0.0.1:2222")]);
    assert_eq!(c["listen"], "127.0.0.1:3333");

    // The other documented variables.
    let c = effective_config(
        &[],
        &[
            ("YOLK_ACCESS_TOKEN_TTL", "60"),
            ("YOLK_REFRESH_TOKEN_TTL", "3600"),
            ("YOLK_VENDOR_TOKEN_TTL", "120"),
            ("YOLK_ISSUER", "https://auth.example"),
            ("YOLK_ALLOWED_ORIGINS", "[https://a.example, https://b.example]"),
            ("YOLK_SECURE_COOKIES", "true"),
            ("YOLK_DATA_DIR", "/tmp/yolk-x"),
            ("YOLK_DATABASE_URL", "sqlite:///tmp/yolk-x/other.db"),
        ],
    );
    assert_eq!(c["access_token_ttl"], 60);
    assert_eq!(c["refresh_token_ttl"], 3600);
    assert_eq!(c["vendor_token_ttl"], 120);
    assert_eq!(c["issuer"], "https://auth.example");
    assert_eq!(c["allowed_origins"], serde_json::json!(["https://a.example", "https://b.example"]));
    assert_eq!(c["secure_cookies"], true);
    assert_eq!(c["data_dir"], "/tmp/yolk-x");
    assert_eq!(c["database_url"], "sqlite:///tmp/yolk-x/other.db");

    // A missing file is an error, not silently ignored.
    let out = yolk().args(["config", "--config"]).arg(dir.path().join("nope.toml")).output().expect("run");
    assert!(!out.status.success());
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_and_exits_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = serve_cmd(dir.path());
    cmd.args(["--client-id", CLIENT_ID, "--api-key", API_KEY]).env("YOLK_LOG", "info,tower_http=debug");
    let mut server = Server::start(cmd);
    let addr = server.wait_listening();

    // A request whose body is still arriving when the signal comes.
    let body = format!(r#"{{"clientId":"{CLIENT_ID}","secret":"{API_KEY}"}}"#);
    let (head, tail) = body.split_at(10);
    let mut conn = TcpStream::connect(&addr).expect("connect");
    conn.set_read_timeout(Some(WAIT)).expect("timeout");
    write!(
        conn,
        "POST /auth/vendor HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    )
    .expect("send head");
    server.wait_for("started processing request");

    server.sigterm();
    server.wait_for("shutdown signal received");
    std::thread::sleep(Duration::from_millis(200));
    conn.write_all(tail.as_bytes()).expect("send the rest of the body");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("read response");
    assert!(response.starts_with("HTTP/1.1 200"), "in-flight request answered: {response}");
    assert!(response.contains("\"token\""), "{response}");

    let status = server.wait_exit();
    assert!(status.success(), "exit status {status:?}; log:\n{}", server.log());
    assert!(TcpStream::connect(&addr).is_err(), "no longer listening");
}

#[test]
fn migrate_applies_the_schema_and_exits_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    for _ in 0..2 {
        let out = yolk().arg("migrate").arg("--data-dir").arg(dir.path()).output().expect("run yolk migrate");
        assert!(
            out.status.success(),
            "yolk migrate: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("yolk.db").is_file(), "the SQLite file is in the data dir");
}

/// `yolk outbox` prints what the store's outbox holds, newest first, filtered by `--to`; `yolk config` never shows
/// the SMTP URL (it may carry a password).
#[test]
fn outbox_prints_the_kept_messages_and_config_redacts_the_smtp_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = yolk().arg("outbox").arg("--data-dir").arg(dir.path()).output().expect("run yolk outbox");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("The outbox is empty"));

    let url = format!("sqlite://{}", dir.path().join("yolk.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        use yolk_store::OutboxStore as _;
        let store = yolk_store_sql::SqlStore::open(&url, chrono::Utc::now()).await.expect("open store");
        for (i, (to, text)) in
            [("ann@x.io", "first link https://app/x?t=1"), ("bob@x.io", "second code 4242")].into_iter().enumerate()
        {
            let message = yolk_domain::OutboxMessage {
                id: yolk_domain::MessageId::new(),
                channel: yolk_domain::Channel::Email,
                to: to.into(),
                subject: Some(format!("Subject {i}")),
                text: text.into(),
                html: None,
                created_at: chrono::Utc::now(),
            };
            store.add_to_outbox(&message).await.expect("add");
        }
        store.close().await;
    });

    let out = yolk().arg("outbox").arg("--data-dir").arg(dir.path()).output().expect("run yolk outbox");
    let text = String::from_utf8_lossy(&out.stdout);
    let (second, first) = (text.find("second code 4242").expect(&text), text.find("first link").expect(&text));
    assert!(second < first, "newest first:\n{text}");
    assert!(text.contains("Subject: Subject 0") && text.contains("to ann@x.io"), "{text}");
    let out = yolk().args(["outbox", "--to", "ANN@x.io", "--data-dir"]).arg(dir.path()).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("first link") && !text.contains("second code"), "{text}");

    let config = effective_config(&[], &[("YOLK_SMTP_URL", "smtp://user:hunter2@mail.example.com:587")]);
    assert_eq!(config["smtp_url"], "<redacted>");
    assert!(!config.to_string().contains("hunter2"));
}
