//! The second factor and passwordless sign-in: MFA verifications/s (`POST .../auth/v1/user/mfa/verify` with an
//! authenticator code, each completing a login that waits for it) and magic-link sign-ins/s
//! (`POST .../passwordless/magiclink/postlogin`).
//!
//! Each request is single-use by design (an `mfaToken`, a TOTP step, a magic link's token), so the requests are
//! prepared in the store before the server starts, the way the server itself keeps them (migration 0010's
//! challenges and devices, `one_time_secrets`): one user per request, its login challenge or link token known to
//! the generator, which computes each authenticator's code (RFC 6238) right before the run. Every connection takes
//! the next prepared request until they run out or the duration ends.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{TimeDelta, Utc};
use serde_json::json;
use yolk_core::secrets::{random_token, sha256_hex};
use yolk_domain::{Tenant, TenantId, User};
use yolk_store::mfa::{ChallengeKind, Enrollment, MfaDevice, MfaDeviceKind, NewChallenge};
use yolk_store::{MfaStore as _, RoleStore as _, SecretPurpose, SecretStore as _, TenantStore as _};
use yolk_store_sql::SqlStore;
use yolk_store_sql::bulk::{self, BulkUser};

use super::Context;
use super::http;
use super::load::{self, LoadResult, Plan};
use super::scenarios::{expect_ok, settle};
use super::server::{API_KEY, CLIENT_ID, Server, ServerSpec};

/// The MFA verify path.
const VERIFY_PATH: &str = "/identity/resources/auth/v1/user/mfa/verify";
/// The magic-link exchange path.
const MAGIC_PATH: &str = "/identity/resources/auth/v1/passwordless/magiclink/postlogin";

/// What the two scenarios measured.
#[derive(Debug, Clone)]
pub struct Factors {
    /// Requests prepared per scenario.
    pub prepared: usize,
    pub mfa_verify: LoadResult,
    pub magic_link: LoadResult,
    /// SAML sign-ons/s ([`super::saml`]).
    pub saml: LoadResult,
}

/// A user waiting for its second factor: its `mfaToken` and authenticator key (base32).
struct Waiting {
    mfa_token: String,
    key: String,
}

/// Prepares the requests in the store of the (stopped) server of `spec`, starts a server on it and runs both.
pub async fn run(ctx: &Context, spec: &ServerSpec) -> anyhow::Result<Factors> {
    let n = ctx.args.factor_requests;
    let url = match &spec.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", spec.data_dir.join("yolk.db").display()),
    };
    let store = Arc::new(SqlStore::connect(&url).await.context("opening the store to prepare the requests")?);
    let prepared = prepare(&store, n).await;
    store.close().await;
    let (waiting, links) = prepared?;

    let (mut server, started) = Server::start(spec)?;
    server.wait_ready(started, &spec.log).await?;
    let outcome = measure(ctx, &server, waiting, links).await;
    server.stop()?;
    let (mfa_verify, magic_link, saml) = outcome?;
    Ok(Factors { prepared: n, mfa_verify, magic_link, saml })
}

/// `n` users with an authenticator and a login waiting for its code, and `n` users with a live magic link.
async fn prepare(store: &Arc<SqlStore>, n: usize) -> anyhow::Result<(Vec<Waiting>, Vec<String>)> {
    println!("    preparing {n} MFA logins and {n} magic links in the store...");
    let started = std::time::Instant::now();
    let now = Utc::now();
    let tenant = TenantId::parse("bench-factors").map_err(|e| anyhow::anyhow!("tenant id: {e:?}"))?;
    store.create_tenant(&Tenant::new(tenant.clone(), "Bench factors", now)).await?;
    let roles: Vec<_> =
        store.list_roles(Some(&tenant)).await?.into_iter().filter(|r| r.is_default).map(|r| r.id).collect();
    let users: Vec<BulkUser> = (0..2 * n)
        .map(|i| BulkUser {
            user: User {
                verified: true,
                active_tenant_id: Some(tenant.clone()),
                ..User::new(format!("bench.factor.{i}@example.com"), now - TimeDelta::seconds(1))
            },
            password_hash: None,
        })
        .collect();
    let ids: Vec<_> = users.iter().map(|u| u.user.id).collect();
    bulk::insert_members(store, &tenant, &roles, users).await?;

    let expires = now + TimeDelta::minutes(10);
    let mut tasks = tokio::task::JoinSet::new();
    let workers = 8;
    for w in 0..workers {
        let store = store.clone();
        let ids: Vec<_> = ids.iter().copied().skip(w).step_by(workers).collect();
        tasks.spawn(async move {
            let mut waiting = Vec::new();
            let mut links = Vec::new();
            for (j, id) in ids.into_iter().enumerate() {
                let token = random_token();
                if j % 2 == 0 {
                    let key = key();
                    let device = MfaDevice {
                        id: uuid_like(),
                        user_id: id,
                        kind: MfaDeviceKind::Authenticator,
                        totp_secret: Some(key.clone()),
                        phone_number: None,
                        last_step: 0,
                        credential_id: None,
                        webauthn: None,
                        created_at: now,
                    };
                    let enrolled = Enrollment { device: &device, recovery_code_hash: None, spend: &[] };
                    store.enroll_mfa_device(enrolled, now).await?;
                    let hash = sha256_hex(&token);
                    let login = NewChallenge {
                        user_id: id,
                        kind: ChallengeKind::Login,
                        token_hash: &hash,
                        payload: None,
                        expires_at: expires,
                    };
                    store.issue_challenge(login, now).await?;
                    waiting.push(Waiting { mfa_token: token, key });
                } else {
                    store.issue_secret(id, SecretPurpose::MagicLink, &sha256_hex(&token), now, expires).await?;
                    links.push(token);
                }
            }
            anyhow::Ok((waiting, links))
        });
    }
    let mut waiting = Vec::with_capacity(n);
    let mut links = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        let (w, l) = done.context("a preparing task")??;
        waiting.extend(w);
        links.extend(l);
    }
    println!("      prepared in {:.1} s", started.elapsed().as_secs_f64());
    Ok((waiting, links))
}

/// A random authenticator key, base32 (160 bits).
fn key() -> String {
    let mut bytes = [0u8; 20];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system CSPRNG is available");
    totp_rs::Secret::from(bytes.to_vec()).to_base32()
}

/// A random device id.
fn uuid_like() -> String {
    let t = random_token();
    format!("bench-{t}")
}

/// The current code of `key` (RFC 6238: SHA-1, 6 digits, 30 s).
fn code(key: &str) -> anyhow::Result<String> {
    let secret = totp_rs::Secret::try_from_base32(key).map_err(|e| anyhow::anyhow!("key: {e:?}"))?;
    let totp = totp_rs::Builder::new().with_secret(secret.as_ref().to_vec()).build()?;
    Ok(totp.generate(u64::try_from(Utc::now().timestamp())?).to_string())
}

async fn measure(
    ctx: &Context,
    server: &Server,
    waiting: Vec<Waiting>,
    links: Vec<String>,
) -> anyhow::Result<(LoadResult, LoadResult, LoadResult)> {
    let addr = server.addr;
    let args = &ctx.args;
    let vendor = json!({ "clientId": CLIENT_ID, "secret": API_KEY });
    let resp = http::call(addr, "POST", "/auth/vendor", &[], Some(&vendor)).await?;
    let env_token = resp.json()["token"].as_str().map(str::to_owned).context("/auth/vendor: no token")?;
    let headers = [("x-access-token", env_token.as_str())];
    let magic = json!({ "authStrategy": "MagicLink" });
    expect_ok(
        http::call(addr, "POST", "/identity/resources/configurations/v1", &headers, Some(&magic)).await?,
        "turn magic links on",
    )?;
    // A TOTP code lives one step either way of its own: the run must end within it.
    let duration = Duration::from_secs(args.duration.min(25));
    let connections = args.refresh_connections;

    let mut requests = Vec::with_capacity(waiting.len());
    for w in &waiting {
        let body = json!({ "mfaToken": w.mfa_token, "value": code(&w.key)? }).to_string();
        requests.push(http::request("POST", VERIFY_PATH, &[], Some(body.as_bytes())));
    }
    let plan = Plan::Queue { requests: Arc::new(std::sync::Mutex::new(requests)), expect: 201 };
    println!(
        "    MFA verify: {connections} connections, up to {} s or {} logins (built-in)",
        duration.as_secs(),
        waiting.len()
    );
    let mfa = load::run(addr, plan, connections, duration, server.pid()).await?;
    print(&mfa);
    if mfa.ok == 0 {
        bail!("MFA verify: no success ({:?})", mfa.first_error);
    }
    settle(server).await;

    let requests = links
        .iter()
        .map(|t| {
            let body = json!({ "token": t }).to_string();
            http::request("POST", MAGIC_PATH, &[], Some(body.as_bytes()))
        })
        .collect();
    let plan = Plan::Queue { requests: Arc::new(std::sync::Mutex::new(requests)), expect: 201 };
    println!(
        "    magic-link postlogin: {connections} connections, up to {} s or {} links",
        duration.as_secs(),
        links.len()
    );
    let magic = load::run(addr, plan, connections, duration, server.pid()).await?;
    print(&magic);
    if magic.ok == 0 {
        bail!("magic-link postlogin: no success ({:?})", magic.first_error);
    }
    settle(server).await;

    let saml =
        super::saml::run(addr, &env_token, args.factor_requests.min(4000), connections, duration, server.pid()).await?;
    print(&saml);
    Ok((mfa, magic, saml))
}

fn print(r: &LoadResult) {
    println!(
        "      {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} ok, {} errors{}",
        r.rate(),
        r.p50_ms,
        r.p99_ms,
        r.ok,
        r.errors,
        r.first_error.as_ref().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
}
