//! The signing keys as an operator meets them, with the real binary: sealed at rest under a master key (the row
//! read back with sqlx holds no PEM), refused at start without the right master key, `yolk keys list | rotate |
//! retire`. Each test runs on its own temporary data dir (SQLite).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use base64::Engine as _;

const WAIT: Duration = Duration::from_secs(60);
const MASTER_HEX: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const OTHER_MASTER_HEX: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const SCHEME: &str = "aes-256-gcm.v1";

/// `yolk` with no inherited `YOLK_*` variables, on `data_dir`, with `env`.
fn yolk(data_dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yolk"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("YOLK_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("NO_COLOR", "1").stdin(Stdio::null()).arg("--data-dir").arg(data_dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs a `yolk` command to its end (logging warnings only: the log shares stdout).
fn run(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    yolk(data_dir, env).env("YOLK_LOG", "warn").args(args).output().expect("run yolk")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Runs a `yolk` command that must succeed; its stdout.
fn ok(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(data_dir, args, env);
    assert!(out.status.success(), "yolk {args:?} failed:\n{}", text(&out));
    let all = text(&out);
    assert_clean(&all);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Output never shows key material.
fn assert_clean(output: &str) {
    assert!(!output.contains("PRIVATE KEY"), "a private key was printed:\n{output}");
    for secret in [MASTER_HEX, OTHER_MASTER_HEX] {
        assert!(!output.contains(secret), "the master key was printed:\n{output}");
    }
}

/// A running `yolk serve`; killed on drop if still running.
struct Server {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    addr: String,
}

impl Server {
    /// Starts `yolk serve` and waits for `/health`.
    fn start(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut cmd = yolk(data_dir, env);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]);
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn yolk");
        let (tx, lines) = channel();
        for pipe in [Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>, {
            Box::new(child.stderr.take().expect("stderr"))
        }] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut server = Self { child, lines, seen: Vec::new(), addr: String::new() };
        let line = server.wait_for("listening on http://");
        let rest = line.split("listening on http://").nth(1).unwrap_or_default();
        server.addr = rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':')).collect();
        server
    }

    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no line with {needle:?}; got:\n{}", self.seen.join("\n")),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("yolk stopped before {needle:?}; got:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    async fn jwks_kids(&self) -> Vec<String> {
        let jwks: serde_json::Value = reqwest::get(format!("http://{}/.well-known/jwks.json", self.addr))
            .await
            .expect("GET jwks")
            .json()
            .await
            .expect("jwks JSON");
        jwks["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().expect("kid").to_owned()).collect()
    }

    /// SIGTERM, then the exit; returns everything it printed.
    fn stop(mut self) -> String {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().expect("try_wait").is_none() {
            assert!(Instant::now() < deadline, "yolk did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.seen.push(line);
        }
        let log = self.seen.join("\n");
        assert_clean(&log);
        log
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

/// `yolk serve` that must fail at start-up: its output.
fn refused_start(data_dir: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = yolk(data_dir, env);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn yolk");
    let out = child.wait_with_output().expect("wait");
    let all = text(&out);
    assert!(!out.status.success(), "yolk started, but should have refused:\n{all}");
    assert!(!all.contains("panicked"), "a clear error, not a panic:\n{all}");
    assert!(!all.contains("listening on"), "{all}");
    assert_clean(&all);
    all
}

/// A stored key row: (kid, protection, private_pem column).
struct Row {
    kid: String,
    protection: String,
    private: String,
}

/// The signing-key rows, read straight from the SQLite file.
async fn rows(data_dir: &Path) -> Vec<Row> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", data_dir.join("yolk.db").display());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.expect("open the database");
    let rows = sqlx::query_as::<_, (String, String, String)>(
        "SELECT kid, protection, private_pem FROM signing_keys ORDER BY created_at",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read signing_keys");
    rows.into_iter().map(|(kid, protection, private)| Row { kid, protection, private }).collect()
}

fn assert_sealed(row: &Row) {
    assert_eq!(row.protection, SCHEME, "sealed with AES-256-GCM");
    assert!(!row.private.contains("PRIVATE KEY") && !row.private.contains("-----"), "no PEM in clear");
    // What is stored is <master key id>.<nonce>.<ciphertext>: no part of it decodes to the key's DER (PKCS#8
    // starts with a SEQUENCE, 0x30 0x82).
    let parts: Vec<&str> = row.private.split('.').collect();
    assert_eq!(parts.len(), 3, "{}", row.private);
    let ct = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[2]).expect("base64url ciphertext");
    assert!(ct.len() > 1000, "the whole key is in the ciphertext");
    assert!(!ct.starts_with(&[0x30, 0x82]), "the ciphertext is not the DER key");
    assert!(!row.private.contains(MASTER_HEX));
}

#[tokio::test]
async fn a_master_key_keeps_the_signing_key_sealed_and_is_required_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let master = [("YOLK_MASTER_KEY", MASTER_HEX)];
    let server = Server::start(dir.path(), &master);
    let kids = server.jwks_kids().await;
    server.stop();
    assert_eq!(kids.len(), 1);
    let stored = rows(dir.path()).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].kid, kids[0]);
    assert_sealed(&stored[0]);

    // Without the master key: a clear error at start-up, and no new key.
    let out = refused_start(dir.path(), &[]);
    assert!(out.contains("encrypted with a master key") && out.contains("YOLK_MASTER_KEY"), "{out}");
    // With another master key: refused too.
    let out = refused_start(dir.path(), &[("YOLK_MASTER_KEY", OTHER_MASTER_HEX)]);
    assert!(out.contains("is not the one"), "{out}");
    // A malformed one, and both ways of giving it at once.
    let out = refused_start(dir.path(), &[("YOLK_MASTER_KEY", "too-short")]);
    assert!(out.contains("neither 64 hex digits nor base64") && !out.contains("too-short"), "{out}");
    let file = dir.path().join("master.key");
    let bytes = hex_bytes(MASTER_HEX);
    std::fs::write(&file, format!("{}\n", base64::engine::general_purpose::STANDARD.encode(bytes))).unwrap();
    let file = file.to_str().expect("utf-8 path");
    let out = refused_start(dir.path(), &[("YOLK_MASTER_KEY", MASTER_HEX), ("YOLK_MASTER_KEY_FILE", file)]);
    assert!(out.contains("not both"), "{out}");
    let after = rows(dir.path()).await;
    assert_eq!(after.len(), 1, "no key was added");
    assert_eq!(after[0].private, stored[0].private, "nothing was rewritten");

    // The same key from a file (base64 this time) opens the store.
    let server = Server::start(dir.path(), &[("YOLK_MASTER_KEY_FILE", file)]);
    assert_eq!(server.jwks_kids().await, kids);
    server.stop();
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

#[tokio::test]
async fn a_store_written_without_a_master_key_is_sealed_on_the_first_start_with_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    let kids = server.jwks_kids().await;
    server.stop();
    let before = rows(dir.path()).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].protection, "none");
    assert!(before[0].private.contains("BEGIN PRIVATE KEY"), "without a master key the key is stored in clear");

    let master = [("YOLK_MASTER_KEY", MASTER_HEX)];
    let server = Server::start(dir.path(), &master);
    assert_eq!(server.jwks_kids().await, kids, "the same key, now sealed");
    let log = server.stop();
    assert!(log.contains("sealed with the master key"), "{log}");
    let after = rows(dir.path()).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].kid, kids[0]);
    assert_sealed(&after[0]);

    // Listing needs no master key and shows the envelope, never the key.
    let list = ok(dir.path(), &["keys", "list"], &[]);
    assert!(list.contains(&kids[0]) && list.contains("sealed") && list.contains("signing"), "{list}");
}

/// The state `yolk keys list` shows for `kid` (`None` if it is not listed).
fn state_of(list: &str, kid: &str) -> Option<String> {
    list.lines().find(|l| l.starts_with(kid)).and_then(|l| l.split_whitespace().nth(1)).map(str::to_owned)
}

/// The kid of the key `yolk keys rotate` added.
fn rotated_kid(out: &str) -> String {
    let rest = out.split("new key ").nth(1).unwrap_or_else(|| panic!("no new key in:\n{out}"));
    rest.split_whitespace().next().expect("kid").to_owned()
}

#[tokio::test]
async fn rotate_adds_a_key_and_retire_removes_the_old_one_once_its_tokens_expired() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Short lifetimes: the first key is retirable 1 s (token lifetime) + 1 s (reload interval) after the second
    // starts signing, 2 s (two reload intervals) after the rotation.
    let env = [
        ("YOLK_MASTER_KEY", MASTER_HEX),
        ("YOLK_ACCESS_TOKEN_TTL", "1"),
        ("YOLK_VENDOR_TOKEN_TTL", "1"),
        ("YOLK_KEY_RELOAD_INTERVAL", "1"),
    ];
    let list = ok(dir.path(), &["keys", "list"], &env);
    assert_eq!(list.lines().count(), 1, "an empty store lists no key:\n{list}");
    assert!(list.starts_with("KID"), "{list}");

    let out = ok(dir.path(), &["keys", "rotate"], &env);
    assert!(out.contains("had no signing key: created"), "{out}");
    let stored = rows(dir.path()).await;
    assert_eq!(stored.len(), 1);
    let first = stored[0].kid.clone();
    assert_sealed(&stored[0]);

    let out = ok(dir.path(), &["keys", "rotate"], &env);
    let second = rotated_kid(&out);
    assert!(out.contains(&format!("{first} keeps verifying")), "{out}");
    let stored = rows(dir.path()).await;
    assert_eq!(stored.len(), 2);
    stored.iter().for_each(assert_sealed);
    let list = ok(dir.path(), &["keys", "list"], &env);
    assert!(matches!(state_of(&list, &second).as_deref(), Some("next" | "signing")), "{list}");
    assert!(matches!(state_of(&list, &first).as_deref(), Some("signing" | "verifying" | "retirable")), "{list}");

    // The newest key is never retired.
    let out = run(dir.path(), &["keys", "retire", "--kid", &second, "--force"], &env);
    assert!(!out.status.success() && text(&out).contains("rotate first"), "{}", text(&out));

    // Without the master key (or with another), rotation is refused and writes nothing.
    let bare = &env[1..];
    let out = run(dir.path(), &["keys", "rotate"], bare);
    assert!(!out.status.success() && text(&out).contains("encrypted with a master key"), "{}", text(&out));
    let other = [("YOLK_MASTER_KEY", OTHER_MASTER_HEX), env[1], env[2], env[3]];
    let out = run(dir.path(), &["keys", "rotate"], &other);
    assert!(!out.status.success() && text(&out).contains("is not the one"), "{}", text(&out));
    assert_clean(&text(&out));
    assert_eq!(rows(dir.path()).await.len(), 2);

    // Once the first key's tokens have all expired, `retire` deletes it.
    let deadline = Instant::now() + WAIT;
    loop {
        let out = ok(dir.path(), &["keys", "retire"], bare);
        if out.contains(&format!("Retired {first}")) {
            break;
        }
        assert!(out.contains("Nothing to retire"), "{out}");
        assert!(Instant::now() < deadline, "{first} never became retirable:\n{out}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let list = ok(dir.path(), &["keys", "list"], bare);
    assert_eq!(state_of(&list, &second).as_deref(), Some("signing"), "{list}");
    assert_eq!(state_of(&list, &first), None, "{list}");
    assert_eq!(rows(dir.path()).await.len(), 1);
}

#[tokio::test]
async fn retire_refuses_a_key_whose_tokens_may_still_be_alive_unless_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Tokens live an hour: the old key stays "verifying" for the whole test once the new one signs (2 s).
    let env = [("YOLK_KEY_RELOAD_INTERVAL", "1"), ("YOLK_ACCESS_TOKEN_TTL", "3600")];
    ok(dir.path(), &["keys", "rotate"], &env);
    let first = rows(dir.path()).await[0].kid.clone();
    assert_eq!(rows(dir.path()).await[0].protection, "none", "no master key: stored in clear");
    let second = rotated_kid(&ok(dir.path(), &["keys", "rotate"], &env));

    let deadline = Instant::now() + WAIT;
    loop {
        let list = ok(dir.path(), &["keys", "list"], &env);
        if state_of(&list, &first).as_deref() == Some("verifying") {
            assert_eq!(state_of(&list, &second).as_deref(), Some("signing"), "{list}");
            break;
        }
        assert!(Instant::now() < deadline, "the new key never started signing:\n{list}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let out = run(dir.path(), &["keys", "retire", "--kid", &first], &env);
    assert!(!out.status.success() && text(&out).contains("still verifies"), "{}", text(&out));
    let out = ok(dir.path(), &["keys", "retire"], &env);
    assert!(out.contains("Nothing to retire") && out.contains(&first), "{out}");
    let out = ok(dir.path(), &["keys", "retire", "--kid", &first, "--force"], &env);
    assert!(out.contains(&format!("Retired {first}")), "{out}");
    assert_eq!(state_of(&out, &first), None, "{out}");
    assert_eq!(rows(dir.path()).await.len(), 1);
    let out = run(dir.path(), &["keys", "retire", "--kid", "nope"], &env);
    assert!(!out.status.success() && text(&out).contains("no signing key nope"), "{}", text(&out));
}

#[test]
fn the_master_key_is_configuration_but_never_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ok(
        dir.path(),
        &["config"],
        &[
            ("YOLK_MASTER_KEY", MASTER_HEX),
            ("YOLK_MASTER_KEY_FILE", "/etc/yolk/master.key"),
            ("YOLK_KEY_RELOAD_INTERVAL", "7"),
        ],
    );
    let c: serde_json::Value = serde_json::from_str(&out).expect("config JSON");
    assert_eq!(c["master_key"], "<redacted>");
    assert_eq!(c["master_key_file"], "/etc/yolk/master.key");
    assert_eq!(c["key_reload_interval"], 7);
    let c: serde_json::Value = serde_json::from_str(&ok(dir.path(), &["config"], &[])).expect("config JSON");
    assert_eq!(c["master_key"], serde_json::Value::Null);
    assert_eq!(c["key_reload_interval"], 60, "the default");

    let toml = dir.path().join("yolk.toml");
    std::fs::write(&toml, format!("master_key = \"{MASTER_HEX}\"\nkey_reload_interval = 5\n")).unwrap();
    let out = ok(dir.path(), &["config", "--config", toml.to_str().unwrap()], &[]);
    let c: serde_json::Value = serde_json::from_str(&out).expect("config JSON");
    assert_eq!(c["master_key"], "<redacted>");
    assert_eq!(c["key_reload_interval"], 5);
}
