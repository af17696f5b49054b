//! URI normalization in front of routing, so one route table serves every spelling real clients use:
//! `/frontegg/X` and `/X`, `/X/` and `/X`, `/audits//stats` and `/audits/stats`. Never a redirect: the SDKs do not
//! follow them (CLIENTS.md §0.2). The URI as sent is kept in `OriginalUri` for the 404 message.

use std::task::{Context, Poll};

use axum::extract::OriginalUri;
use axum::http::{Request, Uri};
use tower::Service;

/// A service that normalizes the request path before calling the inner one.
#[derive(Clone, Debug)]
pub struct Normalized<S> {
    inner: S,
}

impl<S> Normalized<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S, B> Service<Request<B>> for Normalized<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let original = req.uri().clone();
        if let Some(uri) = normalized_uri(&original) {
            *req.uri_mut() = uri;
        }
        req.extensions_mut().insert(OriginalUri(original));
        self.inner.call(req)
    }
}

/// The normalized form of `uri`, or `None` if it is already normal.
pub fn normalized_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let normal = normalize_path(path);
    if normal == path {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{normal}?{q}"),
        None => normal,
    };
    pq.parse().ok()
}

/// Collapses repeated slashes, drops a trailing slash and one leading `/frontegg` segment.
pub fn normalize_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let segments = match segments.first() {
        Some(&"frontegg") => &segments[1..],
        _ => &segments[..],
    };
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::normalize_path;

    #[test]
    fn spellings_collapse_to_one_path() {
        assert_eq!(normalize_path("/auth/vendor/"), "/auth/vendor");
        assert_eq!(normalize_path("/frontegg/identity/resources/users/v2/me"), "/identity/resources/users/v2/me");
        assert_eq!(normalize_path("/audits//stats"), "/audits/stats");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path("/frontegg"), "/");
        assert_eq!(normalize_path("/frontegg-x/a"), "/frontegg-x/a");
    }
}
