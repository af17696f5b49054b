//! Two yolk processes on one PostgreSQL behave as one service: keys are shared, a token issued by one is accepted
//! by the other, a refresh token rotated on one is refused on the other. Runs when `YOLK_TEST_POSTGRES_URL` is set.

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
    let (status, signup) = post(
        &http,
        format!("{}/identity/resources/users/v1/signUp", a.base),
        json!({"email": "ann@cluster.io", "password": "Passw0rd!", "companyName": "Cluster"}),
    )
    .await;
    assert_eq!(status, 201, "{signup}");
    let access = signup["authResponse"]["accessToken"].as_str().unwrap();
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
    let rt1 = signup["authResponse"]["refreshToken"].as_str().unwrap().to_owned();
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
    let (status, _) =
        post(&http, format!("{}/identity/resources/auth/v1/logout", a.base), json!({"refreshToken": rt})).await;
    assert!((200..300).contains(&status));
    let (status, _) = post(&http, format!("{}{refresh}", b.base), json!({"refreshToken": rt})).await;
    assert_eq!(status, 401);
}
