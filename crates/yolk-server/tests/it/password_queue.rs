//! The password-hashing queue under attack (issue 6, item 5): a flood of logins larger than the queue, and logins
//! abandoned by their clients. The app here runs on a deliberately small queue (one worker) so the flood needs few
//! requests; the assertions are on statuses and on the queue's counters, never on elapsed time.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yolk_core::Services;
use yolk_core::passwords::Passwords;

use crate::support::{PASSWORD, TestApp};

const LOGIN: &str = "/frontegg/identity/resources/auth/v1/user";

/// A test app whose services hash on `Passwords::with_capacity(1, capacity)`.
struct SmallQueueApp {
    app: TestApp,
    passwords: Passwords,
    service: yolk_server::normalize::Normalized<axum::Router>,
}

impl SmallQueueApp {
    async fn new(capacity: usize) -> Self {
        let app = TestApp::new().await;
        let passwords = Passwords::with_capacity(1, capacity);
        let mut state = app.state.clone();
        let clock: Arc<dyn yolk_domain::Clock> = app.clock.clone();
        state.services = Services::new(
            app.store.clone(),
            state.services.tokens.clone(),
            passwords.clone(),
            clock,
            yolk_core::grants::DEFAULT_TTL_MS,
        );
        let service = yolk_server::app(state);
        Self { app, passwords, service }
    }

    /// A login request (not yet sent).
    fn login(&self, email: &str) -> impl Future<Output = (StatusCode, Option<String>, Value)> + Send + 'static {
        let request = Request::post(LOGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "email": email, "password": PASSWORD }).to_string()))
            .expect("request");
        let service = self.service.clone();
        async move {
            let res = service.oneshot(request).await.expect("infallible");
            let status = res.status();
            let retry_after = res.headers().get(header::RETRY_AFTER).map(|v| v.to_str().expect("ascii").to_owned());
            let bytes = res.into_body().collect().await.expect("body").to_bytes();
            (status, retry_after, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }
    }
}

#[tokio::test]
async fn a_login_flood_beyond_the_queue_gets_503_with_retry_after_and_never_500() {
    let q = SmallQueueApp::new(4).await;
    let tenant = q.app.seed_tenant("acme").await;
    q.app.seed_user("ann@acme.io", &tenant, &[]).await;

    // 64 concurrent logins, half for a real user and half for an unknown one, on a queue of 4 behind one worker.
    let flood: Vec<_> = (0..64).map(|i| q.login(if i % 2 == 0 { "ann@acme.io" } else { "nobody@acme.io" })).collect();
    let answers = futures::future::join_all(flood).await;

    let mut refused = Vec::new();
    for (i, (status, retry_after, body)) in answers.iter().enumerate() {
        let known = i % 2 == 0;
        match *status {
            StatusCode::OK => assert!(known, "only the real user logs in: {body}"),
            StatusCode::UNAUTHORIZED => assert!(!known, "the real user's password is right: {body}"),
            StatusCode::SERVICE_UNAVAILABLE => {
                let secs: u64 = retry_after.as_deref().and_then(|v| v.parse().ok()).expect("numeric Retry-After");
                assert!(secs > 0, "{secs}");
                assert!(body["errors"][0].is_string(), "{{\"errors\":[...]}}: {body}");
                refused.push((known, retry_after.clone(), body.clone()));
            }
            other => panic!("login {i}: unexpected {other}: {body}"),
        }
    }
    assert!(!refused.is_empty(), "64 concurrent logins on a queue of 4: some are refused; answers: {answers:?}");
    // A refusal says nothing about the user: every 503 is the same, known or not.
    let (_, first_retry, first_body) = &refused[0];
    for (known, retry_after, body) in &refused {
        assert_eq!((retry_after, body), (first_retry, first_body), "known user: {known}");
    }
    // Nothing waited on the full queue: every job that was queued was performed.
    let stats = q.passwords.stats();
    assert_eq!(stats.computed as usize, 64 - refused.len(), "{stats:?}");

    // Once the flood has passed, logins work again.
    let (status, _, body) = q.login("ann@acme.io").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn abandoned_logins_are_not_hashed_and_the_next_login_waits_only_for_itself() {
    const ABANDONED: usize = 400;
    let q = SmallQueueApp::new(1024).await;
    let tenant = q.app.seed_tenant("acme").await;
    q.app.seed_user("ann@acme.io", &tenant, &[]).await;

    // Many clients send a login and go away before the answer: hyper (client disconnect) or the timeout layer
    // drops the handler future — here, the task running it is aborted.
    let clients: Vec<_> = (0..ABANDONED).map(|_| tokio::spawn(q.login("ann@acme.io"))).collect();
    // Wait (on the condition, up to 20 s on a loaded machine) until the flood has reached the queue: each login
    // reads the store before it queues its hash.
    for _ in 0..4_000 {
        if q.passwords.stats().queued >= ABANDONED / 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Measured while the flood waits in the queue (the worker drains skipped jobs at once after the abort).
    let before = q.passwords.stats();
    assert!(before.queued >= ABANDONED / 4, "the attack queued work: {before:?}");
    for client in &clients {
        client.abort();
    }
    for client in clients {
        let _ = client.await;
    }
    // Every abandoned request's future is gone now; what was queued is abandoned.

    let (status, _, body) = q.login("ann@acme.io").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = q.passwords.stats();
    assert_eq!(after.queued, 0, "{after:?}");
    // The fresh login, plus at most the jobs a worker started between the measure and the abort.
    assert!(after.computed - before.computed <= 3, "abandoned jobs were hashed: {before:?} → {after:?}");
    assert!(after.skipped - before.skipped >= before.queued as u64 - 2, "{before:?} → {after:?}");
}
