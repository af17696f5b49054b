//! One store's benchmark: start times and idle memory, then the load scenarios against a seeded server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::json;

use super::growth::{self, Growth};
use super::http::{self, Conn};
use super::load::{self, LoadResult, Plan};
use super::server::{API_KEY, CLIENT_ID, PgDb, Server, ServerSpec};
use super::{Context, hashlimit, wrk};
use crate::StoreKind;

/// The signed-up user who logs in.
const OWNER_EMAIL: &str = "bench.owner@example.com";
/// Their password (meets the default policy).
const OWNER_PASSWORD: &str = "Bench-Passw0rd!2024";
/// The login path.
const LOGIN_PATH: &str = "/identity/resources/auth/v1/user";
/// The users-list read.
pub(super) const USERS_PATH: &str = "/identity/resources/users/v3?_limit=25&_offset=0";
/// The users management create.
const CREATE_USER_PATH: &str = "/identity/resources/users/v1";

/// Users seeded through the API.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// Users created (besides the signed-up owner).
    pub created: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// One store's figures.
#[derive(Debug, Clone, Default)]
pub struct StoreResult {
    /// Start-to-first-200 times of the timed restarts on the existing store, milliseconds.
    pub ready_ms: Vec<f64>,
    /// RSS after start and a settle, KiB.
    pub idle_rss_kib: Option<u64>,
    /// `POST /auth/vendor`.
    pub vendor: Option<LoadResult>,
    /// Password logins.
    pub login: Option<LoadResult>,
    /// Chained refreshes.
    pub refresh: Option<LoadResult>,
    /// Users-list reads with the environment token.
    pub users: Option<LoadResult>,
    /// The same at `--latency-connections` (the p99 target).
    pub users_latency: Option<LoadResult>,
    /// Users-list reads with a user token (each checked against the store's session and membership, cached).
    pub users_as_member: Option<LoadResult>,
    /// Users seeding.
    pub seeded: Option<Seeded>,
    /// `totalItems` the users list reported.
    pub users_total: Option<u64>,
    /// argon2id verifications per second on all cores, measured in-process right before the login scenario.
    pub login_hash_limit: Option<f64>,
    /// MFA verifications and magic-link sign-ins, or why they are missing.
    pub factors: Option<Result<super::factors::Factors, String>>,
    /// The growth curve, or why it is missing.
    pub growth: Option<Result<Growth, String>>,
    /// Why a figure is missing, and other remarks.
    pub notes: Vec<String>,
}

impl StoreResult {
    /// The median ready time, milliseconds.
    pub fn ready_median(&self) -> Option<f64> {
        let mut v = self.ready_ms.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().filter(|_| !v.is_empty())
    }

    /// The largest RSS seen under any load, KiB.
    pub fn max_load_rss_kib(&self) -> Option<u64> {
        [&self.vendor, &self.login, &self.refresh, &self.users, &self.users_latency, &self.users_as_member]
            .iter()
            .filter_map(|r| r.as_ref()?.max_rss_kib)
            .max()
    }
}

/// Benchmarks one store.
pub async fn bench_store(ctx: &Context, kind: StoreKind) -> anyhow::Result<StoreResult> {
    let scratch = tempfile::Builder::new().prefix("yolk-bench-").tempdir().context("creating a temp dir")?;
    let pg_db = match kind {
        StoreKind::Postgres => Some(ctx.pg.create_db()?),
        StoreKind::Sqlite => None,
    };
    if let Some(db) = &pg_db {
        println!("    database {}", db.name);
    }
    let spec = ServerSpec {
        bin: ctx.yolk_bin.clone(),
        data_dir: scratch.path().join("data"),
        database_url: pg_db.as_ref().map(|d| d.url()),
        log: scratch.path().join("yolk.log"),
        rate_limit_per_ip: ctx.rate_limit_per_ip,
    };
    let mut result = StoreResult::default();

    // Create the store, then time starts on the existing one; the last server stays up for the loads.
    let (mut first, started) = Server::start(&spec)?;
    let created_in = first.wait_ready(started, &spec.log).await?;
    println!("    first start (creates the store): {:.1} ms", ms(created_in));
    first.stop()?;
    let runs = ctx.args.ready_runs.max(1);
    let mut server = None;
    for i in 0..runs {
        let (mut s, started) = Server::start(&spec)?;
        let t = s.wait_ready(started, &spec.log).await?;
        result.ready_ms.push(ms(t));
        if i + 1 < runs {
            s.stop()?;
        } else {
            server = Some(s);
        }
    }
    let server = server.context("no server")?;
    println!("    ready on the existing store: {:?} ms", result.ready_ms.iter().map(|v| v.round()).collect::<Vec<_>>());
    tokio::time::sleep(Duration::from_millis(ctx.args.settle_ms)).await;
    result.idle_rss_kib = load::rss_kib(server.pid());
    println!("    idle RSS: {} KiB", result.idle_rss_kib.unwrap_or(0));

    let outcome = loads(ctx, &server, &mut result, scratch.path(), pg_db.as_ref()).await;
    server.stop()?;
    outcome?;
    let factors = super::factors::run(ctx, &spec).await;
    if let Err(e) = &factors {
        println!("    MFA and magic-link scenarios failed: {e:#}");
    }
    result.factors = Some(factors.map_err(|e| format!("{e:#}")));
    if !ctx.args.no_growth {
        let growth = growth::run(ctx, &spec, pg_db.as_ref(), scratch.path()).await;
        if let Err(e) = &growth {
            println!("    growth curve failed: {e:#}");
        }
        result.growth = Some(growth.map_err(|e| format!("{e:#}")));
    }
    drop(pg_db);
    Ok(result)
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn loads(
    ctx: &Context,
    server: &Server,
    result: &mut StoreResult,
    scratch: &std::path::Path,
    pg_db: Option<&PgDb>,
) -> anyhow::Result<()> {
    let addr = server.addr;
    let args = &ctx.args;
    let vendor_body = json!({ "clientId": CLIENT_ID, "secret": API_KEY }).to_string();
    let vendor = http::call(addr, "POST", "/auth/vendor", &[], Some(&serde_json::from_str(&vendor_body)?)).await?;
    let env_token = vendor.json()["token"].as_str().map(str::to_owned);
    let env_token = env_token.with_context(|| format!("/auth/vendor: {} {}", vendor.status, vendor.text()))?;

    let signup =
        json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD, "companyName": "Bench Inc", "name": "Owner" });
    let resp = http::call(addr, "POST", "/identity/resources/users/v1/signUp", &[], Some(&signup)).await?;
    let tenant_id = resp.json()["tenantId"].as_str().map(str::to_owned);
    let tenant_id = tenant_id.with_context(|| format!("signUp: {} {}", resp.status, resp.text()))?;
    let owner_id = resp.json()["userId"].as_str().map(str::to_owned).context("signUp: no userId")?;
    // A new account proves its email before it logs in: the environment verifies the owner, and gives it a role
    // that reads users (for the member's users-list scenario).
    let env_headers = [("x-access-token", env_token.as_str()), ("frontegg-tenant-id", tenant_id.as_str())];
    let verify = format!("/identity/resources/users/v1/{owner_id}/verify");
    expect_ok(http::call(addr, "POST", &verify, &env_headers, None).await?, "verify the owner")?;
    let read_users = json!([{ "key": "fe.secure.read.users", "name": "Read users" }]);
    let created = expect_ok(
        http::call(addr, "POST", "/identity/resources/permissions/v1", &env_headers, Some(&read_users)).await?,
        "create a permission",
    )?;
    let permission_id = created.json()[0]["id"].as_str().map(str::to_owned).context("permission id")?;
    let role = json!([{ "key": "bench-reader", "name": "Reader", "level": 0 }]);
    let created = expect_ok(
        http::call(addr, "POST", "/identity/resources/roles/v1", &env_headers, Some(&role)).await?,
        "create a role",
    )?;
    let role_id = created.json()[0]["id"].as_str().map(str::to_owned).context("role id")?;
    let grant = json!({ "permissionIds": [permission_id] });
    let path = format!("/identity/resources/roles/v1/{role_id}/permissions");
    expect_ok(http::call(addr, "PUT", &path, &env_headers, Some(&grant)).await?, "grant the permission")?;
    let assign = json!({ "roleIds": [role_id] });
    let path = format!("/identity/resources/users/v1/{owner_id}/roles");
    expect_ok(http::call(addr, "POST", &path, &env_headers, Some(&assign)).await?, "assign the role")?;

    let fixed = |name: &'static str, method: &'static str, path: &'static str, body: Option<String>| Fixed {
        name,
        method,
        path,
        headers: Vec::new(),
        body,
        expect: 200,
    };
    let r = run_fixed(
        ctx,
        server,
        scratch,
        fixed("/auth/vendor", "POST", "/auth/vendor", Some(vendor_body)),
        args.connections,
    )
    .await?;
    result.vendor = Some(r);

    let login_body = json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD }).to_string();
    // The hash limit in the same conditions, right before: the server is up and idle, nothing else runs.
    println!("    argon2id limit right before the logins ({} s)...", args.raw_duration);
    let limit = hashlimit::argon2_per_sec(Duration::from_secs(args.raw_duration))?;
    println!("      {limit:.1}/s on all cores");
    result.login_hash_limit = Some(limit);
    let login = fixed("password login", "POST", LOGIN_PATH, Some(login_body.clone()));
    result.login = Some(run_fixed(ctx, server, scratch, login, args.login_connections).await?);

    println!("    opening {} sessions for the refresh chains...", args.refresh_connections);
    let tokens = open_sessions(addr, &login_body, args.refresh_connections).await?;
    let plan = Plan::RefreshChain { tokens };
    println!("    chained refresh: {} connections, {} s (built-in)", args.refresh_connections, args.duration);
    let r = load::run(addr, plan, args.refresh_connections, Duration::from_secs(args.duration), server.pid()).await?;
    print_result("chained refresh", &r);
    settle(server).await;
    result.refresh = Some(r);

    match seed_users(addr, &env_token, &tenant_id, args.users.saturating_sub(1), args.seed_concurrency).await? {
        Err(missing) => {
            println!("    {missing}");
            result.notes.push(missing);
            return Ok(());
        }
        Ok(seeded) => result.seeded = Some(seeded),
    }
    if let Some(db) = pg_db {
        db.analyze()?;
        result.notes.push("`ANALYZE` was run after seeding (as autovacuum would after a bulk insert).".into());
    }
    let headers = vec![("x-access-token", env_token.clone()), ("frontegg-tenant-id", tenant_id.clone())];
    let probe_headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let probe = http::call(addr, "GET", USERS_PATH, &probe_headers, None).await?;
    if probe.status == 404 && probe.text().contains("Cannot GET") {
        let note = format!("users list skipped: GET {USERS_PATH} is not implemented yet (404 Cannot GET)");
        println!("    {note}");
        result.notes.push(note);
        return Ok(());
    }
    if probe.status != 200 {
        bail!("GET {USERS_PATH}: {} {}", probe.status, probe.text());
    }
    let body = probe.json();
    result.users_total = body["_metadata"]["totalItems"].as_u64();
    let items = body["items"].as_array().map_or(0, Vec::len);
    println!("    users list: {items} items on the page, totalItems {:?}", result.users_total);
    let reads = Fixed { headers: headers.clone(), ..fixed("users v3 list", "GET", USERS_PATH, None) };
    result.users = Some(run_fixed(ctx, server, scratch, reads, args.connections).await?);
    let reads = Fixed { headers, ..fixed("users v3 list (latency)", "GET", USERS_PATH, None) };
    result.users_latency = Some(run_fixed(ctx, server, scratch, reads, args.latency_connections).await?);

    // The same page read by the owner with its access token: the revocation check's cost.
    let login = http::call(addr, "POST", LOGIN_PATH, &[], Some(&serde_json::from_str(&login_body)?)).await?;
    let access = login.json()["accessToken"].as_str().map(str::to_owned);
    let access = access.with_context(|| format!("login: {} {}", login.status, login.text()))?;
    let headers = vec![("authorization", format!("Bearer {access}"))];
    let reads = Fixed { headers, ..fixed("users v3 list (user token)", "GET", USERS_PATH, None) };
    result.users_as_member = Some(run_fixed(ctx, server, scratch, reads, args.connections).await?);
    Ok(())
}

/// The response if it is a success, else an error naming `what`.
pub(super) fn expect_ok(resp: http::Response, what: &str) -> anyhow::Result<http::Response> {
    if (200..300).contains(&resp.status) { Ok(resp) } else { bail!("{what}: {} {}", resp.status, resp.text()) }
}

/// A fixed-request scenario.
pub(super) struct Fixed {
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    pub expect: u16,
}

/// Runs a fixed-request scenario after checking its status once.
pub(super) async fn run_fixed(
    ctx: &Context,
    server: &Server,
    scratch: &std::path::Path,
    s: Fixed,
    connections: usize,
) -> anyhow::Result<LoadResult> {
    let headers: Vec<(&str, &str)> = s.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let req = http::request(s.method, s.path, &headers, s.body.as_deref().map(str::as_bytes));
    // Probe: wrk only counts non-2xx/3xx as errors, so check the exact status once.
    let mut conn = Conn::connect(server.addr).await?;
    let probe = conn.send(&req).await.with_context(|| format!("{} probe", s.name))?;
    if probe.status != s.expect {
        bail!("{} {}: expected {}, got {} {}", s.method, s.path, s.expect, probe.status, probe.text());
    }
    drop(conn);
    let duration = Duration::from_secs(ctx.args.duration);
    let generator = if ctx.use_wrk { "wrk" } else { "built-in" };
    println!("    {}: {connections} connections, {} s ({generator})", s.name, ctx.args.duration);
    let r = if ctx.use_wrk {
        let w = wrk::WrkRequest { method: s.method, path: s.path, headers: &headers, body: s.body.as_deref() };
        wrk::run(server.addr, &w, connections, ctx.args.client_threads, duration, server.pid(), scratch)?
    } else {
        let plan = Plan::Fixed { request: Arc::new(req), expect: s.expect };
        load::run(server.addr, plan, connections, duration, server.pid()).await?
    };
    print_result(s.name, &r);
    settle(server).await;
    Ok(r)
}

/// Lets the work the last load left in flight drain before the next scenario.
pub(super) async fn settle(server: &Server) {
    let waited = load::drain(server.pid(), server.postgres).await;
    if waited > Duration::from_secs(1) {
        println!("      (the server worked off the load's backlog in {:.1} s)", waited.as_secs_f64());
    }
}

pub(super) fn print_result(name: &str, r: &LoadResult) {
    println!(
        "      {name}: {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, max RSS {} KiB, CPU: server {:.2} cores, \
         generator {:.2}",
        r.rate(),
        r.p50_ms,
        r.p99_ms,
        r.errors,
        r.max_rss_kib.unwrap_or(0),
        r.server_cores().unwrap_or(f64::NAN),
        r.generator_cores().unwrap_or(f64::NAN),
    );
    if let Some(e) = &r.first_error {
        println!("      first error: {e}");
    }
}

/// Logs the owner in `n` times (concurrently; the server queues the hashing) and returns the refresh tokens.
async fn open_sessions(addr: SocketAddr, login_body: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let body: serde_json::Value = serde_json::from_str(login_body)?;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move {
                let resp = http::call(addr, "POST", LOGIN_PATH, &[], Some(&body)).await?;
                resp.json()["refreshToken"]
                    .as_str()
                    .map(str::to_owned)
                    .with_context(|| format!("login: {} {}", resp.status, resp.text()))
            })
        })
        .collect();
    let mut tokens = Vec::with_capacity(n);
    for t in tasks {
        tokens.push(t.await??);
    }
    Ok(tokens)
}

/// Creates `count` users in the tenant through `POST /identity/resources/users/v1`, `concurrency` in flight.
/// `Ok(Err(note))` when the endpoint does not exist yet.
async fn seed_users(
    addr: SocketAddr,
    env_token: &str,
    tenant_id: &str,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Result<Seeded, String>> {
    let started = Instant::now();
    let headers = [("x-access-token", env_token), ("frontegg-tenant-id", tenant_id)];
    let make = |i: usize| {
        let body = json!({ "email": format!("bench.user.{i}@example.com"), "name": format!("Bench User {i}") });
        http::request("POST", CREATE_USER_PATH, &headers, Some(body.to_string().as_bytes()))
    };
    if count == 0 {
        return Ok(Ok(Seeded { created: 0, elapsed: started.elapsed() }));
    }
    // The first one alone, to tell a missing endpoint from a failure.
    let mut conn = Conn::connect(addr).await?;
    let first = conn.send(&make(0)).await.context("creating the first user")?;
    if first.status == 404 && first.text().contains("Cannot POST") {
        return Ok(Err(format!(
            "users list skipped: POST {CREATE_USER_PATH} is not implemented yet (404 Cannot POST), so the {} users \
             cannot be seeded",
            count + 1
        )));
    }
    if !(200..300).contains(&first.status) {
        bail!("POST {CREATE_USER_PATH}: {} {}", first.status, first.text());
    }
    println!("    seeding {count} users ({concurrency} in flight)...");
    let next = Arc::new(AtomicUsize::new(1));
    let requests: Arc<Vec<Vec<u8>>> = Arc::new((0..count).map(make).collect());
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let next = next.clone();
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = requests.get(i) else { return anyhow::Ok(()) };
                let resp = tokio::time::timeout(Duration::from_secs(60), conn.send(req))
                    .await
                    .context("creating a user: timed out")??;
                if !(200..300).contains(&resp.status) {
                    bail!("POST {CREATE_USER_PATH} (user {i}): {} {}", resp.status, resp.text());
                }
                if conn.is_closed() {
                    conn = Conn::connect(addr).await?;
                }
                if i.is_multiple_of(2000) {
                    println!("      {i}/{count}");
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "    seeded {count} users in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(Ok(Seeded { created: count, elapsed }))
}
