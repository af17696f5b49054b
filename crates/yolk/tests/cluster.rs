//! Two yolk processes on one PostgreSQL behave as one service: keys are shared, a token issued by one is accepted
//! by the other, a refresh token rotated on one is refused on the other. Runs when `YOLK_TEST_POSTGRES_URL` is set.
//! A key rotation reaches both while they run (on PostgreSQL, or else on one shared SQLite file).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CLIENT_ID: &str = "0b9c9a59-2f51-4a0b-9d2a-7c1f2f6f1e01";
const API_KEY: &str = "cluster-test-key";

/// A yolk process, killed on drop.
struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(database_url: &str, data_dir: &std::path::Path) -> Node {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_yolk"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .args(["--client-id", CLIENT_ID, "--api-key", API_KEY])
        .arg("--data-dir")
        .arg(data_dir)
        .env("YOLK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start yolk");
    Node { child, base: format!("http://127.0.0.1:{port}") }
}

async fn wait_healthy(http: &reqwest::Client, node: &Node) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{}/health", node.base)).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "{} never became healthy", node.base);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = http.post(url).json(&body).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn two_nodes_on_one_postgres_act_as_one_service() {
    let Ok(base) = std::env::var(yolk_testkit::POSTGRES_ENV) else {
        eprintln!("skipped: {} not set", yolk_testkit::POSTGRES_ENV);
        return;
    };
    let db = yolk_testkit::TestDb::postgres(&base).await;
    let dir = tempfile::tempdir().unwrap();
    // Started together on an empty schema: migrations, key creation and credentials must converge.
    let a = start(&db.url, dir.path());
    let b = start(&db.url, dir.path());
    let http = reqwest::Client::new();
    wait_healthy(&http, &a).await;
    wait_healthy(&http, &b).await;

    // Keys are shared.
    let jwks_a: Value =
        http.get(format!("{}/.well-known/jwks.json", a.base)).send().await.unwrap().json().await.unwrap();
    let jwks_b: Value =
        http.get(format!("{}/.well-known/jwks.json", b.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks_a, jwks_b);
    assert_eq!(jwks_a["keys"].as_array().unwrap().len(), 1);

    // An environment token from A opens B's management API.
    let (status, vendor) =
        post(&http, format!("{}/auth/vendor", a.base), json!({"clientId": CLIENT_ID, "secret": API_KEY})).await;
    assert_eq!(status, 200);
    let token = vendor["token"].as_str().unwrap();
    let r = http
        .get(format!("{}/identity/resources/configurations/v1", b.base))
        .header("x-access-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let config: Value = r.json().await.unwrap();

    // A user token issued by A verifies with the public key B publishes.
    let auth = signed_up_and_logged_in(&http, &a, "ann@cluster.io").await;
    let access = auth["accessToken"].as_str().unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(config["publicKey"].as_str().unwrap().as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(access, &key, &validation).expect("B's key verifies A's token").claims;
    assert_eq!(claims["email"], "ann@cluster.io");
    let r = http.get(format!("{}/identity/resources/users/v2/me", b.base)).bearer_auth(access).send().await.unwrap();
    assert_eq!(r.status(), 200, "B accepts A's user token on a self-service route");
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["email"], "ann@cluster.io");

    // A refresh token rotated on B is refused on A; B's new token works on A.
    let rt1 = auth["refreshToken"].as_str().unwrap().to_owned();
    let refresh = "/identity/resources/auth/v1/user/token/refresh";
    let (status, on_b) = post(&http, format!("{}{refresh}", b.base), json!({"refreshToken": rt1})).await;
    assert_eq!(status, 201, "{on_b}");
    let rt2 = on_b["refreshToken"].as_str().unwrap().to_owned();
    let (status, _) = post(&http, format!("{}{refresh}", a.base), json!({"refreshToken": rt2})).await;
    assert_eq!(status, 201, "the rotated token works on the other node");
    let (status, _) = post(&http, format!("{}{refresh}", a.base), json!({"refreshToken": rt1})).await;
    assert_eq!(status, 401, "a token rotated on B is refused on A");

    // Logging out on one node ends the session for both.
    let (_, login) = post(
        &http,
        format!("{}/identity/resources/auth/v1/user", b.base),
        json!({"email": "ann@cluster.io", "password": "Passw0rd!"}),
    )
    .await;
    let rt = login["refreshToken"].as_str().unwrap().to_owned();
    let access = login["accessToken"].as_str().unwrap().to_owned();
    let me = |node: &Node| {
        let (http, url, access) =
            (http.clone(), format!("{}/identity/resources/users/v2/me", node.base), access.clone());
        async move { http.get(url).bearer_auth(access).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(&b).await, 200, "B has the session's grant in its access cache");
    let (status, _) =
        post(&http, format!("{}/identity/resources/auth/v1/logout", a.base), json!({"refreshToken": rt})).await;
    assert!((200..300).contains(&status));
    let (status, _) = post(&http, format!("{}{refresh}", b.base), json!({"refreshToken": rt})).await;
    assert_eq!(status, 401);
    // The access token: refused at once by A (which made the change), and by B once its cached grant is older
    // than the stated bound (`access_cache_ttl_ms`, 2 s by default) — never later.
    assert_eq!(me(&a).await, 401);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(me(&b).await, 401, "B sees A's logout within the access cache's TTL");

    // Locking the user on B: a fresh session's token is refused by A within the same bound.
    let (_, login) = post(
        &http,
        format!("{}/identity/resources/auth/v1/user", a.base),
        json!({"email": "ann@cluster.io", "password": "Passw0rd!"}),
    )
    .await;
    let access = login["accessToken"].as_str().unwrap().to_owned();
    let user_id = login["userId"].as_str().unwrap().to_owned();
    let on_a = || {
        let (http, url, access) = (http.clone(), format!("{}/identity/resources/users/v2/me", a.base), access.clone());
        async move { http.get(url).bearer_auth(access).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(on_a().await, 200);
    let r = http
        .post(format!("{}/identity/resources/users/v1/{user_id}/lock", b.base))
        .header("x-access-token", token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "lock on B: {}", r.status());
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(on_a().await, 401, "A sees B's lock within the access cache's TTL");
}

/// A node with extra environment (the key-ring settings).
fn start_with(database_url: &str, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Node {
    start_with_key(database_url, data_dir, API_KEY, env)
}

/// A node configured with `api_key` as the environment's secret, and extra environment.
fn start_with_key(database_url: &str, data_dir: &std::path::Path, api_key: &str, env: &[(&str, &str)]) -> Node {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yolk"));
    cmd.args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .args(["--client-id", CLIENT_ID, "--api-key", api_key])
        .arg("--data-dir")
        .arg(data_dir)
        .env("YOLK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Node { child: cmd.spawn().expect("start yolk"), base: format!("http://127.0.0.1:{port}") }
}

/// The kids a node publishes.
async fn jwks_kids(http: &reqwest::Client, node: &Node) -> Vec<String> {
    let jwks: Value =
        http.get(format!("{}/.well-known/jwks.json", node.base)).send().await.unwrap().json().await.unwrap();
    let mut kids: Vec<String> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    kids.sort();
    kids
}

/// An environment token from `node`, and the kid that signed it.
async fn vendor_token(http: &reqwest::Client, node: &Node) -> (String, String) {
    let (status, body) =
        post(http, format!("{}/auth/vendor", node.base), json!({"clientId": CLIENT_ID, "secret": API_KEY})).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.expect("a kid");
    (token, kid)
}

/// Whether `node` accepts the environment token.
async fn accepts_vendor(http: &reqwest::Client, node: &Node, token: &str) -> bool {
    let r = http
        .get(format!("{}/identity/resources/configurations/v1", node.base))
        .header("x-access-token", token)
        .send()
        .await
        .unwrap();
    r.status() == 200
}

/// Whether `node` accepts the user access token.
async fn accepts_user(http: &reqwest::Client, node: &Node, token: &str) -> bool {
    let r = http.get(format!("{}/identity/resources/users/v2/me", node.base)).bearer_auth(token).send().await.unwrap();
    r.status() == 200
}

/// An environment token from `node` signed by `kid`, polling until the node signs with it.
async fn signed_with(http: &reqwest::Client, node: &Node, kid: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (token, signed_by) = vendor_token(http, node).await;
        if signed_by == kid {
            return token;
        }
        assert!(Instant::now() < deadline, "{} never signed with {kid}", node.base);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs up `email` on `node`, has the environment verify it (a new account must prove its email before it logs
/// in), and logs in on `node`: answers the login body (`accessToken`, `refreshToken`, ...).
async fn signed_up_and_logged_in(http: &reqwest::Client, node: &Node, email: &str) -> Value {
    let url = |path: &str| format!("{}{path}", node.base);
    let body = json!({"email": email, "password": "Passw0rd!", "companyName": "Cluster"});
    let (status, signup) = post(http, url("/identity/resources/users/v1/signUp"), body).await;
    assert_eq!(status, 201, "{signup}");
    let (vendor, _) = vendor_token(http, node).await;
    let user_id = signup["userId"].as_str().unwrap();
    let r = http
        .post(url(&format!("/identity/resources/users/v1/{user_id}/verify")))
        .header("x-access-token", vendor)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "verify: {}", r.status());
    let (status, login) =
        post(http, url("/identity/resources/auth/v1/user"), json!({"email": email, "password": "Passw0rd!"})).await;
    assert_eq!(status, 200, "{login}");
    login
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.expect("a kid")
}

/// Polls `check` every 100 ms until it holds; panics with `what` after a generous deadline.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `yolk keys <args>` on the cluster's database; its stdout (it must succeed).
fn keys_cli(database_url: &str, data_dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yolk"));
    cmd.arg("keys").args(args).args(["--database-url", database_url]).arg("--data-dir").arg(data_dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.env("YOLK_LOG", "warn").output().expect("run yolk keys");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "yolk keys {args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("PRIVATE KEY"));
    stdout
}

/// `yolk keys rotate` while two nodes run (sealed keys, reload every second): the new key is published by both
/// before either signs with it; tokens signed by the old key keep verifying on both; then both sign with the new
/// key and accept each other's tokens, and both publish both keys. On PostgreSQL when `YOLK_TEST_POSTGRES_URL` is
/// set, else on one SQLite file shared by the processes.
#[tokio::test]
async fn a_rotation_reaches_running_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, postgres) = match std::env::var(yolk_testkit::POSTGRES_ENV) {
        Ok(base) if !base.is_empty() => {
            let db = yolk_testkit::TestDb::postgres(&base).await;
            (db.url.clone(), Some(db))
        }
        _ => (format!("sqlite://{}", dir.path().join("shared.db").display()), None),
    };
    let env = [("YOLK_MASTER_KEY", "3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w3q2+7w0="), ("YOLK_KEY_RELOAD_INTERVAL", "1")];
    let http = reqwest::Client::new();
    let a = start_with(&database_url, dir.path(), &env);
    if postgres.is_none() {
        // SQLite migrations are not serialized between processes (PostgreSQL's are, by an advisory lock): let the
        // first node create the schema before the second opens the file.
        wait_healthy(&http, &a).await;
    }
    let b = start_with(&database_url, dir.path(), &env);
    wait_healthy(&http, &a).await;
    wait_healthy(&http, &b).await;

    let old_kids = jwks_kids(&http, &a).await;
    assert_eq!(old_kids.len(), 1);
    assert_eq!(jwks_kids(&http, &b).await, old_kids);
    let old = old_kids[0].clone();

    // Tokens signed by the old key: an environment token from A, a user token from B.
    let (vendor_old, kid) = vendor_token(&http, &a).await;
    assert_eq!(kid, old);
    let login = signed_up_and_logged_in(&http, &b, "rot@cluster.io").await;
    let user_old = login["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(kid_of(&user_old), old);

    let out = keys_cli(&database_url, dir.path(), &env, &["rotate"]);
    let new = out.split("new key ").nth(1).and_then(|r| r.split_whitespace().next()).expect("new kid").to_owned();
    assert_ne!(new, old);

    // Both nodes publish both keys (within a reload interval).
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    for node in [&a, &b] {
        let (http, both) = (&http, &both);
        eventually("a node publishes both keys", move || async move { jwks_kids(http, node).await == *both }).await;
    }

    // The old key's tokens keep verifying on both nodes.
    for node in [&a, &b] {
        assert!(accepts_vendor(&http, node, &vendor_old).await, "{} accepts the old environment token", node.base);
        assert!(accepts_user(&http, node, &user_old).await, "{} accepts the old user token", node.base);
    }

    // After the activation delay both sign with the new key...
    let from_a = signed_with(&http, &a, &new).await;
    let from_b = signed_with(&http, &b, &new).await;
    // ... and accept each other's tokens.
    assert!(accepts_vendor(&http, &b, &from_a).await, "B accepts A's new-key token");
    assert!(accepts_vendor(&http, &a, &from_b).await, "A accepts B's new-key token");
    let (status, login) = post(
        &http,
        format!("{}/identity/resources/auth/v1/user", a.base),
        json!({"email": "rot@cluster.io", "password": "Passw0rd!"}),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let user_new = login["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(kid_of(&user_new), new);
    assert!(accepts_user(&http, &b, &user_new).await, "B accepts A's new-key user token");

    // The old key's tokens still verify, and both keys are still published by both nodes.
    for node in [&a, &b] {
        assert!(accepts_vendor(&http, node, &vendor_old).await);
        assert!(accepts_user(&http, node, &user_old).await);
        assert_eq!(jwks_kids(&http, node).await, both);
    }
    let list = keys_cli(&database_url, dir.path(), &env, &["list"]);
    let state = |kid: &str| list.lines().find(|l| l.starts_with(kid)).and_then(|l| l.split_whitespace().nth(1));
    assert_eq!(state(&new), Some("signing"), "{list}");
    assert_eq!(state(&old), Some("verifying"), "{list}");
}

/// The operator changes the API key and restarts one of two running nodes: the restarted node refuses the old
/// key's environment tokens from its first request, the node that kept running refuses them within its credential
/// cache's TTL (`access_cache_ttl_ms`, 2 s by default), and the new key's tokens work on both. On PostgreSQL when
/// `YOLK_TEST_POSTGRES_URL` is set, else on one SQLite file shared by the processes.
#[tokio::test]
async fn an_api_key_change_reaches_running_nodes() {
    const NEW_KEY: &str = "cluster-test-key-rotated";
    const TTL: Duration = Duration::from_secs(2);
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _postgres) = match std::env::var(yolk_testkit::POSTGRES_ENV) {
        Ok(base) if !base.is_empty() => {
            let db = yolk_testkit::TestDb::postgres(&base).await;
            (db.url.clone(), Some(db))
        }
        _ => (format!("sqlite://{}", dir.path().join("shared.db").display()), None),
    };
    let http = reqwest::Client::new();
    let a = start_with(&database_url, dir.path(), &[]);
    wait_healthy(&http, &a).await;
    let b = start_with(&database_url, dir.path(), &[]);
    wait_healthy(&http, &b).await;
    let (old, _) = vendor_token(&http, &a).await;
    assert!(accepts_vendor(&http, &a, &old).await && accepts_vendor(&http, &b, &old).await);

    // B restarts with the new key; its start-up replaces the stored credential.
    drop(b);
    let b = start_with_key(&database_url, dir.path(), NEW_KEY, &[]);
    wait_healthy(&http, &b).await;
    let changed = Instant::now();
    assert!(!accepts_vendor(&http, &b, &old).await, "the restarted node refuses the old key's token at once");
    let vendor = |secret: &str| json!({"clientId": CLIENT_ID, "secret": secret});
    let (status, _) = post(&http, format!("{}/auth/vendor", b.base), vendor(API_KEY)).await;
    assert_eq!(status, 401, "the old key buys no token");

    // A, still running, refuses it within the TTL of the change: a request sent once the TTL has passed since B was
    // ready (after the change) is refused, however long it takes to answer.
    loop {
        let asked = changed.elapsed();
        if !accepts_vendor(&http, &a, &old).await {
            println!("A refused the old key's token {asked:?} after B was ready");
            break;
        }
        assert!(asked < TTL + Duration::from_millis(250), "A still accepts the old key's token {asked:?} after");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Tokens of the new key work on both nodes, whichever issued them.
    for issuer in [&a, &b] {
        let (status, body) = post(&http, format!("{}/auth/vendor", issuer.base), vendor(NEW_KEY)).await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap();
        assert!(accepts_vendor(&http, &a, token).await && accepts_vendor(&http, &b, token).await);
    }
}
