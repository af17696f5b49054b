//! The connection loop: HTTP/1.1 (keep-alive) over hyper, with the limits `axum::serve` does not offer (issue 6,
//! item 6), so a slow or idle client cannot hold a connection forever:
//!
//! - **header read timeout**: a request head must arrive whole within `header_read_timeout` of its first byte (of
//!   the connection's opening, for the first request); a client trickling header lines is cut off;
//! - **keep-alive idle timeout**: between requests a connection may stay silent for `keep_alive_timeout`, then it
//!   is closed (hyper's own header timeout would start at the end of the previous response, making the two one);
//! - **connection cap**: at most `max_connections` are served at once; the next ones wait in the listen backlog
//!   (not accepted) until one closes.
//!
//! Requests in progress are never cut by these (the app's request timeout bounds them). Every request carries the
//! peer address as axum's `ConnectInfo<SocketAddr>`. On shutdown the loop stops accepting, lets in-flight requests
//! finish, closes idle connections, and returns when every connection has ended.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::{Service, ServiceExt as _};

/// The connection limits in force.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The limits a configuration asks for (`Config::validate` has bounded them).
    pub fn from_config(config: &yolk_server::Config) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout),
            keep_alive_timeout: Duration::from_secs(config.keep_alive_timeout),
            max_connections: config.max_connections.max(1),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains: no new connections, in-flight requests
/// finish, idle connections close. Returns when every connection has ended.
pub async fn run<S>(listener: TcpListener, app: S, limits: Limits, shutdown: impl Future<Output = ()>)
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (drain, draining) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        // A slot first: past the cap, connections stay in the kernel's backlog, not accepted.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(stream, peer, app.clone(), limits, draining.clone(), permit));
    }
    drop(listener);
    drain.send_replace(());
    // Each connection holds its slot until it ends: having them all back means every connection is done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// As hyper 0.14 and `axum::serve` do: a failed handshake is the client's problem; anything else (out of file
/// descriptors) is logged and retried after a pause instead of spinning.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serves one connection until it ends, its client stalls past a timeout, or (after `draining` fires) its
/// in-flight requests are done.
async fn connection<S>(
    stream: TcpStream,
    peer: SocketAddr,
    app: S,
    limits: Limits,
    mut draining: watch::Receiver<()>,
    _slot: OwnedSemaphorePermit,
) where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let in_flight = InFlight::start(&requests);
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = match app.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _in_flight: in_flight }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // hyper's header timeout would also start at the end of each response (cutting idle keep-alive connections at
    // the header timeout); both timeouts are kept by `Activity` instead.
    builder.keep_alive(true).header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut stalled = pin!(activity.stalled(limits));
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            reason = &mut stalled => {
                // No request is in progress: dropping the connection closes the socket and loses nothing.
                tracing::debug!(%peer, reason, "closing a stalled connection");
                break;
            }
            _ = draining.changed(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What a connection is doing, for its timeouts: requests in progress, and since when it has been waiting for a
/// request head (idle, or with part of the head received).
struct Activity {
    in_flight: AtomicUsize,
    waiting: Mutex<Waiting>,
    changed: Notify,
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    since: Instant,
    /// No byte of the next request yet (the keep-alive timeout applies; else the header timeout).
    idle: bool,
}

impl Activity {
    fn new() -> Self {
        // A new connection is waiting for its first head: the header timeout runs from the opening.
        Self {
            in_flight: AtomicUsize::new(0),
            waiting: Mutex::new(Waiting { since: Instant::now(), idle: false }),
            changed: Notify::new(),
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived from the client: if the connection was idle, a request head has started.
    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            let mut waiting = self.waiting();
            if waiting.idle {
                *waiting = Waiting { since: Instant::now(), idle: false };
                drop(waiting);
                self.changed.notify_one();
            }
        }
    }

    /// When the connection must be closed if nothing changes, and why; `None` while a request is in progress.
    fn deadline(&self, limits: Limits) -> Option<(Instant, &'static str)> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let waiting = *self.waiting();
        Some(if waiting.idle {
            (waiting.since + limits.keep_alive_timeout, "keep-alive idle timeout")
        } else {
            (waiting.since + limits.header_read_timeout, "header read timeout")
        })
    }

    /// Completes when the connection has waited past its deadline with no request in progress.
    async fn stalled(&self, limits: Limits) -> &'static str {
        loop {
            // Registered before reading the state: a change in between leaves a permit, so none is missed.
            let changed = self.changed.notified();
            match self.deadline(limits) {
                None => changed.await,
                Some((at, reason)) => {
                    tokio::select! {
                        () = changed => {}
                        () = tokio::time::sleep_until(at) => {
                            if self.deadline(limits).is_some_and(|(at, _)| at <= Instant::now()) {
                                return reason;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A request in progress, from its head to the end of its response body (or the handler's drop).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        activity.changed.notify_one();
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            *self.0.waiting() = Waiting { since: Instant::now(), idle: true };
            self.0.changed.notify_one();
        }
    }
}

/// A response body that keeps its request counted as in progress until hyper has taken all of it.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, reporting reads to the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use axum::Router;
    use axum::extract::ConnectInfo;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::mpsc;

    use super::{Limits, run};

    const BOUND: Duration = Duration::from_secs(20);

    /// Serves `router` on a free loopback port with roomy limits; returns the address.
    async fn serve(router: Router) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let limits = Limits {
            header_read_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(30),
            max_connections: 16,
        };
        tokio::spawn(run(listener, router, limits, std::future::pending()));
        addr
    }

    #[tokio::test]
    async fn handlers_see_the_peer_address_as_connect_info() {
        let router = Router::new()
            .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }));
        let addr = serve(router).await;
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        let local = conn.local_addr().expect("local addr");
        conn.write_all(b"GET /peer HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await.expect("send");
        let mut response = String::new();
        tokio::time::timeout(BOUND, conn.read_to_string(&mut response)).await.expect("answered").expect("read");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with(&local.to_string()), "the handler saw {local}: {response}");
    }

    #[tokio::test]
    async fn a_client_that_disconnects_drops_its_handler() {
        // What the password queue relies on to skip the work of a client that went away.
        struct Dropped(mpsc::UnboundedSender<&'static str>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                let _ = self.0.send("dropped");
            }
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let router = Router::new().route(
            "/hang",
            get(move || {
                let tx = tx.clone();
                async move {
                    let _guard = Dropped(tx.clone());
                    let _ = tx.send("started");
                    std::future::pending::<()>().await;
                }
            }),
        );
        let addr = serve(router).await;
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(b"GET /hang HTTP/1.1\r\nHost: t\r\n\r\n").await.expect("send");
        assert_eq!(tokio::time::timeout(BOUND, rx.recv()).await.expect("handler started"), Some("started"));
        drop(conn);
        assert_eq!(tokio::time::timeout(BOUND, rx.recv()).await.expect("handler dropped"), Some("dropped"));
    }
}
