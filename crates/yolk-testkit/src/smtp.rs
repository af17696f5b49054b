//! A real SMTP sink for tests: a listener on `127.0.0.1:0` that speaks enough of RFC 5321 (no TLS, no auth) for a
//! client to deliver, and keeps every message it accepted (envelope and raw data) for the test to read.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One delivered message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-unstuffed).
    pub data: String,
}

/// A running sink; it stops when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Delivered>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        let addr = listener.local_addr().expect("sink address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, store.clone()));
            }
        });
        Self { addr, received, task }
    }

    /// The URL a client reaches the sink with (`smtp://127.0.0.1:PORT?tls=none`).
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    /// What was delivered so far, in order.
    pub fn received(&self) -> Vec<Delivered> {
        self.received.lock().expect("sink lock").clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: tokio::net::TcpStream, store: Arc<Mutex<Vec<Delivered>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut current = Delivered::default();
    if write.write_all(b"220 yolk-test-sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-yolk-test-sink\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") || upper.starts_with("RSET") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            current = Delivered { from: address(&line[10..]), ..Delivered::default() };
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            current.to.push(address(&line[8..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push_str("\r\n");
            }
            current.data = data;
            store.lock().expect("sink lock").push(std::mem::take(&mut current));
            b"250 OK: queued\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The address inside `<...>` (parameters after it ignored).
fn address(raw: &str) -> String {
    let raw = raw.trim();
    match (raw.find('<'), raw.find('>')) {
        (Some(a), Some(b)) if a < b => raw[a + 1..b].to_owned(),
        _ => raw.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}
