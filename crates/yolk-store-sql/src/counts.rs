//! What the store maintains so that a list page costs O(page) (migration 0006): each membership's copy of its
//! user's sort keys (`user_created_at`, `user_invisible`), the members of each tenant (`tenant_member_counts`) and
//! the store-wide totals (`store_counts`).
//!
//! **Invariant**, true after every committed transaction:
//! - for every tenant T: `members` = the memberships of T, `invisible_members` = those with `user_invisible = 1`
//!   (no row = no members);
//! - for every membership: `user_created_at` = its user's `created_at`, `user_invisible` = its user's `invisible`;
//! - `store_counts`: `tenants`, `users`, `invisible_users` = the rows of `tenants`, of `users`, of invisible users.
//!
//! How it is kept: every statement that inserts or deletes memberships, users or tenants says what it did (its
//! `RETURNING` rows or its row count) and the transaction records that in a [`Tally`], which it writes as relative
//! changes (`n = n + delta`) just before committing. Memberships are removed by a cascade only with their tenant,
//! whose counts row goes with it: a user is deleted after its memberships of other tenants, by the same transaction.
//!
//! **Concurrency** (PostgreSQL, READ COMMITTED; SQLite has one writer and needs none of this). A write locks the
//! user rows whose memberships it changes or copies before it reads them ([`lock_user`]; a tenant's deletion or
//! migration first locks the tenant rows, which stops new members, then every member, [`lock_tenants`],
//! [`lock_members`]), so no concurrent transaction can add a membership the deletion of a user would cascade to, or
//! copy an invisible flag that is being changed. Lock order, the same in every transaction so that none waits for
//! another in a cycle: tenant rows (a new membership's tenant with [`lock_tenant_key`]), then user rows, then
//! membership rows, then `tenant_member_counts` in tenant-id order, then `store_counts` (the last row a transaction
//! writes, so its lock is held only while committing). The counts rows are the only contended ones: writes to one
//! tenant's memberships serialize on its row, user and tenant creations and deletions on `store_counts`.

use std::collections::BTreeMap;

use sqlx::AnyConnection;
use yolk_store::StoreResult;

use crate::rows::{RowExt, execute};
use crate::{Backend, db_err};

/// Count changes made by one transaction, written by [`Tally::apply`] just before it commits.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Tenant id → (members, invisible members) changes; ordered, so rows are locked in tenant-id order.
    members: BTreeMap<String, (i64, i64)>,
    tenants: i64,
    users: i64,
    invisible_users: i64,
}

impl Tally {
    /// `delta` memberships of `tenant_id` whose user is (or not) invisible were inserted (+) or deleted (-).
    pub(crate) fn members(&mut self, tenant_id: &str, delta: i64, invisible: bool) {
        let e = self.members.entry(tenant_id.to_owned()).or_default();
        e.0 += delta;
        if invisible {
            e.1 += delta;
        }
    }

    /// A member of `tenant_id` became invisible (+1) or visible (-1).
    pub(crate) fn invisible_member(&mut self, tenant_id: &str, delta: i64) {
        self.members.entry(tenant_id.to_owned()).or_default().1 += delta;
    }

    /// Tenants were created (+) or deleted (-).
    pub(crate) fn tenants(&mut self, delta: i64) {
        self.tenants += delta;
    }

    /// `delta` users, invisible or not, were created (+) or deleted (-).
    pub(crate) fn users(&mut self, delta: i64, invisible: bool) {
        self.users += delta;
        if invisible {
            self.invisible_users += delta;
        }
    }

    /// A user became invisible (+1) or visible (-1).
    pub(crate) fn invisible_user(&mut self, delta: i64) {
        self.invisible_users += delta;
    }

    /// Writes the changes (relative, so concurrent transactions add up) on the caller's transaction: each
    /// tenant's row in tenant-id order, then the store-wide row.
    pub(crate) async fn apply(self, tx: &mut AnyConnection) -> StoreResult<()> {
        for (tenant_id, (members, invisible)) in &self.members {
            if (*members, *invisible) == (0, 0) {
                continue;
            }
            let upsert = "INSERT INTO tenant_member_counts (tenant_id, members, invisible_members) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant_id) DO UPDATE SET members = tenant_member_counts.members + excluded.members,
                 invisible_members = tenant_member_counts.invisible_members + excluded.invisible_members";
            execute(tx, upsert, &[tenant_id.into(), (*members).into(), (*invisible).into()]).await?;
        }
        if (self.tenants, self.users, self.invisible_users) != (0, 0, 0) {
            let sql = "UPDATE store_counts SET tenants = tenants + $1, users = users + $2,
                 invisible_users = invisible_users + $3 WHERE id = 1";
            execute(tx, sql, &[self.tenants.into(), self.users.into(), self.invisible_users.into()]).await?;
        }
        Ok(())
    }
}

/// How strongly [`lock_user`] locks the user row (PostgreSQL row-lock modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserLock {
    /// Adding a membership: the user's flags cannot change, and it cannot be deleted, until commit.
    Share,
    /// Adding a membership and then updating the user row (switching its active tenant): taken up front, since
    /// two transactions holding `Share` could not both upgrade it.
    NoKeyUpdate,
    /// Removing memberships, possibly the user: no membership of the user can be added meanwhile.
    Update,
}

/// A user's sort keys, as its memberships carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserKeys {
    /// `created_at`, epoch ms.
    pub created_at: i64,
    pub invisible: bool,
}

/// Reads a user's sort keys on the caller's transaction, locking its row on PostgreSQL (`lock`); `None` when there
/// is no such user.
pub(crate) async fn lock_user(
    tx: &mut AnyConnection,
    backend: Backend,
    user_id: &str,
    lock: UserLock,
) -> StoreResult<Option<UserKeys>> {
    let sql = match (backend, lock) {
        (Backend::Sqlite, _) => "SELECT created_at, invisible FROM users WHERE id = $1",
        (Backend::Postgres, UserLock::Share) => "SELECT created_at, invisible FROM users WHERE id = $1 FOR SHARE",
        (Backend::Postgres, UserLock::NoKeyUpdate) => {
            "SELECT created_at, invisible FROM users WHERE id = $1 FOR NO KEY UPDATE"
        }
        (Backend::Postgres, UserLock::Update) => "SELECT created_at, invisible FROM users WHERE id = $1 FOR UPDATE",
    };
    let row = sqlx::query(sql).bind(user_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
    row.map(|r| Ok(UserKeys { created_at: r.int("created_at")?, invisible: r.flag("invisible")? })).transpose()
}

/// On PostgreSQL, locks a tenant row against deletion (`FOR KEY SHARE`, what the foreign key of a new membership
/// takes anyway) before the user row is locked: tenant rows are always locked before user rows (see the module
/// documentation). Nothing on SQLite, whose writer is alone.
pub(crate) async fn lock_tenant_key(tx: &mut AnyConnection, backend: Backend, tenant_id: &str) -> StoreResult<()> {
    if backend == Backend::Postgres {
        execute(tx, "SELECT tenant_id FROM tenants WHERE tenant_id = $1 FOR KEY SHARE", &[tenant_id.into()]).await?;
    }
    Ok(())
}

/// On PostgreSQL, locks tenant rows for update, in tenant-id order: no membership can be added to them until
/// commit. Nothing on SQLite.
pub(crate) async fn lock_tenants(tx: &mut AnyConnection, backend: Backend, tenant_ids: &[&str]) -> StoreResult<()> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    let mut sorted = tenant_ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for t in sorted {
        execute(tx, "SELECT tenant_id FROM tenants WHERE tenant_id = $1 FOR UPDATE", &[t.into()]).await?;
    }
    Ok(())
}

/// On PostgreSQL, locks every member of a tenant (locked first with [`lock_tenants`], so the set cannot grow), in
/// user-id order: none of their memberships can change, nor their flags, until commit. Nothing on SQLite.
pub(crate) async fn lock_members(tx: &mut AnyConnection, backend: Backend, tenant_id: &str) -> StoreResult<()> {
    if backend == Backend::Postgres {
        let members = "SELECT COUNT(*) FROM (SELECT id FROM users
             WHERE id IN (SELECT user_id FROM memberships WHERE tenant_id = $1) ORDER BY id FOR UPDATE) locked";
        execute(tx, members, &[tenant_id.into()]).await?;
    }
    Ok(())
}

/// Recomputes everything the invariant covers from the base rows, in one transaction: O(store). For stores whose
/// rows were written by raw SQL (a bulk load); run it while nothing else writes.
pub(crate) async fn rebuild(tx: &mut AnyConnection) -> StoreResult<()> {
    let statements = [
        "UPDATE memberships SET user_created_at = users.created_at, user_invisible = users.invisible
         FROM users WHERE users.id = memberships.user_id
           AND (memberships.user_created_at <> users.created_at OR memberships.user_invisible <> users.invisible)",
        "DELETE FROM tenant_member_counts",
        "INSERT INTO tenant_member_counts (tenant_id, members, invisible_members)
         SELECT tenant_id, COUNT(*), COUNT(CASE WHEN user_invisible = 1 THEN 1 END) FROM memberships
         GROUP BY tenant_id",
        "UPDATE store_counts SET tenants = (SELECT COUNT(*) FROM tenants), users = (SELECT COUNT(*) FROM users),
         invisible_users = (SELECT COUNT(*) FROM users WHERE invisible = 1) WHERE id = 1",
    ];
    for sql in statements {
        execute(tx, sql, &[]).await?;
    }
    Ok(())
}

/// Where the maintained values differ from the base rows (every tenant, at most ten stale memberships, the store
/// row): O(store). Empty when the invariant holds. Exact while nothing writes (the statements are separate reads).
pub(crate) async fn drift(conn: &mut AnyConnection) -> StoreResult<Vec<String>> {
    let mut found = Vec::new();
    let tenants = sqlx::query(
        "SELECT t.tenant_id, COALESCE(c.members, 0) AS members, COALESCE(c.invisible_members, 0) AS invisible_members,
                (SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = t.tenant_id) AS real_members,
                (SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = t.tenant_id AND m.user_invisible = 1)
                    AS real_invisible
         FROM tenants t LEFT JOIN tenant_member_counts c ON c.tenant_id = t.tenant_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for r in &tenants {
        let kept = (r.int("members")?, r.int("invisible_members")?);
        let real = (r.int("real_members")?, r.int("real_invisible")?);
        if kept != real {
            found.push(format!("tenant {}: (members, invisible) kept {kept:?}, real {real:?}", r.text("tenant_id")?));
        }
    }
    let keys = sqlx::query(
        "SELECT m.tenant_id, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.user_created_at <> u.created_at OR m.user_invisible <> u.invisible
         ORDER BY m.tenant_id, m.user_id LIMIT 10",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for r in &keys {
        found.push(format!("membership {} of {}: stale user sort keys", r.text("user_id")?, r.text("tenant_id")?));
    }
    let store = sqlx::query(
        "SELECT tenants, users, invisible_users, (SELECT COUNT(*) FROM tenants) AS real_tenants,
                (SELECT COUNT(*) FROM users) AS real_users,
                (SELECT COUNT(*) FROM users WHERE invisible = 1) AS real_invisible
         FROM store_counts WHERE id = 1",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let kept = (store.int("tenants")?, store.int("users")?, store.int("invisible_users")?);
    let real = (store.int("real_tenants")?, store.int("real_users")?, store.int("real_invisible")?);
    if kept != real {
        found.push(format!("store: (tenants, users, invisible users) kept {kept:?}, real {real:?}"));
    }
    Ok(found)
}
