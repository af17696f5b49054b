//! `UserStore`: uniqueness, atomic creation, lists, read-modify-write, logins and locking.

use std::sync::Arc;

use yolk_domain::{RoleId, User, UserId};
use yolk_store::users::{IdentifierKind, LoginIdentifier, NewUser, UserQuery, UserSort};
use yolk_store::{
    Constraint, Entity, MembershipStore, PageRequest, RotateOutcome, SessionStore, StoreError, TenantStore, UserStore,
};
use yolk_store_sql::SqlStore;

use crate::{Db, assert_conflict, assert_not_found, at, new_user, race, set, tenant, tid, users_query};

contract!(
    user_email_is_unique_case_insensitively,
    failed_user_creation_leaves_nothing_behind,
    user_lists_filter_sort_and_page,
    concurrent_user_updates_keep_both_changes,
    record_login_sets_last_login_not_updated_at,
    locking_a_user_revokes_its_sessions,
    concurrent_login_attempts_never_exceed_the_maximum,
    deleting_a_user_takes_its_memberships_and_sessions,
    user_writes_stamp_the_given_time,
);

async fn user_email_is_unique_case_insensitively(db: Db) {
    db.tenants(&["t1"]).await;
    let ann = db.user_in("Ann@X.io", "t1", &[]).await;
    assert_conflict(db.create_user(&new_user("ann@x.IO", Some("t1"), &[])).await, Constraint::UserEmail);
    let found = db.login_candidate(&LoginIdentifier::Email("ann@x.io".into())).await.unwrap().unwrap();
    assert_eq!(found.0.email, "Ann@X.io");
    assert_eq!(found.1.as_deref(), Some("$argon2id$stub"));
    assert_eq!(db.get_user_by_email("ann@x.io").await.unwrap().id, ann.id);
    assert!(db.login_candidate(&LoginIdentifier::Email("bob@x.io".into())).await.unwrap().is_none());
    assert_not_found(db.get_user_by_email("bob@x.io").await, Entity::User);
    // Users without an email (username sign-up) do not clash.
    let mut a = new_user("", Some("t1"), &[]);
    a.user.username = Some("neo".into());
    let mut b = new_user("", Some("t1"), &[]);
    b.user.username = Some("trinity".into());
    db.create_user(&a).await.unwrap();
    let trinity = db.create_user(&b).await.unwrap();
    let found = db.login_candidate(&LoginIdentifier::Username("neo".into())).await.unwrap().unwrap();
    assert_eq!(found.0.id, a.user.id);
    let mut c = new_user("", Some("t1"), &[]);
    c.user.username = Some("neo".into());
    assert_conflict(db.create_user(&c).await, Constraint::Username);
    // Taking an email or username by update clashes the same way, and changes nothing.
    let bob = db.user_in("bob@x.io", "t1", &[]).await;
    let taken = db.update_user(bob.id, set(|u: &mut User| u.email = "ANN@x.io".into()), at(1)).await;
    assert_conflict(taken, Constraint::UserEmail);
    let taken = db.update_user(trinity.id, set(|u: &mut User| u.username = Some("neo".into())), at(1)).await;
    assert_conflict(taken, Constraint::Username);
    assert_eq!(db.get_user(bob.id).await.unwrap().email, "bob@x.io");
    assert_eq!(db.get_user(trinity.id).await.unwrap().username.as_deref(), Some("trinity"));
    // A user may change the case of its own email.
    let ann = db.update_user(ann.id, set(|u: &mut User| u.email = "ann@x.io".into()), at(1)).await.unwrap();
    assert_eq!(db.get_user_by_email("ann@x.io").await.unwrap().email, ann.email);
}

async fn failed_user_creation_leaves_nothing_behind(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    // Unknown role: the user row inserted before the role check is rolled back.
    let bad = new_user("a@x.io", Some("t1"), &[RoleId::new()]);
    assert_not_found(db.create_user(&bad).await, Entity::Role);
    assert_not_found(db.get_user(bad.user.id).await, Entity::User);
    // Another tenant's role is as unknown as a missing one.
    let theirs = db.role("theirs", Some("t2"), &[]).await;
    let bad = new_user("a@x.io", Some("t1"), &[theirs.id]);
    assert_not_found(db.create_user(&bad).await, Entity::Role);
    assert_not_found(db.get_user(bad.user.id).await, Entity::User);
    // Unknown tenant.
    let bad = new_user("b@x.io", Some("nope"), &[]);
    assert_not_found(db.create_user(&bad).await, Entity::Tenant);
    assert_not_found(db.get_user(bad.user.id).await, Entity::User);
    // Sign-up: a duplicate email must not leave the new tenant behind.
    db.user_in("c@x.io", "t1", &[]).await;
    let dup = NewUser { new_tenant: Some(tenant("t9")), ..new_user("C@x.io", Some("t9"), &[]) };
    assert_conflict(db.create_user(&dup).await, Constraint::UserEmail);
    assert_not_found(db.get_tenant(&tid("t9")).await, Entity::Tenant);
    // Sign-up with a tenant id that is taken leaves no user behind.
    let dup = NewUser { new_tenant: Some(tenant("t1")), ..new_user("d@x.io", Some("t1"), &[]) };
    assert_conflict(db.create_user(&dup).await, Constraint::TenantId);
    assert_not_found(db.get_user(dup.user.id).await, Entity::User);
}

async fn user_lists_filter_sort_and_page(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let mut ids = Vec::new();
    for (i, name) in ["carol", "alice", "bob", "dave", "erin"].iter().enumerate() {
        let t = if i % 2 == 0 { "t1" } else { "t2" };
        let mut nu = new_user(&format!("{name}@x.io"), Some(t), &[]);
        nu.user.created_at = at(i as i64);
        nu.user.external_id = Some(format!("ext-{name}"));
        ids.push(db.create_user(&nu).await.unwrap().id);
    }
    let mut hidden = new_user("zed@x.io", Some("t1"), &[]);
    hidden.user.invisible = true;
    hidden.user.created_at = at(10);
    db.create_user(&hidden).await.unwrap();
    let names = |users: Vec<User>| users.into_iter().map(|u| u.name.unwrap()).collect::<Vec<_>>();
    let list = |q: UserQuery| {
        let store = db.store.clone();
        async move { store.list_users(&q).await.unwrap() }
    };
    let page = |limit, offset| PageRequest { limit, offset };

    let (first, total) = list(UserQuery { page: page(2, 0), ..users_query() }).await;
    assert_eq!((names(first), total), (vec!["carol".to_owned(), "alice".to_owned()], 5));
    let q = UserQuery { sort: UserSort::Name, page: page(10, 1), ..users_query() };
    assert_eq!(names(list(q).await.0), ["bob", "carol", "dave", "erin"]);
    let q = UserQuery { tenant_id: Some(tid("t1")), sort: UserSort::Email, descending: true, ..users_query() };
    assert_eq!(names(list(q).await.0), ["erin", "carol", "bob"]);
    // The tenant-only count (the fast path) excludes invisible members, and pages keep the total.
    let (one, total) = list(UserQuery { tenant_id: Some(tid("t1")), page: page(1, 1), ..users_query() }).await;
    assert_eq!((names(one), total), (vec!["bob".to_owned()], 3));
    let q = UserQuery { tenant_id: Some(tid("t1")), include_invisible: true, ..users_query() };
    assert_eq!(list(q).await.1, 4);
    assert_eq!(names(list(UserQuery { filter: Some("AR".into()), ..users_query() }).await.0), ["carol"]);
    assert_eq!(names(list(UserQuery { email: Some("BOB@x.io".into()), ..users_query() }).await.0), ["bob"]);
    let q = UserQuery { ids: Some(vec![ids[3], ids[1]]), sort: UserSort::Name, ..users_query() };
    assert_eq!(names(list(q).await.0), ["alice", "dave"]);
    assert_eq!(names(list(UserQuery { name_prefix: Some("DA".into()), ..users_query() }).await.0), ["dave"]);
    let q = UserQuery { identifier: Some((IdentifierKind::Email, "E".into())), ..users_query() };
    assert_eq!(names(list(q).await.0), ["erin"]);
    let q = UserQuery { external_ids: Some(vec!["ext-bob".into(), "ext-erin".into()]), ..users_query() };
    assert_eq!(list(q).await, (list(UserQuery { ids: Some(vec![ids[2], ids[4]]), ..users_query() }).await.0, 2));
    // A filter counts only what it matches; an empty id list matches nothing.
    assert_eq!(list(UserQuery { filter: Some("x.io".into()), page: page(1, 0), ..users_query() }).await.1, 5);
    assert_eq!(list(UserQuery { ids: Some(vec![]), ..users_query() }).await.1, 0);
    assert_eq!(list(UserQuery { include_invisible: true, ..users_query() }).await.1, 6);
    // LIKE wildcards in a filter or prefix match themselves.
    for email in ["a_b@y.io", "axb@y.io", "50%@y.io", "500@y.io"] {
        db.user_in(email, "t2", &[]).await;
    }
    assert_eq!(names(list(UserQuery { filter: Some("A_B".into()), ..users_query() }).await.0), ["a_b"]);
    assert_eq!(names(list(UserQuery { filter: Some("0%".into()), ..users_query() }).await.0), ["50%"]);
    assert_eq!(names(list(UserQuery { name_prefix: Some("a_".into()), ..users_query() }).await.0), ["a_b"]);
    let q = UserQuery { identifier: Some((IdentifierKind::Email, "50%".into())), ..users_query() };
    assert_eq!(names(list(q).await.0), ["50%"]);
}

async fn concurrent_user_updates_keep_both_changes(db: Db) {
    db.tenants(&["t1"]).await;
    let id = db.user_in("a@x.io", "t1", &[]).await.id;
    let update = move |store: Arc<SqlStore>, change| async move { store.update_user(id, change, at(1)).await };
    let rename = |u: &mut User| u.name = Some("Renamed".into());
    race(&db, update, rename, |u: &mut User| u.phone_number = Some("+100".into())).await;
    let u = db.get_user(id).await.unwrap();
    assert_eq!(u.name.as_deref(), Some("Renamed"), "update_user lost the concurrent name change");
    assert_eq!(u.phone_number.as_deref(), Some("+100"), "update_user lost the concurrent phone number change");
}

async fn record_login_sets_last_login_not_updated_at(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    assert_eq!((u.last_login, u.updated_at), (None, at(0)));
    let logged_in = db.record_login(u.id, at(50)).await.unwrap();
    assert_eq!((logged_in.last_login, logged_in.updated_at), (Some(at(50)), at(0)));
    let read = db.get_user(u.id).await.unwrap();
    assert_eq!((read.last_login, read.updated_at), (Some(at(50)), at(0)));
    // Nothing else changes.
    assert_eq!(read, User { last_login: Some(at(50)), ..u });
    assert_not_found(db.record_login(UserId::new(), at(50)).await, Entity::User);
}

async fn locking_a_user_revokes_its_sessions(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    db.add_membership(u.id, &tid("t2"), &[], at(1)).await.unwrap();
    let other = db.user_in("b@x.io", "t1", &[]).await;
    db.session(u.id, "t1", "h1").await;
    db.session(u.id, "t2", "h2").await;
    db.session(other.id, "t1", "h3").await;
    let locked = db.set_user_locked(u.id, true, at(5)).await.unwrap();
    assert!(locked.locked);
    assert!(db.get_user(u.id).await.unwrap().locked);
    db.assert_revoked("h1").await;
    db.assert_revoked("h2").await;
    db.assert_live("h3").await;
    // Unlocking lets the user log in again but does not revive the sessions.
    assert!(!db.set_user_locked(u.id, false, at(6)).await.unwrap().locked);
    db.assert_revoked("h1").await;
    let after = db.session(u.id, "t1", "h4").await;
    db.assert_live("h4").await;
    // Unlocking revokes nothing.
    db.set_user_locked(u.id, false, at(7)).await.unwrap();
    assert_eq!(db.session_by_refresh_token("h4", at(1)).await.unwrap().map(|s| s.id), Some(after.id));
    assert_not_found(db.set_user_locked(UserId::new(), true, at(8)).await, Entity::User);
}

async fn deleting_a_user_takes_its_memberships_and_sessions(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let r = db.role("r", None, &[]).await;
    let u = db.user_in("a@x.io", "t1", &[r.id]).await;
    db.add_membership(u.id, &tid("t2"), &[r.id], at(1)).await.unwrap();
    db.session(u.id, "t1", "h1").await;
    db.delete_user(u.id).await.unwrap();
    assert_not_found(db.get_user(u.id).await, Entity::User);
    assert!(db.memberships(&[u.id]).await.unwrap().is_empty());
    assert_eq!(db.session_by_refresh_token("h1", at(1)).await.unwrap(), None);
    assert_eq!(db.rotate_refresh_token("h1", "h2", at(1)).await.unwrap(), RotateOutcome::Invalid);
    assert_eq!(db.list_users(&users_query()).await.unwrap().1, 0);
    // The email is free again.
    db.user_in("A@x.io", "t1", &[]).await;
    assert_not_found(db.delete_user(u.id).await, Entity::User);
    assert_not_found(db.update_user(u.id, set(|_: &mut User| ()), at(2)).await, Entity::User);
    let refused = db.update_user(UserId::new(), Box::new(|_| Err(StoreError::Invalid("no".into()))), at(2)).await;
    assert_not_found(refused, Entity::User);
}

async fn user_writes_stamp_the_given_time(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    assert_eq!(db.get_user(u.id).await.unwrap().created_at, at(0), "creation keeps the user's times");
    let updated = db.update_user(u.id, set(|u: &mut User| u.verified = false), at(10)).await.unwrap();
    assert_eq!((updated.created_at, updated.updated_at), (at(0), at(10)));
    assert_eq!(db.get_user(u.id).await.unwrap().updated_at, at(10));
    assert_eq!(db.set_user_locked(u.id, true, at(20)).await.unwrap().updated_at, at(20));
    assert_eq!(db.get_user(u.id).await.unwrap().updated_at, at(20));
    assert_eq!(db.record_login(u.id, at(30)).await.unwrap().last_login, Some(at(30)));
    let switched = db.set_active_tenant(u.id, &tid("t2"), None, &[], at(40)).await.unwrap();
    assert_eq!((switched.active_tenant_id, switched.updated_at), (Some(tid("t2")), at(40)));
    assert_eq!(db.get_user(u.id).await.unwrap().updated_at, at(40));
}

async fn concurrent_login_attempts_never_exceed_the_maximum(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move { store.reserve_login_attempt(u.id, 5).await }));
    }
    let mut counts = Vec::new();
    for t in tasks {
        if let Some(n) = t.await.unwrap().unwrap() {
            counts.push(n);
        }
    }
    counts.sort_unstable();
    assert_eq!(counts, [1, 2, 3, 4, 5], "exactly max attempts get through, each with its own count");
    assert_eq!(db.reserve_login_attempt(u.id, 5).await.unwrap(), None);
    // A voided attempt is given back; a success clears the count.
    db.settle_login_attempt(u.id, false).await.unwrap();
    assert_eq!(db.reserve_login_attempt(u.id, 5).await.unwrap(), Some(5));
    db.settle_login_attempt(u.id, true).await.unwrap();
    assert_eq!(db.reserve_login_attempt(u.id, 5).await.unwrap(), Some(1));
    // A locked user gets no attempt; unlocking starts a fresh count; a login clears it too.
    db.set_user_locked(u.id, true, at(1)).await.unwrap();
    assert_eq!(db.reserve_login_attempt(u.id, 5).await.unwrap(), None);
    db.set_user_locked(u.id, false, at(2)).await.unwrap();
    assert_eq!(db.reserve_login_attempt(u.id, 5).await.unwrap(), Some(1));
    db.record_login(u.id, at(3)).await.unwrap();
    assert_eq!(db.reserve_login_attempt(u.id, 2).await.unwrap(), Some(1));
    assert_eq!(db.reserve_login_attempt(UserId::new(), 5).await.unwrap(), None, "an unknown user gets nothing");
}
