//! Connection-level attacks on the real binary, over real sockets: a client trickling header lines (slowloris), an
//! idle keep-alive connection, more connections than the cap, and a configuration that would hand any web site the
//! refresh cookie. Timeouts are configured small (1 s) and every assertion is "closed (read returns EOF) within a
//! generous bound", never an exact duration.

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The generous upper bound on anything that should happen "after about a second".
const BOUND: Duration = Duration::from_secs(20);
const WAIT: Duration = Duration::from_secs(30);

/// A running `yolk serve` on a free loopback port with `env` added; killed on drop.
struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = yolk(dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn yolk");
        let lines = lines(&mut child);
        let addr = wait_listening(&lines);
        let server = Self { child, addr, _dir: dir };
        let deadline = Instant::now() + WAIT;
        while !http_get_close(&server.addr).starts_with("HTTP/1.1 200") {
            assert!(Instant::now() < deadline, "/health did not answer 200 in {WAIT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn connect(&self) -> TcpStream {
        let conn = TcpStream::connect(&self.addr).expect("connect");
        conn.set_read_timeout(Some(BOUND)).expect("read timeout");
        conn
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `yolk serve` with no inherited `YOLK_*` variables, on port 0 and its own data dir.
fn yolk(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yolk"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("YOLK_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("NO_COLOR", "1").env("YOLK_LOG", "info,yolk=debug").stdin(Stdio::null());
    cmd.arg("serve").arg("--listen").arg("127.0.0.1:0").arg("--data-dir").arg(data_dir);
    cmd
}

fn lines(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_listening(lines: &Receiver<String>) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains("listening on http://") => {
                let rest = line.split("listening on http://").nth(1).unwrap_or_default();
                return rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':')).collect();
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => panic!("yolk did not listen in {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("yolk stopped before listening"),
        }
    }
}

/// A one-shot `GET /health` with `Connection: close`; the whole response ("" if the connection failed).
fn http_get_close(addr: &str) -> String {
    let Ok(mut conn) = TcpStream::connect(addr) else { return String::new() };
    let _ = conn.set_read_timeout(Some(WAIT));
    let _ = write!(conn, "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    let _ = conn.read_to_string(&mut response);
    response
}

/// Sends a keep-alive `GET /health` and reads exactly its response (by `Content-Length`); returns the head.
fn keep_alive_get(conn: &mut TcpStream) -> String {
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: yolk\r\n\r\n").expect("send request");
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).expect("read response");
        assert!(n > 0, "connection closed before the response: {}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse().ok())
                .expect("content-length");
            if body.len() >= length {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                assert!(!head.to_ascii_lowercase().contains("connection: close"), "kept alive: {head}");
                return head.to_owned();
            }
        }
    }
}

/// Whether the server has closed `conn`: a read returns EOF or a reset. Panics if the server sends data.
fn closed_by_server(conn: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    match conn.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => panic!("unexpected data from the server: {}", String::from_utf8_lossy(&buf[..n])),
        Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => true,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) => panic!("read: {e}"),
    }
}

#[test]
fn a_client_trickling_header_lines_is_cut_off_after_the_header_timeout() {
    let server = Server::start(&[("YOLK_HEADER_READ_TIMEOUT", "1"), ("YOLK_KEEP_ALIVE_TIMEOUT", "60")]);
    let mut conn = server.connect();
    // One header line a second, never the blank line that ends the head.
    conn.set_read_timeout(Some(Duration::from_secs(1))).expect("read timeout");
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: yolk\r\n").expect("request line");
    let started = Instant::now();
    let mut lines_sent = 0;
    loop {
        if closed_by_server(&mut conn) {
            break;
        }
        assert!(started.elapsed() < BOUND, "still open after {BOUND:?} and {lines_sent} header lines");
        if conn.write_all(format!("X-Trickle-{lines_sent}: a\r\n").as_bytes()).is_err() {
            break; // reset by the server
        }
        lines_sent += 1;
    }
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let server = Server::start(&[("YOLK_HEADER_READ_TIMEOUT", "60"), ("YOLK_KEEP_ALIVE_TIMEOUT", "1")]);
    let mut conn = server.connect();
    keep_alive_get(&mut conn);
    // Nothing more is sent: the server must close the connection (EOF), well within the bound.
    assert!(closed_by_server(&mut conn), "the idle keep-alive connection is still open after {BOUND:?}");
}

#[test]
fn the_header_timeout_does_not_cut_an_idle_keep_alive_connection() {
    // The header timeout counts from the first byte of a request head, not from the end of the previous response:
    // a client may keep a connection idle for the keep-alive timeout and then reuse it.
    let server = Server::start(&[("YOLK_HEADER_READ_TIMEOUT", "1"), ("YOLK_KEEP_ALIVE_TIMEOUT", "60")]);
    let mut conn = server.connect();
    keep_alive_get(&mut conn);
    std::thread::sleep(Duration::from_secs(3));
    keep_alive_get(&mut conn);
}

#[test]
fn connections_beyond_the_cap_are_not_served_until_one_closes() {
    let server = Server::start(&[
        ("YOLK_MAX_CONNECTIONS", "2"),
        ("YOLK_HEADER_READ_TIMEOUT", "60"),
        ("YOLK_KEEP_ALIVE_TIMEOUT", "60"),
    ]);
    // Two clients hold keep-alive connections (served, so both were accepted).
    let mut first = server.connect();
    keep_alive_get(&mut first);
    let mut second = server.connect();
    keep_alive_get(&mut second);

    // A third connects (the kernel completes the handshake) but is not served while the two are open.
    let mut third = server.connect();
    third.write_all(b"GET /health HTTP/1.1\r\nHost: yolk\r\n\r\n").expect("send");
    third.set_read_timeout(Some(Duration::from_secs(1))).expect("read timeout");
    let mut buf = [0u8; 64];
    match third.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("a connection beyond the cap was served: {other:?} {}", String::from_utf8_lossy(&buf)),
    }

    // One closes: the waiting one is served.
    drop(first);
    third.set_read_timeout(Some(BOUND)).expect("read timeout");
    let n = third.read(&mut buf).expect("served once a slot is free");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    // The second is still served on its connection.
    keep_alive_get(&mut second);
}

#[test]
fn a_star_in_allowed_origins_is_refused_at_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = yolk(dir.path())
        .env("YOLK_ALLOWED_ORIGINS", "[\"*\"]")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn yolk");
    let lines = lines(&mut child);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if let Ok(line) = lines.try_recv()
            && line.contains("listening on")
        {
            let _ = child.kill();
            let _ = child.wait();
            panic!("yolk started with allowed_origins = [\"*\"]: {line}");
        }
        assert!(Instant::now() < deadline, "yolk neither started nor exited in {WAIT:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success(), "exit status {status:?}");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    assert!(stderr.contains("allowed_origins") && stderr.contains("credentials"), "a clear error: {stderr}");
}
