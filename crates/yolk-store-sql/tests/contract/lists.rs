//! Lists in O(page) (`src/counts.rs`, migration 0006): the counts the store maintains equal the real counts after
//! every write path, alone and concurrent; a tenant's user page is read in order from the `memberships_page` index
//! (asserted on the query plans, without statistics), with the same rows, order and totals as the general query.

use std::collections::BTreeSet;

use sqlx::{AssertSqlSafe, Connection, Executor};
use yolk_domain::{TenantId, User, UserId};
use yolk_store::tenants::TenantQuery;
use yolk_store::users::{NewUser, UserQuery};
use yolk_store::{Constraint, Entity, MembershipStore, PageRequest, StoreError, StoreResult, TenantStore, UserStore};

use crate::{Db, at, new_user, set, tenant, tid, users_query};

contract!(
    maintained_counts_follow_every_write_path,
    maintained_counts_survive_concurrent_membership_writes,
    maintained_counts_survive_concurrent_tenant_writes,
    tenant_pages_match_the_general_query,
    tenant_pages_are_read_from_the_index_without_statistics,
    tenant_list_totals_are_maintained,
);

/// Asserts the maintained counts equal the real ones, and that each tenant page's total is its real row count.
async fn assert_consistent(db: &Db, step: &str) {
    let drift = db.maintained_counts_drift().await.unwrap();
    assert!(drift.is_empty(), "after {step}: {drift:#?}");
    let (tenants, total) = db.list_tenants(&TenantQuery::default()).await.unwrap();
    assert_eq!(total, tenants.len() as u64, "after {step}: the tenant count");
    for t in &tenants {
        for include_invisible in [true, false] {
            let q = UserQuery {
                tenant_id: Some(t.tenant_id.clone()),
                include_invisible,
                page: PageRequest { limit: 10_000, offset: 0 },
                ..users_query()
            };
            let (users, total) = db.list_users(&q).await.unwrap();
            assert_eq!(total, users.len() as u64, "after {step}: total of {} ({include_invisible})", t.tenant_id);
        }
    }
    for include_invisible in [true, false] {
        let q = UserQuery { include_invisible, page: PageRequest { limit: 10_000, offset: 0 }, ..users_query() };
        let (users, total) = db.list_users(&q).await.unwrap();
        assert_eq!(total, users.len() as u64, "after {step}: total of every user ({include_invisible})");
    }
}

fn invisible_user(email: &str, tenant_id: Option<&str>) -> NewUser {
    let mut u = new_user(email, tenant_id, &[]);
    u.user.invisible = true;
    u
}

async fn set_invisible(db: &Db, id: UserId, invisible: bool) -> StoreResult<User> {
    db.update_user(id, set(move |u: &mut User| u.invisible = invisible), at(2)).await
}

async fn maintained_counts_follow_every_write_path(db: Db) {
    assert_consistent(&db, "migrating").await;
    db.tenants(&["t1", "t2", "t3"]).await;
    assert_consistent(&db, "creating tenants").await;
    let ann = db.user_in("ann@x.io", "t1", &[]).await;
    let bob = db.create_user(&invisible_user("bob@x.io", Some("t1"))).await.unwrap();
    let cat = db.create_user(&new_user("cat@x.io", None, &[])).await.unwrap();
    let signup = NewUser { new_tenant: Some(tenant("t4")), ..new_user("dan@x.io", Some("t4"), &[]) };
    let dan = db.create_user(&signup).await.unwrap();
    assert_consistent(&db, "creating users (with a tenant, invisible, without a tenant, signing up)").await;
    // Failed writes change nothing.
    assert!(db.create_user(&new_user("ANN@x.io", Some("t2"), &[])).await.is_err());
    let dup = NewUser { new_tenant: Some(tenant("t1")), ..new_user("eve@x.io", Some("t1"), &[]) };
    assert!(db.create_user(&dup).await.is_err());
    assert!(db.add_membership(ann.id, &tid("t1"), &[], at(1)).await.is_err());
    assert!(db.add_membership(ann.id, &tid("nope"), &[], at(1)).await.is_err());
    assert!(db.add_membership(UserId::new(), &tid("t1"), &[], at(1)).await.is_err());
    assert_consistent(&db, "failed writes").await;
    db.add_membership(bob.id, &tid("t2"), &[], at(1)).await.unwrap();
    db.invite_member(ann.id, &tid("t2"), &[], at(1)).await.unwrap();
    db.add_membership(cat.id, &tid("t3"), &[], at(1)).await.unwrap();
    db.set_membership_disabled(ann.id, &tid("t1"), true, at(1)).await.unwrap();
    assert_consistent(&db, "adding, inviting, disabling").await;
    set_invisible(&db, ann.id, true).await.unwrap();
    assert_consistent(&db, "making a member of two tenants invisible").await;
    set_invisible(&db, bob.id, false).await.unwrap();
    set_invisible(&db, bob.id, false).await.unwrap();
    db.update_user(ann.id, set(|u: &mut User| u.name = Some("Ann".into())), at(2)).await.unwrap();
    assert_consistent(&db, "making a user visible, and other updates").await;
    db.set_active_tenant(cat.id, &tid("t1"), None, &[], at(3)).await.unwrap();
    db.set_active_tenant(cat.id, &tid("t1"), None, &[], at(3)).await.unwrap();
    db.set_active_tenant(dan.id, &tid("t5"), Some(&tenant("t5")), &[], at(3)).await.unwrap();
    assert_consistent(&db, "switching tenants (joining, already a member, a new tenant)").await;
    assert!(!db.remove_from_tenant(ann.id, &tid("t1"), at(4)).await.unwrap());
    assert!(db.remove_from_tenant(ann.id, &tid("t1"), at(4)).await.is_err());
    assert_consistent(&db, "leaving a tenant").await;
    db.migrate_tenant_users(&tid("t1"), &tid("t2"), at(5)).await.unwrap();
    assert_consistent(&db, "migrating a tenant's users").await;
    assert!(db.remove_from_tenant(ann.id, &tid("t2"), at(6)).await.unwrap());
    assert_consistent(&db, "leaving the last tenant (the user goes)").await;
    db.delete_user(bob.id).await.unwrap();
    assert!(db.delete_user(bob.id).await.is_err());
    assert_consistent(&db, "deleting a user of two tenants").await;
    let fay = db.create_user(&invisible_user("fay@x.io", Some("t3"))).await.unwrap();
    db.add_membership(fay.id, &tid("t5"), &[], at(7)).await.unwrap();
    db.create_user(&invisible_user("gil@x.io", Some("t3"))).await.unwrap();
    db.delete_tenant(&tid("t3"), at(8)).await.unwrap();
    assert!(db.get_user(fay.id).await.is_ok(), "a member of another tenant stays");
    assert_consistent(&db, "deleting a tenant (sole members go, others stay)").await;
    db.create_tenant(&tenant("t6")).await.unwrap();
    db.delete_tenant(&tid("t6"), at(9)).await.unwrap();
    assert_consistent(&db, "deleting an empty tenant").await;
}

/// Tasks add, invite, remove and re-add memberships, switch tenants, flip users' visibility and delete users, all
/// at once (on PostgreSQL they overlap in the database: each store call is its own transaction on its own
/// connection). Every call either succeeds or fails with the answer its race explains (the user or the membership
/// is gone, or already there), never a store failure (a deadlock, say); then the counts are still exact.
async fn maintained_counts_survive_concurrent_membership_writes(db: Db) {
    concurrent_writes(&db, false).await;
}

/// As [`maintained_counts_survive_concurrent_membership_writes`], with tenants migrated, deleted and created again
/// among the membership writes.
async fn maintained_counts_survive_concurrent_tenant_writes(db: Db) {
    concurrent_writes(&db, true).await;
}

async fn concurrent_writes(db: &Db, tenant_writes: bool) {
    let tenants = ["c1", "c2", "c3", "c4"];
    db.tenants(&tenants).await;
    let mut users = Vec::new();
    for i in 0..12 {
        let mut nu = new_user(&format!("u{i}@x.io"), Some(tenants[i % 4]), &[]);
        nu.user.invisible = i % 4 == 0;
        users.push(db.create_user(&nu).await.unwrap().id);
    }
    assert_consistent(db, "seeding").await;
    let tasks: Vec<_> = (0..8u64)
        .map(|task| {
            let store = db.store.clone();
            let users = users.clone();
            tokio::spawn(async move {
                let mut seed = task.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1);
                let mut next = move |n: usize| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % n as u64) as usize
                };
                for step in 0..30 {
                    let user = users[next(users.len())];
                    let tenant_id = TenantId::parse(tenants[next(tenants.len())]).unwrap();
                    let other = TenantId::parse(tenants[next(tenants.len())]).unwrap();
                    let ops = match (tenant_writes, step < 25) {
                        (false, true) => 6,
                        (false, false) => 7,
                        (true, _) => 9,
                    };
                    let result: StoreResult<()> = match next(ops) {
                        0 => store.add_membership(user, &tenant_id, &[], at(1)).await,
                        1 => store.invite_member(user, &tenant_id, &[], at(1)).await,
                        2 | 3 => store.remove_from_tenant(user, &tenant_id, at(1)).await.map(drop),
                        4 => {
                            let invisible = next(2) == 0;
                            let change = set(move |u: &mut User| u.invisible = invisible);
                            store.update_user(user, change, at(1)).await.map(drop)
                        }
                        5 => store.set_active_tenant(user, &tenant_id, None, &[], at(1)).await.map(drop),
                        6 if !tenant_writes => store.delete_user(user).await,
                        6 if tenant_id != other => {
                            store.migrate_tenant_users(&tenant_id, &other, at(1)).await.map(drop)
                        }
                        7 => match store.delete_tenant(&tenant_id, at(1)).await {
                            Ok(()) => store.create_tenant(&tenant(tenant_id.as_str())).await.map(drop),
                            e => e,
                        },
                        _ => store.delete_user(user).await,
                    };
                    match result {
                        Ok(()) | Err(StoreError::NotFound(_) | StoreError::Conflict(Constraint::Membership)) => {}
                        Err(StoreError::Conflict(Constraint::TenantId)) if tenant_writes => {}
                        Err(e) => panic!("task {task}, step {step}: {e:?}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a writer task");
    }
    assert_consistent(db, "concurrent writes").await;
}

/// The hot path (tenant only, by creation time) answers what the general query (the same tenant and visibility,
/// through an explicit id list) answers: rows, order (ties in creation time broken by id), totals and offsets.
async fn tenant_pages_match_the_general_query(db: Db) {
    db.tenants(&["p1", "p2"]).await;
    let mut ids = Vec::new();
    for i in 0..14 {
        // Creation times with ties; members of p1 interleaved with another tenant's users; some invisible, one
        // pending, one disabled, one in both tenants.
        let mut nu = new_user(&format!("m{i}@x.io"), Some(if i % 3 == 2 { "p2" } else { "p1" }), &[]);
        nu.user.created_at = at(i64::from(i / 3));
        nu.user.invisible = i % 5 == 1;
        ids.push(db.create_user(&nu).await.unwrap().id);
    }
    let invitee = db.create_user(&new_user("inv@x.io", Some("p2"), &[])).await.unwrap();
    db.invite_member(invitee.id, &tid("p1"), &[], at(1)).await.unwrap();
    db.set_membership_disabled(ids[0], &tid("p1"), true, at(1)).await.unwrap();
    db.add_membership(ids[2], &tid("p1"), &[], at(1)).await.unwrap();
    ids.push(invitee.id);
    for include_invisible in [true, false] {
        for descending in [false, true] {
            let all = UserQuery {
                tenant_id: Some(tid("p1")),
                include_invisible,
                descending,
                page: PageRequest { limit: 100, offset: 0 },
                ..users_query()
            };
            let (every, total) = db.list_users(&all).await.unwrap();
            let reference = UserQuery { ids: Some(ids.clone()), ..all.clone() };
            assert_eq!(
                (every.clone(), total),
                db.list_users(&reference).await.unwrap(),
                "{include_invisible} {descending}"
            );
            let expected = if include_invisible { 12 } else { 10 };
            assert_eq!(total, expected, "{include_invisible} {descending}");
            let ordered: Vec<_> = every.iter().map(|u| (u.created_at, u.id.to_string())).collect();
            let mut sorted = ordered.clone();
            sorted.sort();
            if descending {
                sorted.reverse();
            }
            assert_eq!(ordered, sorted, "ordered by creation time, then id");
            for (limit, offset) in [(3, 0), (3, 3), (4, 8), (5, 10), (25, 0), (3, 11), (2, 40)] {
                let q = UserQuery { page: PageRequest { limit, offset }, ..all.clone() };
                let (page, page_total) = db.list_users(&q).await.unwrap();
                let start = usize::try_from(offset).unwrap().min(every.len());
                let end = (start + usize::try_from(limit).unwrap()).min(every.len());
                assert_eq!((page, page_total), (every[start..end].to_vec(), total), "page {limit}x{offset}");
            }
        }
    }
    // A tenant without members, and an unknown one, have empty pages and no members.
    db.tenants(&["p3"]).await;
    for t in ["p3", "p4"] {
        let q = UserQuery { tenant_id: Some(tid(t)), ..users_query() };
        assert_eq!(db.list_users(&q).await.unwrap(), (vec![], 0));
    }
}

/// Bulk-loads users with raw SQL, as an import would (the sort keys and counts written by the load itself), with no
/// `ANALYZE` after it: PostgreSQL has no statistics. Asserts the plans of a tenant's page: the `memberships_page`
/// index read in order, users by primary key, no sort and no full scan of `users` or `memberships`, on SQLite and on
/// PostgreSQL (for the values, and the generic plan a cached statement may switch to). Then a load that leaves the
/// maintained values wrong is repaired by `rebuild_maintained_counts` (which analyzes on PostgreSQL), and pages still
/// avoid full scans.
async fn tenant_pages_are_read_from_the_index_without_statistics(db: Db) {
    db.tenants(&["small", "big", "crowd"]).await;
    let mut conn = sqlx::AnyConnection::connect(&db.test_db.url).await.unwrap();
    let postgres = db.test_db.backend == "postgres";
    // 25 members in `small`, 3,000 in `big` (30 of them invisible), 20,000 users of another tenant created in between.
    for (tenant_id, from, to) in [("crowd", 1, 20_000), ("small", 20_001, 20_025), ("big", 20_026, 23_025)] {
        let (series, id) = if postgres {
            (format!("generate_series({from}, {to}) AS s(i)"), "lpad(i::text, 12, '0')")
        } else {
            ("n".to_owned(), "printf('%012d', i)")
        };
        let with = if postgres {
            String::new()
        } else {
            format!("WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) ")
        };
        let load = [
            format!(
                "{with}INSERT INTO users (id, email, email_norm, provider, verified, locked, super_user, invisible,
                 created_at, updated_at)
                 SELECT '00000000-0000-4000-8000-' || {id}, 'b' || i || '@x.io', 'b' || i || '@x.io', 'local', 1, 0,
                        0, CASE WHEN i % 100 = 0 THEN 1 ELSE 0 END, (i % 5000) * 1000, 0 FROM {series}"
            ),
            format!(
                "INSERT INTO memberships (tenant_id, user_id, created_at, user_created_at, user_invisible)
                 SELECT '{tenant_id}', id, 0, created_at, invisible FROM users
                 WHERE id BETWEEN '00000000-0000-4000-8000-{from:012}' AND '00000000-0000-4000-8000-{to:012}'"
            ),
            format!(
                "INSERT INTO tenant_member_counts (tenant_id, members, invisible_members)
                 SELECT '{tenant_id}', COUNT(*), COUNT(CASE WHEN user_invisible = 1 THEN 1 END) FROM memberships
                 WHERE tenant_id = '{tenant_id}'"
            ),
            format!(
                "UPDATE store_counts SET users = users + {n}, invisible_users = invisible_users + {inv}",
                n = to - from + 1,
                inv = to / 100 - (from - 1) / 100
            ),
        ];
        for sql in load {
            conn.execute(AssertSqlSafe(sql)).await.unwrap();
        }
    }
    assert_eq!(db.maintained_counts_drift().await.unwrap(), Vec::<String>::new());
    assert_pages_avoid_full_scans(&db, true).await;
    // A load that writes neither the sort keys nor the counts.
    let forget = [
        "UPDATE memberships SET user_created_at = 0, user_invisible = 0 WHERE tenant_id = 'big'",
        "DELETE FROM tenant_member_counts",
    ];
    for sql in forget {
        conn.execute(sql).await.unwrap();
    }
    conn.close().await.unwrap();
    assert!(!db.maintained_counts_drift().await.unwrap().is_empty());
    db.rebuild_maintained_counts().await.unwrap();
    assert_eq!(db.maintained_counts_drift().await.unwrap(), Vec::<String>::new());
    // With statistics, a small tenant may rightly be read whole and sorted (25 rows).
    assert_pages_avoid_full_scans(&db, false).await;
}

/// The plan assertions of [`tenant_pages_are_read_from_the_index_without_statistics`], and each page's size and
/// total; `in_order`: also no sort, the index on PostgreSQL's generic plan too.
async fn assert_pages_avoid_full_scans(db: &Db, in_order: bool) {
    let postgres = db.test_db.backend == "postgres";
    for tenant_id in ["small", "big"] {
        for include_invisible in [true, false] {
            for descending in [false, true] {
                for offset in [0, 10, 2990] {
                    let q = UserQuery {
                        tenant_id: Some(tid(tenant_id)),
                        include_invisible,
                        descending,
                        page: PageRequest { limit: 25, offset },
                        ..users_query()
                    };
                    let plan = db.explain_user_page(&q).await.unwrap();
                    let what = format!("{tenant_id} {include_invisible} {descending} {offset}:\n{}", plan.join("\n"));
                    let node = |l: &String| l.trim_start_matches([' ', '-', '>']).to_owned();
                    let full_scan = |l: &String| {
                        ["SCAN users", "SCAN u", "SCAN memberships", "Seq Scan on users", "Seq Scan on memberships"]
                            .iter()
                            .any(|scan| node(l).starts_with(scan))
                    };
                    assert!(!plan.iter().any(full_scan), "no full scan: {what}");
                    let by_key = |l: &String| l.contains("users_pkey") || l.contains("sqlite_autoindex_users_1 (id=?)");
                    assert!(plan.iter().any(by_key), "users by primary key: {what}");
                    if in_order || tenant_id == "big" {
                        assert!(plan.iter().any(|l| l.contains("memberships_page")), "uses the index: {what}");
                    }
                    if in_order {
                        let sort = |l: &String| l.contains("TEMP B-TREE") || node(l).starts_with("Sort");
                        assert!(!plan.iter().any(sort), "read in order, no sort: {what}");
                    }
                    if postgres && in_order {
                        let generic = plan.iter().skip_while(|l| !l.contains("generic plan")).collect::<Vec<_>>();
                        assert!(generic.iter().any(|l| l.contains("memberships_page")), "generic: {what}");
                    }
                    let (page, total) = db.list_users(&q).await.unwrap();
                    let members = if tenant_id == "small" { 25 } else { 3000 };
                    let invisible = if tenant_id == "small" { 0 } else { 30 };
                    let expected = if include_invisible { members } else { members - invisible };
                    assert_eq!(total, expected, "{what}");
                    let shown = usize::try_from(expected.saturating_sub(offset).min(25)).unwrap();
                    assert_eq!(page.len(), shown, "{what}");
                    assert_eq!(page.iter().map(|u| u.id).collect::<BTreeSet<_>>().len(), shown);
                }
            }
        }
    }
}

/// Every tenant's total is the maintained count, whatever the order; filtered lists still count what they match.
async fn tenant_list_totals_are_maintained(db: Db) {
    db.tenants(&["a1", "a2", "a3"]).await;
    let q = TenantQuery { page: Some(PageRequest { limit: 2, offset: 2 }), ..TenantQuery::default() };
    let (page, total) = db.list_tenants(&q).await.unwrap();
    assert_eq!((page.len(), total), (1, 3));
    let past = TenantQuery { page: Some(PageRequest { limit: 2, offset: 5 }), ..TenantQuery::default() };
    assert_eq!(db.list_tenants(&past).await.unwrap(), (vec![], 3));
    db.delete_tenant(&tid("a2"), at(1)).await.unwrap();
    assert_eq!(db.list_tenants(&TenantQuery::default()).await.unwrap().1, 2);
    let filtered = TenantQuery { filter: Some("A3".into()), ..TenantQuery::default() };
    assert_eq!(db.list_tenants(&filtered).await.unwrap().1, 1);
    assert!(matches!(db.get_tenant(&tid("a2")).await, Err(StoreError::NotFound(Entity::Tenant))));
}
