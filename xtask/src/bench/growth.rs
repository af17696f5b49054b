//! The growth curve: the users v3 page of tenants of 1k, 10k and 100k users and of a 25-user tenant, all in one
//! store of a million users, bulk-loaded through the store (`yolk_store_sql::bulk`), with the memory and start
//! time of a server on that store.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{TimeDelta, Utc};
use serde_json::json;
use yolk_domain::{Tenant, TenantId, User};
use yolk_store::users::UserQuery;
use yolk_store::{PageRequest, RoleStore as _, TenantStore as _, UserStore as _};
use yolk_store_sql::SqlStore;
use yolk_store_sql::bulk::{self, BulkUser};

use super::Context;
use super::http;
use super::load::{self, LoadResult};
use super::scenarios::{Fixed, USERS_PATH, ms, run_fixed};
use super::server::{API_KEY, CLIENT_ID, PgDb, Server, ServerSpec};

/// One tenant of the curve.
#[derive(Debug, Clone)]
pub struct GrowthPoint {
    /// Users in the tenant.
    pub tenant_users: usize,
    /// The small tenant (the newest of the store) rather than one of the sizes.
    pub small: bool,
    /// One page alone on the idle server (the probe before the load), milliseconds.
    pub alone_ms: f64,
    /// Its users v3 page under load.
    pub result: LoadResult,
}

/// The growth curve of one store.
#[derive(Debug, Clone)]
pub struct Growth {
    /// Users in the store while measured.
    pub store_users: u64,
    /// Users bulk-loaded (each with its membership and the tenant's default roles).
    pub loaded: u64,
    /// How long the bulk load took (tenants, users, memberships, roles; not `ANALYZE`).
    pub load_elapsed: Duration,
    /// How long `ANALYZE` took after it (PostgreSQL).
    pub analyze_elapsed: Option<Duration>,
    /// Start to first `/health` 200 on the loaded store, milliseconds.
    pub ready_ms: f64,
    /// RSS after that start and a settle, KiB.
    pub idle_rss_kib: Option<u64>,
    /// RSS after the curve's loads and a settle, KiB.
    pub rss_after_kib: Option<u64>,
    /// The tenants, smallest size first, the small tenant last.
    pub points: Vec<GrowthPoint>,
}

impl Growth {
    /// The largest RSS seen under the curve's loads, KiB.
    pub fn max_load_rss_kib(&self) -> Option<u64> {
        self.points.iter().filter_map(|p| p.result.max_rss_kib).max()
    }

    /// The point of the largest and of the smallest size (not the small tenant).
    pub fn extremes(&self) -> Option<(&GrowthPoint, &GrowthPoint)> {
        let sized = || self.points.iter().filter(|p| !p.small);
        let smallest = sized().min_by_key(|p| p.tenant_users)?;
        let largest = sized().max_by_key(|p| p.tenant_users)?;
        (largest.tenant_users > smallest.tenant_users).then_some((largest, smallest))
    }

    /// p50 of the largest tenant over p50 of the smallest, when both answered pages during their runs.
    pub fn p50_ratio(&self) -> Option<f64> {
        let (large, small) = self.extremes()?;
        let answered = large.result.ok > 0 && small.result.ok > 0 && small.result.p50_ms > 0.0;
        answered.then(|| large.result.p50_ms / small.result.p50_ms)
    }
}

/// A tenant to load: its id, its users, the prefix of their emails.
struct Planned {
    tenant: TenantId,
    users: usize,
    tag: String,
    small: bool,
    measured: bool,
}

/// Bulk-loads the curve's tenants into the store of the (stopped) server of `spec`, starts a server on it and
/// measures each tenant's page.
pub async fn run(ctx: &Context, spec: &ServerSpec, pg_db: Option<&PgDb>, scratch: &Path) -> anyhow::Result<Growth> {
    let args = &ctx.args;
    let url = match &spec.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", spec.data_dir.join("yolk.db").display()),
    };
    let store = SqlStore::connect(&url).await.context("opening the store for the bulk load")?;
    let outcome = load(ctx, &store).await;
    store.close().await;
    let (plan, existing, loaded, load_elapsed) = outcome?;
    let analyze_elapsed = match pg_db {
        Some(db) => {
            let t = Instant::now();
            db.analyze()?;
            Some(t.elapsed())
        }
        None => None,
    };

    let (mut server, started) = Server::start(spec)?;
    let ready = server.wait_ready(started, &spec.log).await?;
    println!("    ready on the loaded store: {:.1} ms", ms(ready));
    tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
    let idle_rss_kib = load::rss_kib(server.pid());
    println!("    idle RSS on the loaded store: {} KiB", idle_rss_kib.unwrap_or(0));
    let outcome = measure(ctx, &server, scratch, &plan).await;
    let rss_after_kib = match &outcome {
        Ok(_) => {
            tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
            load::rss_kib(server.pid())
        }
        Err(_) => None,
    };
    server.stop()?;
    let points = outcome?;
    Ok(Growth {
        store_users: existing + loaded,
        loaded,
        load_elapsed,
        analyze_elapsed,
        ready_ms: ms(ready),
        idle_rss_kib,
        rss_after_kib,
        points,
    })
}

/// Users in the store (invisible ones included).
async fn count_users(store: &SqlStore) -> anyhow::Result<u64> {
    let q = UserQuery { include_invisible: true, ..UserQuery::all(PageRequest { limit: 1, offset: 0 }) };
    Ok(store.list_users(&q).await?.1)
}

/// Creates the tenants and loads their users: filler users of another tenant first (the oldest), then the sizes
/// from the largest, then the small tenant (the newest, behind every other user in creation order).
async fn load(ctx: &Context, store: &SqlStore) -> anyhow::Result<(Vec<Planned>, u64, u64, Duration)> {
    let args = &ctx.args;
    let existing = count_users(store).await?;
    let mut sizes = args.growth_sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let measured: usize = sizes.iter().sum::<usize>() + args.small_tenant;
    let filler = args.store_users.saturating_sub(usize::try_from(existing)? + measured);
    let tid = |name: String| TenantId::parse(&name).map_err(|e| anyhow::anyhow!("tenant id {name}: {e:?}"));
    let mut plan = Vec::new();
    if filler > 0 {
        plan.push(Planned {
            tenant: tid("bench-filler".into())?,
            users: filler,
            tag: "f".into(),
            small: false,
            measured: false,
        });
    }
    for &n in sizes.iter().rev() {
        plan.push(Planned {
            tenant: tid(format!("bench-growth-{n}"))?,
            users: n,
            tag: format!("g{n}"),
            small: false,
            measured: true,
        });
    }
    if args.small_tenant > 0 {
        let n = args.small_tenant;
        plan.push(Planned {
            tenant: tid(format!("bench-small-{n}"))?,
            users: n,
            tag: format!("s{n}"),
            small: true,
            measured: true,
        });
    }
    let total: usize = plan.iter().map(|p| p.users).sum();
    println!("    bulk-loading {total} users ({} tenants; {existing} users already in the store)...", plan.len());
    let started = Instant::now();
    let now = Utc::now();
    // Creation times one millisecond apart, in loading order, ending now.
    let mut at = now - TimeDelta::milliseconds(i64::try_from(total)?);
    let mut loaded = 0u64;
    for p in &plan {
        store.create_tenant(&Tenant::new(p.tenant.clone(), format!("Bench {}", p.tag), now)).await?;
        let roles: Vec<_> =
            store.list_roles(Some(&p.tenant)).await?.into_iter().filter(|r| r.is_default).map(|r| r.id).collect();
        let (tenant, tag, first) = (p.tenant.clone(), p.tag.clone(), at);
        // Like `POST /identity/resources/users/v1` without a password: a local, unverified user whose active tenant
        // is the one it joins, holding the tenant's default roles.
        let users = (0..p.users).map(move |i| {
            let created = first + TimeDelta::milliseconds(i64::try_from(i).unwrap_or(i64::MAX));
            BulkUser {
                user: User {
                    name: Some(format!("Bench User {tag}.{i}")),
                    active_tenant_id: Some(tenant.clone()),
                    ..User::new(format!("bench.{tag}.{i}@example.com"), created)
                },
                password_hash: None,
            }
        });
        let t = Instant::now();
        loaded += bulk::insert_members(store, &p.tenant, &roles, users).await?;
        at += TimeDelta::milliseconds(i64::try_from(p.users)?);
        println!(
            "      {}: {} users in {:.1} s ({:.0}/s)",
            p.tenant.as_str(),
            p.users,
            t.elapsed().as_secs_f64(),
            p.users as f64 / t.elapsed().as_secs_f64().max(1e-9)
        );
    }
    let elapsed = started.elapsed();
    println!(
        "    loaded {loaded} users in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        loaded as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok((plan, existing, loaded, elapsed))
}

/// Each measured tenant's page under load, smallest size first; and the users in the store.
async fn measure(ctx: &Context, server: &Server, scratch: &Path, plan: &[Planned]) -> anyhow::Result<Vec<GrowthPoint>> {
    let addr = server.addr;
    let body = json!({ "clientId": CLIENT_ID, "secret": API_KEY });
    let vendor = http::call(addr, "POST", "/auth/vendor", &[], Some(&body)).await?;
    let token = vendor.json()["token"].as_str().map(str::to_owned);
    let token = token.with_context(|| format!("/auth/vendor: {} {}", vendor.status, vendor.text()))?;
    let mut measured: Vec<&Planned> = plan.iter().filter(|p| p.measured).collect();
    measured.sort_by_key(|p| (p.small, p.users));
    let mut points = Vec::new();
    for p in measured {
        let headers = vec![("x-access-token", token.clone()), ("frontegg-tenant-id", p.tenant.as_str().to_owned())];
        let probe_headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sent = Instant::now();
        let probe = http::call(addr, "GET", USERS_PATH, &probe_headers, None).await?;
        let alone_ms = ms(sent.elapsed());
        let total_items = probe.json()["_metadata"]["totalItems"].as_u64();
        if probe.status != 200 || total_items != Some(p.users as u64) {
            bail!(
                "GET {USERS_PATH} in {}: {} (totalItems {total_items:?}, {} loaded)",
                p.tenant.as_str(),
                probe.status,
                p.users
            );
        }
        let name = if p.small { "users v3, small tenant" } else { "users v3, growth" };
        println!("    {} ({} users):", p.tenant.as_str(), p.users);
        let fixed = Fixed { name, method: "GET", path: USERS_PATH, headers, body: None, expect: 200 };
        let result = run_fixed(ctx, server, scratch, fixed, ctx.args.growth_connections).await?;
        points.push(GrowthPoint { tenant_users: p.users, small: p.small, alone_ms, result });
    }
    Ok(points)
}
