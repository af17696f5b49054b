//! Roles and the permissions they grant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe};
use yolk_domain::{PermissionId, Role, RoleId, TenantId};
use yolk_store::roles::{NewRole, RoleUpdate};
use yolk_store::{Constraint, Entity, RoleStore, StoreError, StoreResult};

use crate::rows::{Arg, Decode, Record, RowExt, delete_by_key, exists, flag, lock_and_read, missing, ms};
use crate::{SqlStore, db_err, placeholders};

impl Record for Role {
    const TABLE: &'static str = "roles";
    const KEY: &'static str = "id";
    const ENTITY: Entity = Entity::Role;

    /// The role without its permission ids (see [`with_permissions`]).
    fn from_row<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Role {
            id: r.id("id")?,
            key: r.text("key")?,
            name: r.text("name")?,
            description: r.opt_text("description")?,
            tenant_id: r.opt_tenant_id("tenant_id")?,
            level: r.int("level")?,
            is_default: r.flag("is_default")?,
            first_user_role: r.flag("first_user_role")?,
            permission_ids: Vec::new(),
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

/// Distinct ids as strings, sorted.
pub(crate) fn dedup<T: ToString>(ids: &[T]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Runs `sql` (with `{in}` standing for the placeholder list) binding `ids`.
pub(crate) async fn fetch_in(pool: &AnyPool, sql: &str, ids: &[String]) -> StoreResult<Vec<AnyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sql.replace("{in}", &placeholders(1, ids.len()));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.clone());
    }
    q.fetch_all(pool).await.map_err(db_err)
}

/// Attaches permission ids to roles.
async fn with_permissions(pool: &AnyPool, mut roles: Vec<Role>) -> StoreResult<Vec<Role>> {
    let ids: Vec<String> = roles.iter().map(|r| r.id.to_string()).collect();
    let rows =
        fetch_in(pool, "SELECT role_id, permission_id FROM role_permissions WHERE role_id IN ({in})", &ids).await?;
    let mut grants: HashMap<RoleId, Vec<PermissionId>> = HashMap::new();
    for r in &rows {
        grants.entry(r.id("role_id")?).or_default().push(r.id("permission_id")?);
    }
    for role in &mut roles {
        let mut p = grants.remove(&role.id).unwrap_or_default();
        p.sort();
        role.permission_ids = p;
    }
    Ok(roles)
}

/// Roles by id with their permission ids, in one bounded read (each role's row once per permission it grants);
/// used by the membership store too.
pub(crate) async fn load_roles(store: &SqlStore, ids: &[RoleId]) -> StoreResult<Vec<Role>> {
    let ids = dedup(ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT r.*, rp.permission_id AS granted_permission_id FROM roles r
         LEFT JOIN role_permissions rp ON rp.role_id = r.id WHERE r.id IN ({})",
        placeholders(1, ids.len())
    );
    let args: Vec<Arg<'_>> = ids.iter().map(Arg::from).collect();
    let rows: Vec<RoleGrant> = store.fetch_bounded(&sql, &args).await?;
    let mut roles: Vec<Role> = Vec::new();
    let mut at: HashMap<RoleId, usize> = HashMap::new();
    for RoleGrant { role, permission } in rows {
        let i = *at.entry(role.id).or_insert_with(|| {
            roles.push(role);
            roles.len() - 1
        });
        roles[i].permission_ids.extend(permission);
    }
    for role in &mut roles {
        role.permission_ids.sort();
    }
    Ok(roles)
}

/// A role's row with one permission it grants (none for a role without permissions).
struct RoleGrant {
    role: Role,
    permission: Option<PermissionId>,
}

impl Decode for RoleGrant {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self { role: Role::from_row(r)?, permission: r.opt_id("granted_permission_id")? })
    }
}

/// Tokens carry role keys, so an environment role and a tenant's own role never share a key (either could pass for
/// the other); the tenants' own roles may share keys with one another. The unique `(scope, key)` index covers each
/// scope; this covers the environment against every tenant, both ways.
async fn check_key_across_scopes(tx: &mut sqlx::AnyConnection, role: &Role) -> StoreResult<()> {
    let sql = if role.tenant_id.is_some() {
        "SELECT id FROM roles WHERE key = $1 AND tenant_id IS NULL AND id <> $2"
    } else {
        "SELECT id FROM roles WHERE key = $1 AND tenant_id IS NOT NULL AND id <> $2"
    };
    if exists(tx, sql, &[(&role.key).into(), (&role.id.to_string()).into()]).await? {
        Err(StoreError::Conflict(Constraint::RoleKey))
    } else {
        Ok(())
    }
}

/// Grants a default role to every member of its scope (already-held assignments are kept).
async fn grant_to_members(tx: &mut sqlx::AnyConnection, role: &Role) -> StoreResult<()> {
    if !role.is_default {
        return Ok(());
    }
    // SQLite needs a WHERE on an INSERT ... SELECT ... ON CONFLICT to parse it.
    let q = match &role.tenant_id {
        Some(t) => sqlx::query(
            "INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT tenant_id, user_id, $1 FROM memberships
             WHERE tenant_id = $2 ON CONFLICT DO NOTHING",
        )
        .bind(role.id.to_string())
        .bind(t.as_str().to_owned()),
        None => sqlx::query(
            "INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT tenant_id, user_id, $1 FROM memberships
             WHERE 1 = 1 ON CONFLICT DO NOTHING",
        )
        .bind(role.id.to_string()),
    };
    q.execute(&mut *tx).await.map_err(db_err)?;
    Ok(())
}

async fn write_role(tx: &mut sqlx::AnyConnection, r: &Role) -> StoreResult<()> {
    sqlx::query(
        "UPDATE roles SET key = $1, scope = $2, tenant_id = $3, name = $4, description = $5, level = $6,
         is_default = $7, first_user_role = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(&r.key)
    .bind(r.tenant_id.as_ref().map_or("", TenantId::as_str))
    .bind(r.tenant_id.as_ref().map(TenantId::as_str))
    .bind(&r.name)
    .bind(r.description.clone())
    .bind(r.level)
    .bind(flag(r.is_default))
    .bind(flag(r.first_user_role))
    .bind(ms(r.updated_at))
    .bind(r.id.to_string())
    .execute(&mut *tx)
    .await
    .map_err(missing(Entity::Tenant))?;
    Ok(())
}

/// Replaces a role's permission grants (inside the caller's transaction).
async fn replace_permissions(
    tx: &mut sqlx::AnyConnection,
    id: RoleId,
    permission_ids: &[PermissionId],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    for p in dedup(permission_ids) {
        sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(p)
            .execute(&mut *tx)
            .await
            .map_err(missing(Entity::Permission))?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl RoleStore for SqlStore {
    async fn create_roles(&self, roles: &[NewRole]) -> StoreResult<Vec<Role>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for NewRole { role: r, grant_to_members: grant } in roles {
            check_key_across_scopes(&mut tx, r).await?;
            sqlx::query(
                "INSERT INTO roles (id, key, scope, tenant_id, name, description, level, is_default, first_user_role,
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(r.id.to_string())
            .bind(&r.key)
            .bind(r.tenant_id.as_ref().map_or("", TenantId::as_str))
            .bind(r.tenant_id.as_ref().map(TenantId::as_str))
            .bind(&r.name)
            .bind(r.description.clone())
            .bind(r.level)
            .bind(flag(r.is_default))
            .bind(flag(r.first_user_role))
            .bind(ms(r.created_at))
            .bind(ms(r.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(missing(Entity::Tenant))?;
            replace_permissions(&mut tx, r.id, &r.permission_ids).await?;
            if *grant {
                grant_to_members(&mut tx, r).await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(roles
            .iter()
            .map(|n| {
                let mut r = n.role.clone();
                r.permission_ids.sort();
                r.permission_ids.dedup();
                r
            })
            .collect())
    }

    async fn get_role(&self, id: RoleId) -> StoreResult<Role> {
        load_roles(self, &[id]).await?.pop().ok_or(StoreError::NotFound(Entity::Role))
    }

    async fn list_roles(&self, tenant_id: Option<&TenantId>) -> StoreResult<Vec<Role>> {
        let rows = match tenant_id {
            // The environment's roles and the tenant's own: two ranges of the unique `(scope, key)` index (`scope`
            // is the owning tenant, '' for the environment), however many roles other tenants own.
            Some(t) => {
                sqlx::query("SELECT * FROM roles WHERE scope IN ('', $1) ORDER BY level, key")
                    .bind(t.as_str())
                    .fetch_all(&self.read)
                    .await
            }
            None => sqlx::query("SELECT * FROM roles ORDER BY level, key").fetch_all(&self.read).await,
        }
        .map_err(db_err)?;
        let roles = rows.iter().map(Role::from_row).collect::<StoreResult<Vec<_>>>()?;
        with_permissions(&self.read, roles).await
    }

    async fn roles_by_ids(&self, ids: &[RoleId]) -> StoreResult<Vec<Role>> {
        load_roles(self, ids).await
    }

    async fn update_role(&self, id: RoleId, update: RoleUpdate, now: DateTime<Utc>) -> StoreResult<Role> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut r: Role = lock_and_read(&mut tx, &id.to_string()).await?;
        let tenant_before = r.tenant_id.clone();
        (update.change)(&mut r)?;
        // The scope only changes through `set_role_tenant`, which also drops the role's assignments in other
        // tenants: moving it here would leave it assigned where it is not usable.
        r.tenant_id = tenant_before;
        r.id = id;
        r.updated_at = now;
        check_key_across_scopes(&mut tx, &r).await?;
        write_role(&mut tx, &r).await?;
        if update.grant_to_members {
            grant_to_members(&mut tx, &r).await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_role(id).await
    }

    async fn set_role_tenant(&self, id: RoleId, tenant_id: Option<&TenantId>, now: DateTime<Utc>) -> StoreResult<Role> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut r: Role = lock_and_read(&mut tx, &id.to_string()).await?;
        r.tenant_id = tenant_id.cloned();
        r.updated_at = now;
        check_key_across_scopes(&mut tx, &r).await?;
        write_role(&mut tx, &r).await?;
        if let Some(t) = tenant_id {
            sqlx::query("DELETE FROM user_roles WHERE role_id = $1 AND tenant_id <> $2")
                .bind(id.to_string())
                .bind(t.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_role(id).await
    }

    async fn set_role_permissions(
        &self,
        id: RoleId,
        permission_ids: &[PermissionId],
        now: DateTime<Utc>,
    ) -> StoreResult<Role> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let _: Role = lock_and_read(&mut tx, &id.to_string()).await?;
        sqlx::query("UPDATE roles SET updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        replace_permissions(&mut tx, id, permission_ids).await?;
        tx.commit().await.map_err(db_err)?;
        self.get_role(id).await
    }

    async fn role_assignment_counts(&self) -> StoreResult<HashMap<RoleId, u64>> {
        let rows = sqlx::query("SELECT role_id, COUNT(*) AS n FROM user_roles GROUP BY role_id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| Ok((r.id("role_id")?, u64::try_from(r.int("n")?).unwrap_or_default()))).collect()
    }

    async fn delete_role(&self, id: RoleId) -> StoreResult<()> {
        delete_by_key::<Role>(&self.write, &id.to_string()).await
    }
}
