//! The store contract: every behaviour the services rely on, one module per store trait. Each contract is an
//! `async fn(Db)`; [`contract!`] runs it on SQLite on every `cargo test`, and on PostgreSQL when
//! `YOLK_TEST_POSTGRES_URL` is set (each test on its own schema; without the variable the PostgreSQL tests pass
//! after printing that they were skipped).
//!
//! Time: rows are built and every write is stamped with fixed instants decades in the past ([`at`]), never the
//! wall clock, so a store that stamped a row or judged an expiry by its own clock fails the contract.

use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use yolk_domain::{
    AssignmentType, CategoryId, Permission, PermissionCategory, PermissionId, Role, RoleId, Session, SessionId, Tenant,
    TenantId, User, UserId,
};
use yolk_store::roles::NewRole;
use yolk_store::users::{NewUser, UserQuery};
use yolk_store::{
    Constraint, Entity, MembershipStore, Mutation, PageRequest, RoleStore, RotateOutcome, SessionStore, Store,
    StoreError, StoreResult, TenantStore, UserStore,
};
use yolk_store_sql::SqlStore;
use yolk_testkit::{POSTGRES_ENV, TestDb};

/// Generates two tests for each contract function of the calling module: `sqlite::<name>` and
/// `postgres::<name>`. They run on a multi-threaded runtime so that tasks a contract spawns truly overlap.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Db::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = $crate::Db::postgres().await else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}

mod bulk;
mod categories;
mod identifiers;
mod invites;
mod keys;
mod lists;
mod memberships;
mod mfa;
mod outbox;
mod passwords;
mod permissions;
mod roles;
mod scim;
mod secrets;
mod sessions;
mod settings;
mod social;
mod sso;
mod sso_logins;
mod tasks;
mod tenants;
mod timeouts;
mod users;

contract!(migrations_are_idempotent);

async fn migrations_are_idempotent(db: Db) {
    assert_eq!(db.migrate(at(1)).await.unwrap(), 0, "a migrated store has nothing pending");
    db.ping().await.unwrap();
    assert_eq!(db.backend(), db.test_db.backend);
    db.tenants(&["t1"]).await;
    // A second node opening the same database migrates nothing and sees the first one's rows.
    let other = SqlStore::open(&db.test_db.url, at(2)).await.expect("open a second store");
    assert_eq!(other.migrate(at(3)).await.unwrap(), 0);
    assert_eq!(other.get_tenant(&tid("t1")).await.unwrap().name, "Tenant t1");
    other.close().await;
}

/// Nodes started together on one new SQLite file (two processes in production; two pools here, which contend for
/// the file lock the same way) all migrate it without error: each migration re-checks inside a `BEGIN IMMEDIATE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_started_together_on_a_new_sqlite_file_all_migrate() {
    for _ in 0..10 {
        let db = TestDb::sqlite();
        let url = db.url.clone();
        let opens: Vec<_> = (0..8)
            .map(|i| {
                tokio::spawn({
                    let url = url.clone();
                    async move { SqlStore::open(&url, at(i)).await }
                })
            })
            .collect();
        for open in opens {
            let store = open.await.unwrap().expect("every node opens the new store");
            assert_eq!(store.migrate(at(9)).await.unwrap(), 0);
            store.close().await;
        }
    }
}

/// A migrated store on its own database.
pub struct Db {
    pub store: Arc<SqlStore>,
    test_db: TestDb,
}

impl std::ops::Deref for Db {
    type Target = SqlStore;
    fn deref(&self) -> &SqlStore {
        &self.store
    }
}

impl Db {
    async fn open(test_db: TestDb) -> Self {
        let store = SqlStore::open(&test_db.url, at(0)).await.expect("open store");
        Self { store: Arc::new(store), test_db }
    }

    async fn sqlite() -> Self {
        Self::open(TestDb::sqlite()).await
    }

    /// A store on a fresh PostgreSQL schema, or `None` (after saying so) when the variable is unset.
    async fn postgres() -> Option<Self> {
        match std::env::var(POSTGRES_ENV) {
            Ok(base) if !base.is_empty() => Some(Self::open(TestDb::postgres(&base).await).await),
            _ => {
                eprintln!("skipped: {POSTGRES_ENV} not set");
                None
            }
        }
    }

    /// Creates tenants with the given ids (see [`tenant`]).
    pub async fn tenants(&self, ids: &[&str]) {
        for id in ids {
            self.create_tenant(&tenant(id)).await.unwrap();
        }
    }

    /// Creates a user who is a member of `tenant_id` with `role_ids` (see [`new_user`]).
    pub async fn user_in(&self, email: &str, tenant_id: &str, role_ids: &[RoleId]) -> User {
        self.create_user(&new_user(email, Some(tenant_id), role_ids)).await.unwrap()
    }

    /// Creates one role (see [`role`]).
    pub async fn role(&self, key: &str, tenant_id: Option<&str>, permission_ids: &[PermissionId]) -> Role {
        self.create_roles(&[new_role(role(key, tenant_id, permission_ids))]).await.unwrap().remove(0)
    }

    /// The keys of the roles `user_id` holds in `tenant_id`, sorted; panics if it is not a member.
    pub async fn held(&self, user_id: UserId, tenant_id: &str) -> Vec<String> {
        let memberships = self.memberships(&[user_id]).await.unwrap().remove(&user_id).unwrap_or_default();
        let m = memberships.iter().find(|m| m.tenant_id == tenant_id).expect("a member of the tenant");
        m.roles.iter().map(|r| r.key.clone()).collect()
    }

    /// The tenant ids `user_id` is a member of, in membership order.
    pub async fn member_of(&self, user_id: UserId) -> Vec<String> {
        let memberships = self.memberships(&[user_id]).await.unwrap().remove(&user_id).unwrap_or_default();
        memberships.into_iter().map(|m| m.tenant_id.into_string()).collect()
    }

    /// Creates a session for `user_id` in `tenant_id` whose current refresh token is `hash`; it expires at
    /// `at(600)`.
    pub async fn session(&self, user_id: UserId, tenant_id: &str, hash: &str) -> Session {
        let s = session(user_id, tenant_id, 600);
        self.create_session(&s, hash).await.unwrap();
        s
    }

    /// Asserts that the session whose current refresh token is `hash` is live at `at(1)`.
    pub async fn assert_live(&self, hash: &str) {
        assert!(self.session_by_refresh_token(hash, at(1)).await.unwrap().is_some(), "session of {hash} is live");
    }

    /// Asserts that the session whose current (unspent) refresh token is `hash` is revoked: the token no longer
    /// names a live session, and it does not rotate (which changes nothing).
    pub async fn assert_revoked(&self, hash: &str) {
        assert_eq!(self.session_by_refresh_token(hash, at(1)).await.unwrap(), None, "session of {hash} is revoked");
        let fresh = format!("{hash}-after-revocation");
        assert_eq!(self.rotate_refresh_token(hash, &fresh, at(1)).await.unwrap(), RotateOutcome::Invalid);
    }
}

/// A fixed instant (2001-02-03T04:05:06.789Z) plus `secs`: the only times the contracts use. Millisecond
/// precision, as the store keeps.
pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(981_173_106_789).expect("valid instant") + TimeDelta::seconds(secs)
}

pub fn tid(id: &str) -> TenantId {
    TenantId::parse(id).expect("valid tenant id")
}

/// A root tenant `id` named `Tenant <id>`, created at `at(0)`.
pub fn tenant(id: &str) -> Tenant {
    Tenant::new(tid(id), format!("Tenant {id}"), at(0))
}

/// A verified user named after the email's local part, created at `at(0)`.
pub fn user(email: &str) -> User {
    User {
        name: Some(email.split('@').next().unwrap_or_default().to_owned()),
        verified: true,
        ..User::new(email, at(0))
    }
}

/// A user with a password hash, joining `tenant_id` (if any) with `role_ids`.
pub fn new_user(email: &str, tenant_id: Option<&str>, role_ids: &[RoleId]) -> NewUser {
    NewUser {
        user: user(email),
        password_hash: Some("$argon2id$stub".into()),
        tenant_id: tenant_id.map(tid),
        role_ids: role_ids.to_vec(),
        new_tenant: None,
    }
}

/// A non-default role `key` (named in upper case) granting `permission_ids`, created at `at(0)`.
pub fn role(key: &str, tenant_id: Option<&str>, permission_ids: &[PermissionId]) -> Role {
    Role {
        id: RoleId::new(),
        key: key.to_owned(),
        name: key.to_uppercase(),
        description: None,
        tenant_id: tenant_id.map(tid),
        level: 0,
        is_default: false,
        first_user_role: false,
        permission_ids: permission_ids.to_vec(),
        created_at: at(0),
        updated_at: at(0),
    }
}

/// A role to create without granting it to anyone.
pub fn new_role(role: Role) -> NewRole {
    NewRole { role, grant_to_members: false }
}

/// An uncategorized, assignable permission `key`, created at `at(0)`.
pub fn permission(key: &str) -> Permission {
    Permission {
        id: PermissionId::new(),
        key: key.to_owned(),
        name: key.to_owned(),
        description: None,
        category_id: None,
        assignment_type: AssignmentType::Assignable,
        role_ids: vec![],
        created_at: at(0),
        updated_at: at(0),
    }
}

/// A category `name`, created at `at(0)`.
pub fn category(name: &str) -> PermissionCategory {
    PermissionCategory {
        id: CategoryId::new(),
        name: name.to_owned(),
        description: None,
        fe_category: false,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// A session created at `at(0)` that expires at `at(ttl_secs)`.
pub fn session(user_id: UserId, tenant_id: &str, ttl_secs: i64) -> Session {
    Session {
        id: SessionId::new(),
        user_id,
        tenant_id: tid(tenant_id),
        created_at: at(0),
        expires_at: at(ttl_secs),
        revoked: false,
    }
}

/// A user query matching every visible user, first page of 100, by creation time.
pub fn users_query() -> UserQuery {
    UserQuery::all(PageRequest { limit: 100, offset: 0 })
}

/// A mutation that applies `change` and accepts.
pub fn set<T>(change: impl FnOnce(&mut T) + Send + 'static) -> Mutation<T> {
    Box::new(accept(change))
}

/// Asserts `result` is exactly `Err(Conflict(constraint))`.
#[track_caller]
pub fn assert_conflict<T: Debug>(result: StoreResult<T>, constraint: Constraint) {
    assert!(
        matches!(&result, Err(StoreError::Conflict(c)) if *c == constraint),
        "expected Conflict({constraint:?}), got {result:?}"
    );
}

/// Asserts `result` is exactly `Err(NotFound(entity))`.
#[track_caller]
pub fn assert_not_found<T: Debug>(result: StoreResult<T>, entity: Entity) {
    assert!(
        matches!(&result, Err(StoreError::NotFound(e)) if *e == entity),
        "expected NotFound({entity:?}), got {result:?}"
    );
}

/// How long the first mutation of a [`race`] waits for the other one to be called. Only an upper bound: without a
/// lock the other arrives within milliseconds and the wait ends; with one it cannot arrive (it waits for the lock)
/// and the wait runs out. Long enough that a slow machine cannot make the race pass by accident.
const HOLD: Duration = Duration::from_secs(1);

/// Runs two read-modify-writes of one row at once, the first applying `a`, the other `b` (each to a different
/// field), and waits for both to succeed. The caller then reads the row back and asserts that both changes
/// survived.
///
/// `update(store, mutation)` is the call under test (`update_tenant(id, mutation, now)`, ...). The race is forced
/// rather than left to chance: each mutation, once called, blocks until the other mutation has been called too (or
/// [`HOLD`] ran out) before it changes anything. Without a row lock taken before the read, both updates therefore
/// read the same version before either writes, and whichever writes second silently undoes the first. With the
/// lock, the second update waits for the lock before reading, so it cannot be called while the first blocks; the
/// first gives up waiting, writes and commits, and the second reads its result. (The wait only forces the
/// interleaving; nothing asserts on time.) A fixed pause instead of the rendezvous was not enough: on a loaded
/// machine the second update sometimes needed longer than the pause to reach its read, and the race went unforced.
///
/// Each update is driven on a thread of its own (`spawn_blocking` + `Handle::block_on`), not as a task on a
/// runtime worker: a mutation blocking a worker would also stall whatever task sits in that worker's LIFO slot
/// (tokio does not let other workers steal it), which can be the other update. The runtime's workers stay free to
/// drive the connections' IO.
///
/// On SQLite these contracts pass with or without the lock, because all writes go through a single writer
/// connection and so never interleave (the second update cannot even begin until the first commits). On PostgreSQL
/// they fail without it: checked by replacing the locking `UPDATE` of `rows::lock_and_read` with a plain `SELECT`,
/// and the insert-or-touch of `update_setting` with an insert that does nothing on conflict.
pub async fn race<T, R, U, F>(
    db: &Db,
    update: U,
    a: impl FnOnce(&mut T) + Send + 'static,
    b: impl FnOnce(&mut T) + Send + 'static,
) where
    T: 'static,
    R: Send + 'static,
    U: Fn(Arc<SqlStore>, Mutation<T>) -> F,
    F: Future<Output = StoreResult<R>> + Send + 'static,
{
    let (first, second) = race_results(db, update, accept(a), accept(b)).await;
    if let Err(e) = first {
        panic!("first update failed: {e}");
    }
    if let Err(e) = second {
        panic!("second update failed: {e}");
    }
}

/// [`race`] with mutations that may refuse, returning both updates' results.
pub async fn race_results<T, R, U, F>(
    db: &Db,
    update: U,
    a: impl FnOnce(&mut T) -> StoreResult<()> + Send + 'static,
    b: impl FnOnce(&mut T) -> StoreResult<()> + Send + 'static,
) -> (StoreResult<R>, StoreResult<R>)
where
    T: 'static,
    R: Send + 'static,
    U: Fn(Arc<SqlStore>, Mutation<T>) -> F,
    F: Future<Output = StoreResult<R>> + Send + 'static,
{
    let called = Arc::new((Mutex::new(0), Condvar::new()));
    let first = on_own_thread(update(db.store.clone(), rendezvous(&called, a)));
    let second = on_own_thread(update(db.store.clone(), rendezvous(&called, b)));
    let results = (first.await.expect("first update thread"), second.await.expect("second update thread"));
    assert_eq!(*called.0.lock().unwrap(), 2, "each mutation runs exactly once");
    results
}

/// `change` as a change that always accepts.
fn accept<T>(change: impl FnOnce(&mut T) + Send + 'static) -> impl FnOnce(&mut T) -> StoreResult<()> + Send + 'static {
    move |value| {
        change(value);
        Ok(())
    }
}

/// Drives `future` to completion on a thread of its own (see [`race`]).
fn on_own_thread<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(future))
}

/// A mutation that counts its call, waits until both mutations of the race were called (at most [`HOLD`]), then
/// applies `change`.
fn rendezvous<T: 'static>(
    called: &Arc<(Mutex<usize>, Condvar)>,
    change: impl FnOnce(&mut T) -> StoreResult<()> + Send + 'static,
) -> Mutation<T> {
    let called = called.clone();
    Box::new(move |value| {
        let (count, arrived) = &*called;
        let mut count = count.lock().unwrap();
        *count += 1;
        arrived.notify_all();
        drop(arrived.wait_timeout_while(count, HOLD, |n| *n < 2).unwrap());
        change(value)
    })
}
