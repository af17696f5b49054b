//! The store contract: every behaviour the services rely on, run against SQLite on every `cargo test` and
//! against PostgreSQL when `YOLK_TEST_POSTGRES_URL` is set (each test on its own schema).

use std::sync::Arc;

use chrono::{Duration, Utc};
use uuid::Uuid;
use yolk_domain::{EnvironmentCredentials, Permission, Role, Session, Tenant, User};
use yolk_store::tenants::TenantQuery;
use yolk_store::users::{LoginIdentifier, NewUser, UserQuery, UserSort};
use yolk_store::{
    KeyStore, RoleStore, RotateOutcome, SessionStore, SettingsStore, Store, StoreError, TenantStore, UserStore,
};
use yolk_store_sql::SqlStore;
use yolk_testkit::{POSTGRES_ENV, TestDb};

/// Generates one test per backend for each contract function.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::open(yolk_testkit::TestDb::sqlite()).await).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() {
                let Ok(base) = std::env::var(super::POSTGRES_ENV) else {
                    eprintln!("skipped: {} not set", super::POSTGRES_ENV);
                    return;
                };
                super::$name(super::open(super::TestDb::postgres(&base).await).await).await;
            })*
        }
    };
}

contract!(
    migrations_are_idempotent,
    tenant_ids_and_aliases_are_unique,
    tenant_update_is_a_transaction,
    deleting_a_tenant_cascades_memberships_and_revokes_its_sessions,
    user_email_is_unique_case_insensitively,
    failed_user_creation_leaves_nothing_behind,
    memberships_carry_roles_and_permissions,
    role_assignment_requires_membership_and_known_roles,
    user_lists_filter_sort_and_page,
    role_keys_are_unique_per_scope,
    replacing_role_permissions_is_atomic,
    refresh_rotation_spends_once_and_reuse_revokes,
    concurrent_rotations_of_one_token_let_exactly_one_win,
    expired_and_revoked_sessions_do_not_rotate,
    first_signing_key_wins,
    credentials_are_kept_once_created,
    settings_round_trip,
    tenant_hierarchy_refuses_cycles_and_walks_both_ways,
    deleting_a_parent_moves_children_up_and_deletes_sole_members,
);

struct Db {
    store: Arc<SqlStore>,
    _db: TestDb,
}

impl std::ops::Deref for Db {
    type Target = SqlStore;
    fn deref(&self) -> &SqlStore {
        &self.store
    }
}

async fn open(db: TestDb) -> Db {
    let store = SqlStore::open(&db.url).await.expect("open store");
    Db { store: Arc::new(store), _db: db }
}

fn tenant(id: &str) -> Tenant {
    Tenant::new(id, format!("Tenant {id}"), Utc::now())
}

fn user(email: &str) -> User {
    User {
        name: Some(email.split('@').next().unwrap_or_default().to_owned()),
        verified: true,
        ..User::new(email, Utc::now())
    }
}

fn new_user(email: &str, tenant_id: Option<&str>, role_ids: &[Uuid]) -> NewUser {
    NewUser {
        user: user(email),
        password_hash: Some("$argon2id$stub".into()),
        tenant_id: tenant_id.map(str::to_owned),
        role_ids: role_ids.to_vec(),
        new_tenant: None,
    }
}

fn role(key: &str, tenant_id: Option<&str>, permission_ids: &[Uuid]) -> Role {
    let now = Utc::now();
    Role {
        id: Uuid::new_v4(),
        key: key.to_owned(),
        name: key.to_uppercase(),
        description: None,
        tenant_id: tenant_id.map(str::to_owned),
        level: 0,
        is_default: false,
        first_user_role: false,
        permission_ids: permission_ids.to_vec(),
        created_at: now,
        updated_at: now,
    }
}

fn permission(key: &str) -> Permission {
    let now = Utc::now();
    Permission {
        id: Uuid::new_v4(),
        key: key.to_owned(),
        name: key.to_owned(),
        description: None,
        category_id: None,
        assignment_type: None,
        role_ids: vec![],
        created_at: now,
        updated_at: now,
    }
}

fn session(user_id: Uuid, tenant_id: &str, ttl_secs: i64) -> Session {
    let now = Utc::now();
    Session {
        id: Uuid::new_v4(),
        user_id,
        tenant_id: tenant_id.to_owned(),
        created_at: now,
        expires_at: now + Duration::seconds(ttl_secs),
        revoked: false,
    }
}

async fn migrations_are_idempotent(db: Db) {
    assert_eq!(db.migrate().await.unwrap(), 0, "a migrated store has nothing pending");
    db.ping().await.unwrap();
}

async fn tenant_ids_and_aliases_are_unique(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    assert!(matches!(db.create_tenant(&tenant("t1")).await, Err(StoreError::Conflict(_))));
    let mut a = tenant("t2");
    a.alias = Some("acme".into());
    db.create_tenant(&a).await.unwrap();
    let mut b = tenant("t3");
    b.alias = Some("acme".into());
    assert!(matches!(db.create_tenant(&b).await, Err(StoreError::Conflict(_))));
    assert_eq!(db.get_tenant_by_alias("acme").await.unwrap().tenant_id, "t2");
    // Unaliased tenants do not clash with each other.
    db.create_tenant(&tenant("t4")).await.unwrap();
    let (all, total) = db.list_tenants(&TenantQuery::default()).await.unwrap();
    assert_eq!((all.len(), total), (3, 3));
    assert!(matches!(db.get_tenant("nope").await, Err(StoreError::NotFound(_))));
}

async fn tenant_update_is_a_transaction(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    let refused = db.update_tenant(
        "t1",
        Box::new(|t| {
            t.name = "changed".into();
            Err("no".into())
        }),
    );
    assert!(matches!(refused.await, Err(StoreError::Invalid(_))));
    assert_eq!(db.get_tenant("t1").await.unwrap().name, "Tenant t1");
    // Concurrent read-modify-writes do not lose updates.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .update_tenant(
                    "t1",
                    Box::new(move |t| {
                        let mut m: serde_json::Map<String, serde_json::Value> =
                            t.metadata.as_deref().map(|s| serde_json::from_str(s).unwrap()).unwrap_or_default();
                        m.insert(format!("k{i}"), i.into());
                        t.metadata = Some(serde_json::Value::Object(m).to_string());
                        Ok(())
                    }),
                )
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let meta: serde_json::Value = serde_json::from_str(&db.get_tenant("t1").await.unwrap().metadata.unwrap()).unwrap();
    assert_eq!(meta.as_object().unwrap().len(), 10, "{meta}");
}

async fn deleting_a_tenant_cascades_memberships_and_revokes_its_sessions(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    db.create_tenant(&tenant("t2")).await.unwrap();
    let r = db.create_roles(&[role("tenant-role", Some("t1"), &[])]).await.unwrap().remove(0);
    let u = db.create_user(&new_user("a@x.io", Some("t1"), &[r.id])).await.unwrap();
    db.add_membership(u.id, "t2", &[]).await.unwrap();
    let s = session(u.id, "t1", 600);
    db.create_session(&s, "h1").await.unwrap();
    db.delete_tenant("t1").await.unwrap();
    let m = db.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].tenant_id, "t2");
    assert!(matches!(db.get_role(r.id).await, Err(StoreError::NotFound(_))), "tenant-owned roles go too");
    assert!(!db.session_is_live(s.id, Utc::now()).await.unwrap());
    assert!(matches!(db.delete_tenant("t1").await, Err(StoreError::NotFound(_))));
}

async fn user_email_is_unique_case_insensitively(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    db.create_user(&new_user("Ann@X.io", Some("t1"), &[])).await.unwrap();
    assert!(matches!(db.create_user(&new_user("ann@x.IO", Some("t1"), &[])).await, Err(StoreError::Conflict(_))));
    let found = db.login_candidate(&LoginIdentifier::Email("ann@x.io".into())).await.unwrap().unwrap();
    assert_eq!(found.0.email, "Ann@X.io");
    assert_eq!(found.1.as_deref(), Some("$argon2id$stub"));
    assert!(db.login_candidate(&LoginIdentifier::Email("bob@x.io".into())).await.unwrap().is_none());
    // Users without an email (username sign-up) do not clash.
    let mut a = new_user("", Some("t1"), &[]);
    a.user.username = Some("neo".into());
    let mut b = new_user("", Some("t1"), &[]);
    b.user.username = Some("trinity".into());
    db.create_user(&a).await.unwrap();
    db.create_user(&b).await.unwrap();
    let mut c = new_user("", Some("t1"), &[]);
    c.user.username = Some("neo".into());
    assert!(matches!(db.create_user(&c).await, Err(StoreError::Conflict(_))));
}

async fn failed_user_creation_leaves_nothing_behind(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    // Unknown role: the user row inserted before the role check is rolled back.
    let bad = new_user("a@x.io", Some("t1"), &[Uuid::new_v4()]);
    assert!(matches!(db.create_user(&bad).await, Err(StoreError::NotFound(_))));
    assert!(matches!(db.get_user(bad.user.id).await, Err(StoreError::NotFound(_))));
    // Unknown tenant.
    let bad = new_user("b@x.io", Some("nope"), &[]);
    assert!(matches!(db.create_user(&bad).await, Err(StoreError::NotFound(_))));
    assert!(matches!(db.get_user(bad.user.id).await, Err(StoreError::NotFound(_))));
    // Sign-up: a duplicate email must not leave the new tenant behind.
    db.create_user(&new_user("c@x.io", Some("t1"), &[])).await.unwrap();
    let mut dup = new_user("C@x.io", Some("t9"), &[]);
    dup.new_tenant = Some(tenant("t9"));
    assert!(matches!(db.create_user(&dup).await, Err(StoreError::Conflict(_))));
    assert!(matches!(db.get_tenant("t9").await, Err(StoreError::NotFound(_))));
}

async fn memberships_carry_roles_and_permissions(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    let p = db.create_permissions(&[permission("read")]).await.unwrap().remove(0);
    let r = db.create_roles(&[role("viewer", None, &[p.id])]).await.unwrap().remove(0);
    let u = db.create_user(&new_user("a@x.io", Some("t1"), &[r.id])).await.unwrap();
    let m = db.memberships(&[u.id, Uuid::new_v4()]).await.unwrap();
    assert_eq!(m.len(), 1);
    let mine = &m[&u.id][0];
    assert_eq!(mine.tenant_id, "t1");
    assert_eq!(mine.roles.len(), 1);
    assert_eq!(mine.roles[0].permission_ids, vec![p.id]);
    assert_eq!(db.get_permission(p.id).await.unwrap().role_ids, vec![r.id]);
    db.delete_permission(p.id).await.unwrap();
    assert!(db.get_role(r.id).await.unwrap().permission_ids.is_empty());
}

async fn role_assignment_requires_membership_and_known_roles(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    db.create_tenant(&tenant("t2")).await.unwrap();
    let r1 = db.create_roles(&[role("a", None, &[])]).await.unwrap().remove(0);
    let r2 = db.create_roles(&[role("b", None, &[])]).await.unwrap().remove(0);
    let u = db.create_user(&new_user("a@x.io", Some("t1"), &[])).await.unwrap();
    assert!(matches!(db.assign_roles(u.id, "t2", &[r1.id]).await, Err(StoreError::NotFound(_))));
    assert!(matches!(db.assign_roles(u.id, "t1", &[r1.id, Uuid::new_v4()]).await, Err(StoreError::NotFound(_))));
    let held = |db: &SqlStore| {
        let db = db.clone();
        async move {
            let m = db.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
            m[0].roles.iter().map(|r| r.key.clone()).collect::<Vec<_>>()
        }
    };
    assert!(held(&db).await.is_empty(), "a failed assignment assigns nothing");
    db.assign_roles(u.id, "t1", &[r1.id, r2.id]).await.unwrap();
    db.assign_roles(u.id, "t1", &[r1.id]).await.unwrap();
    assert_eq!(held(&db).await, vec!["a", "b"]);
    db.unassign_roles(u.id, "t1", &[r1.id]).await.unwrap();
    assert_eq!(held(&db).await, vec!["b"]);
    db.set_roles(u.id, "t1", &[r1.id]).await.unwrap();
    assert_eq!(held(&db).await, vec!["a"]);
    db.delete_role(r1.id).await.unwrap();
    assert!(held(&db).await.is_empty());
    assert!(matches!(db.add_membership(u.id, "t1", &[]).await, Err(StoreError::Conflict(_))));
    db.remove_membership(u.id, "t1").await.unwrap();
    assert!(matches!(db.remove_membership(u.id, "t1").await, Err(StoreError::NotFound(_))));
}

async fn user_lists_filter_sort_and_page(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    db.create_tenant(&tenant("t2")).await.unwrap();
    let mut ids = Vec::new();
    for (i, name) in ["carol", "alice", "bob", "dave", "erin"].iter().enumerate() {
        let t = if i % 2 == 0 { "t1" } else { "t2" };
        let mut nu = new_user(&format!("{name}@x.io"), Some(t), &[]);
        nu.user.created_at = Utc::now() + Duration::seconds(i as i64);
        ids.push(db.create_user(&nu).await.unwrap().id);
    }
    let mut hidden = new_user("zed@x.io", Some("t1"), &[]);
    hidden.user.invisible = true;
    db.create_user(&hidden).await.unwrap();
    let names = |users: Vec<User>| users.into_iter().map(|u| u.name.unwrap()).collect::<Vec<_>>();

    let (page, total) = db.list_users(&UserQuery { limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!((names(page), total), (vec!["carol".to_owned(), "alice".to_owned()], 5));
    let q = UserQuery { sort: UserSort::Name, limit: 10, offset: 1, ..Default::default() };
    assert_eq!(names(db.list_users(&q).await.unwrap().0), ["bob", "carol", "dave", "erin"]);
    let q = UserQuery {
        tenant_id: Some("t1".into()),
        sort: UserSort::Email,
        descending: true,
        limit: 10,
        ..Default::default()
    };
    assert_eq!(names(db.list_users(&q).await.unwrap().0), ["erin", "carol", "bob"]);
    // The tenant-only count (the fast path) excludes invisible members, and pages keep the total.
    let q = UserQuery { tenant_id: Some("t1".into()), limit: 1, offset: 1, ..Default::default() };
    let (page, total) = db.list_users(&q).await.unwrap();
    assert_eq!((page.len(), total), (1, 3));
    let q = UserQuery { tenant_id: Some("t1".into()), include_invisible: true, limit: 10, ..Default::default() };
    assert_eq!(db.list_users(&q).await.unwrap().1, 4);
    let q = UserQuery { filter: Some("AR".into()), limit: 10, ..Default::default() };
    assert_eq!(names(db.list_users(&q).await.unwrap().0), ["carol"]);
    let q = UserQuery { email: Some("BOB@x.io".into()), limit: 10, ..Default::default() };
    assert_eq!(names(db.list_users(&q).await.unwrap().0), ["bob"]);
    let q = UserQuery { ids: Some(vec![ids[3], ids[1]]), sort: UserSort::Name, limit: 10, ..Default::default() };
    assert_eq!(names(db.list_users(&q).await.unwrap().0), ["alice", "dave"]);
    let q = UserQuery { include_invisible: true, limit: 10, ..Default::default() };
    assert_eq!(db.list_users(&q).await.unwrap().1, 6);
}

async fn role_keys_are_unique_per_scope(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    db.create_tenant(&tenant("t2")).await.unwrap();
    db.create_roles(&[role("admin", None, &[])]).await.unwrap();
    assert!(matches!(db.create_roles(&[role("admin", None, &[])]).await, Err(StoreError::Conflict(_))));
    // Tokens carry role keys: a tenant role must not pass for an environment role of the same key.
    assert!(matches!(db.create_roles(&[role("admin", Some("t1"), &[])]).await, Err(StoreError::Conflict(_))));
    // Two tenants may each have their own role with one key, but one tenant only once.
    db.create_roles(&[role("editor", Some("t1"), &[])]).await.unwrap();
    db.create_roles(&[role("editor", Some("t2"), &[])]).await.unwrap();
    assert!(matches!(db.create_roles(&[role("editor", Some("t1"), &[])]).await, Err(StoreError::Conflict(_))));
    // A batch with one bad role creates none.
    let batch = [role("ok", None, &[]), role("admin", None, &[])];
    assert!(db.create_roles(&batch).await.is_err());
    assert_eq!(db.list_roles(None).await.unwrap().len(), 3);
    assert_eq!(db.list_roles(Some("t1")).await.unwrap().len(), 2);
    assert!(matches!(db.create_permissions(&[permission("p"), permission("p")]).await, Err(StoreError::Conflict(_))));
    assert!(db.list_permissions().await.unwrap().is_empty());
}

async fn replacing_role_permissions_is_atomic(db: Db) {
    let ps = db.create_permissions(&[permission("a"), permission("b")]).await.unwrap();
    let r = db.create_roles(&[role("r", None, &[ps[0].id])]).await.unwrap().remove(0);
    assert!(matches!(db.set_role_permissions(r.id, &[ps[1].id, Uuid::new_v4()]).await, Err(StoreError::NotFound(_))));
    assert_eq!(db.get_role(r.id).await.unwrap().permission_ids, vec![ps[0].id], "unchanged after a failure");
    let mut both = vec![ps[0].id, ps[1].id];
    both.sort();
    assert_eq!(db.set_role_permissions(r.id, &both).await.unwrap().permission_ids, both);
    assert!(matches!(db.set_role_permissions(Uuid::new_v4(), &[]).await, Err(StoreError::NotFound(_))));
}

async fn refresh_rotation_spends_once_and_reuse_revokes(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    let u = db.create_user(&new_user("a@x.io", Some("t1"), &[])).await.unwrap();
    let s = session(u.id, "t1", 600);
    db.create_session(&s, "h1").await.unwrap();
    let now = Utc::now();
    assert_eq!(db.session_by_refresh_token("h1", now).await.unwrap().unwrap().id, s.id);
    assert!(
        matches!(db.rotate_refresh_token("h1", "h2", now).await.unwrap(), RotateOutcome::Rotated(x) if x.id == s.id)
    );
    assert!(db.session_by_refresh_token("h1", now).await.unwrap().is_none(), "a spent token names no session");
    assert!(matches!(db.rotate_refresh_token("h2", "h3", now).await.unwrap(), RotateOutcome::Rotated(_)));
    assert_eq!(db.rotate_refresh_token("h1", "h4", now).await.unwrap(), RotateOutcome::Reused);
    assert!(!db.session_is_live(s.id, now).await.unwrap(), "reuse revokes the session");
    assert_eq!(db.rotate_refresh_token("h3", "h5", now).await.unwrap(), RotateOutcome::Invalid);
    assert_eq!(db.rotate_refresh_token("unknown", "h6", now).await.unwrap(), RotateOutcome::Invalid);
}

async fn concurrent_rotations_of_one_token_let_exactly_one_win(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    let u = db.create_user(&new_user("a@x.io", Some("t1"), &[])).await.unwrap();
    db.create_session(&session(u.id, "t1", 600), "h0").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move { store.rotate_refresh_token("h0", &format!("n{i}"), Utc::now()).await }));
    }
    let mut rotated = 0;
    for t in tasks {
        if matches!(t.await.unwrap().unwrap(), RotateOutcome::Rotated(_)) {
            rotated += 1;
        }
    }
    assert_eq!(rotated, 1);
}

async fn expired_and_revoked_sessions_do_not_rotate(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    let u = db.create_user(&new_user("a@x.io", Some("t1"), &[])).await.unwrap();
    let expired = session(u.id, "t1", -1);
    db.create_session(&expired, "e1").await.unwrap();
    assert_eq!(db.rotate_refresh_token("e1", "e2", Utc::now()).await.unwrap(), RotateOutcome::Invalid);
    let s = session(u.id, "t1", 600);
    db.create_session(&s, "r1").await.unwrap();
    db.revoke_user_sessions(u.id, Utc::now()).await.unwrap();
    assert_eq!(db.rotate_refresh_token("r1", "r2", Utc::now()).await.unwrap(), RotateOutcome::Invalid);
    assert!(db.session_by_refresh_token("r1", Utc::now()).await.unwrap().is_none());
}

async fn first_signing_key_wins(db: Db) {
    let a = yolk_testkit::signing_key();
    let mut b = a.clone();
    b.kid = "other".into();
    assert_eq!(db.ensure_signing_key(a.clone()).await.unwrap().kid, a.kid);
    assert_eq!(db.ensure_signing_key(b).await.unwrap().kid, a.kid);
    let keys = db.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].public_pem, a.public_pem);
}

async fn credentials_are_kept_once_created(db: Db) {
    assert!(db.credentials().await.unwrap().is_none());
    let a = EnvironmentCredentials { client_id: "a".into(), secret_sha256: "ha".into() };
    let b = EnvironmentCredentials { client_id: "b".into(), secret_sha256: "hb".into() };
    assert_eq!(db.ensure_credentials(&a).await.unwrap(), (a.clone(), true));
    assert_eq!(db.ensure_credentials(&b).await.unwrap(), (a.clone(), false));
    db.set_credentials(&b).await.unwrap();
    assert_eq!(db.credentials().await.unwrap(), Some(b));
}

async fn settings_round_trip(db: Db) {
    assert!(db.get_setting("k").await.unwrap().is_none());
    db.put_setting("k", &serde_json::json!({"a": 1})).await.unwrap();
    db.put_setting("k", &serde_json::json!({"a": 2})).await.unwrap();
    assert_eq!(db.get_setting("k").await.unwrap(), Some(serde_json::json!({"a": 2})));
    db.delete_setting("k").await.unwrap();
    assert!(db.get_setting("k").await.unwrap().is_none());
}

async fn tenant_hierarchy_refuses_cycles_and_walks_both_ways(db: Db) {
    for id in ["root", "mid", "leaf", "other"] {
        db.create_tenant(&tenant(id)).await.unwrap();
    }
    db.set_tenant_parent("mid", Some("root")).await.unwrap();
    db.set_tenant_parent("leaf", Some("mid")).await.unwrap();
    let ids = |ts: Vec<Tenant>| ts.into_iter().map(|t| t.tenant_id).collect::<Vec<_>>();
    assert_eq!(ids(db.ancestor_tenants("leaf").await.unwrap()), ["mid", "root"], "nearest first");
    let mut below = ids(db.descendant_tenants("root").await.unwrap());
    below.sort();
    assert_eq!(below, ["leaf", "mid"]);
    assert_eq!(ids(db.child_tenants("root").await.unwrap()), ["mid"]);
    // A tenant cannot become its own ancestor, directly or through a chain; nothing changes.
    assert!(db.set_tenant_parent("root", Some("leaf")).await.is_err());
    assert!(db.set_tenant_parent("root", Some("root")).await.is_err());
    assert!(db.get_tenant("root").await.unwrap().parent_tenant_id.is_none());
    assert!(matches!(db.set_tenant_parent("leaf", Some("nope")).await, Err(StoreError::NotFound(_))));
    assert_eq!(db.get_tenant("leaf").await.unwrap().parent_tenant_id.as_deref(), Some("mid"));
    db.set_tenant_parent("leaf", None).await.unwrap();
    assert!(db.ancestor_tenants("leaf").await.unwrap().is_empty());
}

async fn deleting_a_parent_moves_children_up_and_deletes_sole_members(db: Db) {
    for id in ["root", "mid", "leaf"] {
        db.create_tenant(&tenant(id)).await.unwrap();
    }
    db.set_tenant_parent("mid", Some("root")).await.unwrap();
    db.set_tenant_parent("leaf", Some("mid")).await.unwrap();
    let only_mid = db.create_user(&new_user("a@x.io", Some("mid"), &[])).await.unwrap();
    let both = db.create_user(&new_user("b@x.io", Some("mid"), &[])).await.unwrap();
    db.add_membership(both.id, "leaf", &[]).await.unwrap();
    db.delete_tenant("mid").await.unwrap();
    assert_eq!(db.get_tenant("leaf").await.unwrap().parent_tenant_id.as_deref(), Some("root"));
    assert!(matches!(db.get_user(only_mid.id).await, Err(StoreError::NotFound(_))));
    let m = db.memberships(&[both.id]).await.unwrap().remove(&both.id).unwrap();
    assert_eq!(m.iter().map(|m| m.tenant_id.as_str()).collect::<Vec<_>>(), ["leaf"]);
}
