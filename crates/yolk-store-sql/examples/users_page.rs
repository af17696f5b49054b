//! Times a tenant's users page through the store (`UserStore::list_users`, the read behind `GET /users/v3`):
//!
//! ```sh
//! cargo run --release -p yolk-store-sql --example users_page -- <database-url> <tenant-id> [runs]
//! ```
//!
//! It connects without migrating (point it at a migrated store, e.g. one bulk-loaded with SQL), then reads the first
//! page of 25 as the environment and as a member (without invisible users), by creation time in both directions,
//! `runs` times each (default 2,000), and prints the total and p50/p99 latencies.

use std::time::{Duration, Instant};

use yolk_domain::TenantId;
use yolk_store::users::UserQuery;
use yolk_store::{PageRequest, UserStore};
use yolk_store_sql::SqlStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, tenant, rest @ ..] = args.as_slice() else {
        return Err("usage: users_page <database-url> <tenant-id> [runs]".into());
    };
    let runs: usize = rest.first().map(|r| r.parse()).transpose()?.unwrap_or(2000);
    let store = SqlStore::connect(url).await?;
    let tenant_id = TenantId::parse(tenant).map_err(|e| format!("tenant id: {e:?}"))?;
    for include_invisible in [true, false] {
        for descending in [false, true] {
            let q = UserQuery {
                tenant_id: Some(tenant_id.clone()),
                descending,
                include_invisible,
                ..UserQuery::all(PageRequest { limit: 25, offset: 0 })
            };
            let (page, total) = store.list_users(&q).await?;
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            for _ in 0..runs {
                let start = Instant::now();
                store.list_users(&q).await?;
                times.push(start.elapsed());
            }
            times.sort();
            let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
            println!(
                "{tenant} {} {}: {} rows of {total}, p50 {:.3} ms, p99 {:.3} ms ({runs} runs)",
                if include_invisible { "environment" } else { "member     " },
                if descending { "desc" } else { "asc " },
                page.len(),
                at(0.5),
                at(0.99),
            );
        }
    }
    store.close().await;
    Ok(())
}
