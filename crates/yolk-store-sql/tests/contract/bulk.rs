//! The bulk loader (`yolk_store_sql::bulk`, the benchmark's seeding): members it inserts are read, listed and
//! counted exactly like members created one by one with `create_user`, and it refuses what `create_user` refuses.

use yolk_domain::{RoleId, TenantId, User};
use yolk_store::users::{NewUser, UserQuery, UserSort};
use yolk_store::{Constraint, Entity, MembershipStore, PageRequest, UserStore};
use yolk_store_sql::bulk::{self, BulkUser, SQLITE_ROWS_PER_STATEMENT};

use crate::{Db, assert_conflict, assert_not_found, at, tid, users_query};

contract!(
    bulk_members_are_listed_and_counted_like_created_ones,
    bulk_loading_refuses_what_create_user_refuses,
    bulk_loading_spans_several_statements,
);

/// Nine users of `tenant`, told apart by `tag` in their emails and usernames, with names out of creation order, one
/// invisible, one without an email, one locked, one unverified, most with a password.
fn templates(tag: &str, tenant: &str) -> Vec<BulkUser> {
    (0..9)
        .map(|i| {
            let email = if i == 4 { String::new() } else { format!("{tag}{i}@X.io") };
            let mut user = User {
                name: Some(format!("name {}", (i * 7) % 9)),
                verified: i != 5,
                locked: i == 6,
                invisible: i == 3,
                username: (i == 4 || i == 2).then(|| format!("{tag}user{i}")),
                phone_number: (i == 7).then(|| "+15550100".to_owned()),
                metadata: (i == 8).then(|| r#"{"k":1}"#.to_owned()),
                external_id: (i == 1).then(|| format!("{tag}-ext")),
                active_tenant_id: Some(tid(tenant)),
                ..User::new(email, at(i64::from(i)))
            };
            user.updated_at = at(100 + i64::from(i));
            BulkUser { user, password_hash: (i != 8).then(|| format!("$argon2id$stub{i}")) }
        })
        .collect()
}

/// What a listed user looks like with what differs by construction (id, the tag in email and username, the
/// tenant) taken out.
fn shape(u: &User, tag: &str) -> String {
    let strip = |s: &str| s.replacen(tag, "", 1);
    format!(
        "{} {:?} {:?} {:?} {:?} {:?} {} {} {} {} {}",
        strip(&u.email),
        u.username.as_deref().map(strip),
        u.name,
        u.phone_number,
        u.metadata,
        u.external_id.as_deref().map(strip),
        u.verified,
        u.locked,
        u.invisible,
        u.created_at.timestamp_millis(),
        u.updated_at.timestamp_millis(),
    )
}

async fn bulk_members_are_listed_and_counted_like_created_ones(db: Db) {
    db.tenants(&["one", "bulk", "mixed", "other"]).await;
    let member = db.role("member", None, &[]).await;
    let roles = [member.id];
    // One by one.
    for t in templates("a", "one") {
        let new = NewUser {
            user: t.user,
            password_hash: t.password_hash,
            tenant_id: Some(tid("one")),
            role_ids: roles.to_vec(),
            new_tenant: None,
        };
        db.create_user(&new).await.unwrap();
    }
    // All at once.
    let loaded = templates("b", "bulk");
    assert_eq!(bulk::insert_members(&db.store, &tid("bulk"), &roles, loaded.clone()).await.unwrap(), 9);
    // Half and half, interleaved in creation order.
    let (odd, even): (Vec<_>, Vec<_>) = templates("c", "mixed").into_iter().enumerate().partition(|(i, _)| i % 2 == 1);
    for (_, t) in even {
        let new = NewUser {
            user: t.user,
            password_hash: t.password_hash,
            tenant_id: Some(tid("mixed")),
            role_ids: roles.to_vec(),
            new_tenant: None,
        };
        db.create_user(&new).await.unwrap();
    }
    let odd: Vec<BulkUser> = odd.into_iter().map(|(_, t)| t).collect();
    assert_eq!(bulk::insert_members(&db.store, &tid("mixed"), &roles, odd).await.unwrap(), 4);
    // Members of another tenant are not listed.
    bulk::insert_members(&db.store, &tid("other"), &[], templates("d", "other")).await.unwrap();

    let sorts = [UserSort::CreatedAt, UserSort::Name, UserSort::Email];
    let pages = [(4, 0), (4, 4), (4, 8), (100, 0)];
    for sort in sorts {
        for descending in [false, true] {
            for include_invisible in [false, true] {
                for filter in [None, Some("NAME".to_owned())] {
                    for (limit, offset) in pages {
                        let list = |tenant: &'static str| {
                            let q = UserQuery {
                                tenant_id: Some(tid(tenant)),
                                sort,
                                descending,
                                include_invisible,
                                filter: filter.clone(),
                                page: PageRequest { limit, offset },
                                ..users_query()
                            };
                            let store = db.store.clone();
                            async move { store.list_users(&q).await.unwrap() }
                        };
                        let (one, one_total) = list("one").await;
                        let what = format!("{sort:?} desc={descending} invisible={include_invisible} {filter:?}");
                        let expected: Vec<String> = one.iter().map(|u| shape(u, "a")).collect();
                        for (tenant, tag) in [("bulk", "b"), ("mixed", "c")] {
                            let (users, total) = list(tenant).await;
                            assert_eq!(total, one_total, "{tenant}, {what}: total");
                            let got: Vec<String> = users.iter().map(|u| shape(u, tag)).collect();
                            assert_eq!(got, expected, "{tenant}, {what}, page {limit}/{offset}");
                        }
                    }
                }
            }
        }
    }

    // Read back: the row as given, the membership and roles as `create_user` makes them, the password for login.
    let ids: Vec<_> = loaded.iter().map(|b| b.user.id).collect();
    let memberships = db.memberships(&ids).await.unwrap();
    for b in &loaded {
        assert_eq!(db.get_user(b.user.id).await.unwrap(), b.user);
        let m = &memberships[&b.user.id];
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].tenant_id, tid("bulk"));
        assert_eq!(m[0].roles.iter().map(|r| r.id).collect::<Vec<_>>(), vec![member.id]);
        assert!(!m[0].disabled && !m[0].pending);
        assert_eq!(m[0].created_at, b.user.created_at);
    }
    let (found, hash) = db
        .login_candidate(&yolk_store::users::LoginIdentifier::Email("b0@x.IO".into()))
        .await
        .unwrap()
        .expect("a bulk-loaded user logs in by email");
    assert_eq!(found.id, loaded[0].user.id);
    assert_eq!(hash.as_deref(), Some("$argon2id$stub0"));
}

async fn bulk_loading_refuses_what_create_user_refuses(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let some = |tag: &str| templates(tag, "t1");
    assert_not_found(bulk::insert_members(&db.store, &tid("nope"), &[], some("a")).await, Entity::Tenant);
    assert_not_found(bulk::insert_members(&db.store, &tid("t1"), &[RoleId::new()], some("a")).await, Entity::Role);
    let theirs = db.role("theirs", Some("t2"), &[]).await;
    assert_not_found(bulk::insert_members(&db.store, &tid("t1"), &[theirs.id], some("a")).await, Entity::Role);
    assert_eq!(db.list_users(&users_query()).await.unwrap().1, 0, "nothing was inserted");

    // An email taken (in another spelling) fails the whole transaction, as it fails `create_user`.
    db.user_in("a5@x.IO", "t2", &[]).await;
    let batch = some("a");
    assert_conflict(bulk::insert_members(&db.store, &tid("t1"), &[], batch.clone()).await, Constraint::UserEmail);
    for b in &batch {
        assert_not_found(db.get_user(b.user.id).await, Entity::User);
    }
    // So does a username taken, and a user inserted twice in one load.
    let mut batch = some("b");
    batch[2].user.username = Some("euser2".into());
    let mut first = some("e");
    first.truncate(3);
    bulk::insert_members(&db.store, &tid("t1"), &[], first).await.unwrap();
    assert_conflict(bulk::insert_members(&db.store, &tid("t1"), &[], batch).await, Constraint::Username);
    let twice = vec![some("f").remove(0), some("f").remove(0)];
    assert_conflict(bulk::insert_members(&db.store, &tid("t1"), &[], twice).await, Constraint::UserEmail);
    let q = UserQuery { tenant_id: Some(tid("t1")), ..users_query() };
    assert_eq!(db.list_users(&q).await.unwrap().1, 3);
}

async fn bulk_loading_spans_several_statements(db: Db) {
    db.tenants(&["big", "small"]).await;
    // Several full statements and a partial one, on either store.
    let n = 2 * SQLITE_ROWS_PER_STATEMENT + 3;
    let users = (0..n).map(|i| BulkUser {
        user: User { name: Some(format!("u{i:05}")), ..User::new(format!("u{i}@big.io"), at(i as i64)) },
        password_hash: None,
    });
    assert_eq!(bulk::insert_members(&db.store, &tid("big"), &[], users).await.unwrap(), n as u64);
    db.user_in("s@small.io", "small", &[]).await;
    let page = |tenant: TenantId, offset: u64| {
        let q = UserQuery {
            tenant_id: Some(tenant),
            descending: true,
            page: PageRequest { limit: 25, offset },
            ..users_query()
        };
        let store = db.store.clone();
        async move { store.list_users(&q).await.unwrap() }
    };
    let (first, total) = page(tid("big"), 0).await;
    assert_eq!(total, n as u64);
    assert_eq!(first[0].name.as_deref(), Some(format!("u{:05}", n - 1).as_str()));
    let (last, _) = page(tid("big"), n as u64 - 2).await;
    let names: Vec<_> = last.iter().filter_map(|u| u.name.clone()).collect();
    assert_eq!(names, ["u00001", "u00000"]);
    let (small, total) = page(tid("small"), 0).await;
    assert_eq!((small.len(), total), (1, 1));
}
