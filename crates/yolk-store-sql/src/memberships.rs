//! Memberships and role assignments, and the multi-table changes to a user's place among tenants (leaving a
//! tenant, switching and migrating tenants): each method is one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use yolk_domain::{Membership, Role, RoleId, Tenant, TenantId, User, UserId};
use yolk_store::{Entity, MembershipStore, StoreError, StoreResult};

use crate::counts::{Tally, UserKeys, UserLock, lock_members, lock_tenant_key, lock_tenants, lock_user};
use crate::roles::load_roles;
use crate::rows::{Arg, Decode, RowExt, execute, exists, flag, missing, ms};
use crate::users::{delete_user_row, fetch_user};
use crate::{SqlStore, db_err, placeholders};

/// Inserts user-role rows; a missing role (or one owned by another tenant) is `NotFound(Role)`.
async fn insert_roles(
    tx: &mut sqlx::AnyConnection,
    user_id: UserId,
    tenant_id: &TenantId,
    role_ids: &[RoleId],
) -> StoreResult<()> {
    let user = user_id.to_string();
    for role_id in role_ids {
        let role = role_id.to_string();
        let usable = "SELECT id FROM roles WHERE id = $1 AND (tenant_id IS NULL OR tenant_id = $2)";
        if !exists(tx, usable, &[(&role).into(), tenant_id.into()]).await? {
            return Err(StoreError::NotFound(Entity::Role));
        }
        let grant = "INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
        execute(tx, grant, &[tenant_id.into(), (&user).into(), (&role).into()]).await?;
    }
    Ok(())
}

/// A membership to insert.
pub(crate) struct NewMembership<'a> {
    pub user_id: UserId,
    /// The user's sort keys, read under the lock that keeps them from changing until commit (`lock_user`), or
    /// those of a user created by the same transaction.
    pub keys: UserKeys,
    pub tenant_id: &'a TenantId,
    pub role_ids: &'a [RoleId],
    pub pending: bool,
    pub created_at: DateTime<Utc>,
}

/// Inserts an enabled membership (pending or not) with its roles, counted in `tally` (inside the caller's
/// transaction). `NotFound` for an unknown tenant or role, `Conflict(Membership)` if the user is already a member.
pub(crate) async fn insert_membership(
    tx: &mut sqlx::AnyConnection,
    m: &NewMembership<'_>,
    tally: &mut Tally,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, disabled, pending, created_at, user_created_at, user_invisible)
         VALUES ($1, $2, 0, $3, $4, $5, $6)",
    )
    .bind(m.tenant_id.as_str())
    .bind(m.user_id.to_string())
    .bind(flag(m.pending))
    .bind(ms(m.created_at))
    .bind(m.keys.created_at)
    .bind(flag(m.keys.invisible))
    .execute(&mut *tx)
    .await
    .map_err(missing(Entity::Tenant))?;
    tally.members(m.tenant_id.as_str(), 1, m.keys.invisible);
    insert_roles(tx, m.user_id, m.tenant_id, m.role_ids).await
}

/// Adds a membership of an existing user (locked until commit, so its flags cannot change meanwhile) and commits.
async fn join(
    store: &SqlStore,
    user_id: UserId,
    tenant_id: &TenantId,
    role_ids: &[RoleId],
    pending: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = store.write.begin().await.map_err(db_err)?;
    lock_tenant_key(&mut tx, store.backend, tenant_id.as_str()).await?;
    let keys = lock_user(&mut tx, store.backend, &user_id.to_string(), UserLock::Share).await?;
    let keys = keys.ok_or(StoreError::NotFound(Entity::User))?;
    let mut tally = Tally::default();
    let m = NewMembership { user_id, keys, tenant_id, role_ids, pending, created_at: now };
    insert_membership(&mut tx, &m, &mut tally).await?;
    tally.apply(&mut tx).await?;
    tx.commit().await.map_err(db_err)
}

async fn is_member(tx: &mut sqlx::AnyConnection, user_id: UserId, tenant_id: &TenantId) -> StoreResult<bool> {
    let sql = "SELECT user_id FROM memberships WHERE user_id = $1 AND tenant_id = $2";
    exists(tx, sql, &[(&user_id.to_string()).into(), tenant_id.into()]).await
}

async fn require_membership(tx: &mut sqlx::AnyConnection, user_id: UserId, tenant_id: &TenantId) -> StoreResult<()> {
    if is_member(tx, user_id, tenant_id).await? { Ok(()) } else { Err(StoreError::NotFound(Entity::Membership)) }
}

/// Revokes the live sessions a user holds in one tenant.
async fn revoke_tenant_sessions(
    tx: &mut sqlx::AnyConnection,
    user_id: UserId,
    tenant_id: &TenantId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND tenant_id = $3 AND revoked_at IS NULL";
    execute(tx, sql, &[now.into(), (&user_id.to_string()).into(), tenant_id.into()]).await.map(drop)
}

async fn require_tenant(tx: &mut sqlx::AnyConnection, tenant_id: &TenantId) -> StoreResult<()> {
    let found = exists(tx, "SELECT tenant_id FROM tenants WHERE tenant_id = $1", &[tenant_id.into()]).await?;
    if found { Ok(()) } else { Err(StoreError::NotFound(Entity::Tenant)) }
}

/// How many rows `sql` counts (a `SELECT COUNT(*)` with one text parameter).
async fn count(tx: &mut sqlx::AnyConnection, sql: &'static str, arg: &str) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar(sql).bind(arg).fetch_one(&mut *tx).await.map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Disables or enables a membership inside the caller's transaction (disabling revokes the user's sessions in that
/// tenant). `NotFound(Membership)` when there is none.
pub(crate) async fn set_membership_disabled_in(
    tx: &mut sqlx::AnyConnection,
    user_id: UserId,
    tenant_id: &TenantId,
    disabled: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "UPDATE memberships SET disabled = $1 WHERE user_id = $2 AND tenant_id = $3";
    let n = execute(&mut *tx, sql, &[flag(disabled).into(), (&user_id.to_string()).into(), tenant_id.into()]).await?;
    if n == 0 {
        return Err(StoreError::NotFound(Entity::Membership));
    }
    if disabled {
        revoke_tenant_sessions(&mut *tx, user_id, tenant_id, now).await?;
    }
    Ok(())
}

/// Removes a user from a tenant inside the caller's transaction (its roles and sessions there go too), deleting the
/// user when it was its last tenant (then `true`), counted in `tally`. `NotFound(Membership)` when it is not a
/// member.
pub(crate) async fn remove_from_tenant_in(
    tx: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    user_id: UserId,
    tenant_id: &TenantId,
    now: DateTime<Utc>,
    tally: &mut Tally,
) -> StoreResult<bool> {
    let user = user_id.to_string();
    // Locked first: no membership of the user can be added while this decides whether it was the last one.
    let keys = lock_user(&mut *tx, backend, &user, UserLock::Update).await?;
    // The membership's roles cascade with it.
    let removed = sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2 RETURNING user_invisible")
        .bind(&user)
        .bind(tenant_id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    let (Some(keys), Some(removed)) = (keys, removed) else {
        return Err(StoreError::NotFound(Entity::Membership));
    };
    tally.members(tenant_id.as_str(), -1, removed.flag("user_invisible")?);
    revoke_tenant_sessions(&mut *tx, user_id, tenant_id, now).await?;
    let deleted = count(&mut *tx, "SELECT COUNT(*) FROM memberships WHERE user_id = $1", &user).await? == 0;
    if deleted {
        delete_user_row(&mut *tx, &user, keys, tally).await?;
    } else {
        let sql = "UPDATE users SET active_tenant_id = NULL WHERE id = $1 AND active_tenant_id = $2";
        execute(&mut *tx, sql, &[(&user).into(), tenant_id.into()]).await?;
    }
    Ok(deleted)
}

#[async_trait::async_trait]
impl MembershipStore for SqlStore {
    async fn memberships(&self, user_ids: &[UserId]) -> StoreResult<HashMap<UserId, Vec<Membership>>> {
        let mut out: HashMap<UserId, Vec<Membership>> = HashMap::new();
        if user_ids.is_empty() {
            return Ok(out);
        }
        let ids: Vec<String> = user_ids.iter().map(UserId::to_string).collect();
        // Each membership, once per role it holds there (once with no role when it holds none).
        let sql = format!(
            "SELECT m.user_id, m.tenant_id, m.disabled, m.pending, m.created_at, ur.role_id
             FROM memberships m LEFT JOIN user_roles ur ON ur.tenant_id = m.tenant_id AND ur.user_id = m.user_id
             WHERE m.user_id IN ({}) ORDER BY m.created_at, m.tenant_id, m.user_id",
            placeholders(1, ids.len())
        );
        let args: Vec<Arg<'_>> = ids.iter().map(Arg::from).collect();
        let rows: Vec<MembershipRole> = self.fetch_bounded(&sql, &args).await?;
        let role_ids: Vec<RoleId> = rows.iter().filter_map(|r| r.role_id).collect();
        let by_id: HashMap<RoleId, Role> = load_roles(self, &role_ids).await?.into_iter().map(|r| (r.id, r)).collect();
        // Rows of one membership are adjacent (ordered by membership; its roles in no order).
        let mut last: Option<(UserId, TenantId)> = None;
        for r in rows {
            let role = r.role_id.and_then(|id| by_id.get(&id).cloned());
            let same = last.as_ref().is_some_and(|(u, t)| *u == r.user_id && *t == r.membership.tenant_id);
            let list = out.entry(r.user_id).or_default();
            if same {
                if let (Some(m), Some(role)) = (list.last_mut(), role) {
                    m.roles.push(role);
                }
                continue;
            }
            last = Some((r.user_id, r.membership.tenant_id.clone()));
            let mut m = r.membership;
            m.roles.extend(role);
            list.push(m);
        }
        for m in out.values_mut().flatten() {
            m.roles.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Ok(out)
    }

    async fn add_membership(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        join(self, user_id, tenant_id, role_ids, false, now).await
    }

    async fn invite_member(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        join(self, user_id, tenant_id, role_ids, true, now).await
    }

    async fn set_membership_disabled(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        set_membership_disabled_in(&mut tx, user_id, tenant_id, disabled, now).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn assign_roles(&self, user_id: UserId, tenant_id: &TenantId, role_ids: &[RoleId]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        require_membership(&mut tx, user_id, tenant_id).await?;
        insert_roles(&mut tx, user_id, tenant_id, role_ids).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn unassign_roles(&self, user_id: UserId, tenant_id: &TenantId, role_ids: &[RoleId]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        require_membership(&mut tx, user_id, tenant_id).await?;
        let (revoke, user) =
            ("DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2 AND role_id = $3", user_id.to_string());
        for role_id in role_ids {
            execute(&mut tx, revoke, &[tenant_id.into(), (&user).into(), (&role_id.to_string()).into()]).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn update_roles_across_tenants(
        &self,
        user_id: UserId,
        tenants: Option<&[TenantId]>,
        add: &[RoleId],
        remove: &[RoleId],
    ) -> StoreResult<Vec<TenantId>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let user = user_id.to_string();
        let targets: Vec<TenantId> = match tenants {
            Some(named) => {
                let mut distinct: Vec<TenantId> = Vec::new();
                for t in named {
                    require_membership(&mut tx, user_id, t).await?;
                    if !distinct.contains(t) {
                        distinct.push(t.clone());
                    }
                }
                distinct
            }
            None => {
                let rows =
                    sqlx::query("SELECT tenant_id FROM memberships WHERE user_id = $1 ORDER BY created_at, tenant_id")
                        .bind(&user)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                rows.iter().map(|r| r.tenant_id("tenant_id")).collect::<StoreResult<_>>()?
            }
        };
        let revoke = "DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2 AND role_id = $3";
        for tenant in &targets {
            insert_roles(&mut tx, user_id, tenant, add).await?;
            for role_id in remove {
                execute(&mut tx, revoke, &[tenant.into(), (&user).into(), (&role_id.to_string()).into()]).await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(targets)
    }

    async fn remove_from_tenant(&self, user_id: UserId, tenant_id: &TenantId, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut tally = Tally::default();
        let deleted = remove_from_tenant_in(&mut tx, self.backend, user_id, tenant_id, now, &mut tally).await?;
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(deleted)
    }

    async fn set_active_tenant(
        &self,
        user_id: UserId,
        tenant_id: &TenantId,
        new_tenant: Option<&Tenant>,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut tally = Tally::default();
        match new_tenant {
            Some(t) => crate::tenants::insert_tenant(&mut tx, t, &mut tally).await?,
            None => lock_tenant_key(&mut tx, self.backend, tenant_id.as_str()).await?,
        }
        // The row is updated below: lock it for that now (see `UserLock::NoKeyUpdate`).
        let keys = lock_user(&mut tx, self.backend, &user_id.to_string(), UserLock::NoKeyUpdate).await?;
        let keys = keys.ok_or(StoreError::NotFound(Entity::User))?;
        if !is_member(&mut tx, user_id, tenant_id).await? {
            let m = NewMembership { user_id, keys, tenant_id, role_ids, pending: false, created_at: now };
            insert_membership(&mut tx, &m, &mut tally).await?;
        }
        let sql = "UPDATE users SET active_tenant_id = $1, updated_at = $2 WHERE id = $3";
        execute(&mut tx, sql, &[tenant_id.into(), now.into(), (&user_id.to_string()).into()]).await?;
        let user = fetch_user(&mut *tx, user_id).await?;
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    async fn migrate_tenant_users(&self, src: &TenantId, target: &TenantId, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // No member joins either tenant, neither goes, and no moving user's flags change, until commit.
        lock_tenants(&mut tx, self.backend, &[src.as_str(), target.as_str()]).await?;
        require_tenant(&mut tx, src).await?;
        require_tenant(&mut tx, target).await?;
        lock_members(&mut tx, self.backend, src.as_str()).await?;
        let moved = count(&mut tx, "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1", src.as_str()).await?;
        let mut tally = Tally::default();
        // New members of the target, with their sort keys; users already there keep that membership.
        let joined = sqlx::query(
            "INSERT INTO memberships
                 (tenant_id, user_id, disabled, pending, created_at, user_created_at, user_invisible)
             SELECT $1, m.user_id, m.disabled, m.pending, $3, m.user_created_at, m.user_invisible FROM memberships m
             WHERE m.tenant_id = $2
               AND NOT EXISTS (SELECT 1 FROM memberships t WHERE t.tenant_id = $1 AND t.user_id = m.user_id)
             RETURNING user_invisible",
        )
        .bind(target.as_str())
        .bind(src.as_str())
        .bind(ms(now))
        .fetch_all(&mut *tx)
        .await
        .map_err(missing(Entity::Tenant))?;
        for r in &joined {
            tally.members(target.as_str(), 1, r.flag("user_invisible")?);
        }
        let (to, from) = (target.into(), src.into());
        // Environment-wide roles travel; roles owned by the source tenant mean nothing in the target.
        let roles = "INSERT INTO user_roles (tenant_id, user_id, role_id)
             SELECT $1, ur.user_id, ur.role_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.tenant_id = $2 AND r.tenant_id IS NULL
             ON CONFLICT DO NOTHING";
        execute(&mut tx, roles, &[to, from]).await?;
        let active = "UPDATE users SET active_tenant_id = $1, updated_at = $3 WHERE active_tenant_id = $2";
        execute(&mut tx, active, &[to, from, now.into()]).await?;
        let revoke = "UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL";
        execute(&mut tx, revoke, &[now.into(), from]).await?;
        let left = sqlx::query("DELETE FROM memberships WHERE tenant_id = $1 RETURNING user_invisible")
            .bind(src.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        for r in &left {
            tally.members(src.as_str(), -1, r.flag("user_invisible")?);
        }
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(moved)
    }
}

/// A membership with one role it holds (a row of [`SqlStore::memberships`]'s read).
struct MembershipRole {
    user_id: UserId,
    membership: Membership,
    role_id: Option<RoleId>,
}

impl Decode for MembershipRole {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self {
            user_id: r.id("user_id")?,
            membership: Membership {
                tenant_id: r.tenant_id("tenant_id")?,
                roles: Vec::new(),
                disabled: r.flag("disabled")?,
                pending: r.flag("pending")?,
                created_at: r.time("created_at")?,
            },
            role_id: r.opt_id("role_id")?,
        })
    }
}
