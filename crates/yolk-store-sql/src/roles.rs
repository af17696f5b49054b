//! Roles, permissions and categories. Permission and category bodies live in [`permissions`].

mod permissions;

use std::collections::HashMap;

use chrono::Utc;
use sqlx::AnyPool;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use uuid::Uuid;
use yolk_domain::{Permission, PermissionCategory, Role};
use yolk_store::{Mutation, RoleStore, StoreError, StoreResult};

use crate::rows::{RowExt, flag, ms};
use crate::{SqlStore, db_err, placeholders};

fn role_from_row(r: &AnyRow) -> StoreResult<Role> {
    Ok(Role {
        id: r.uuid("id")?,
        key: r.text("key")?,
        name: r.text("name")?,
        description: r.opt_text("description")?,
        tenant_id: r.opt_text("tenant_id")?,
        level: r.int("level")?,
        is_default: r.flag("is_default")?,
        first_user_role: r.flag("first_user_role")?,
        permission_ids: Vec::new(),
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// Distinct ids as strings, sorted.
fn dedup(ids: &[Uuid]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A reference failure while writing a role names what was missing.
fn missing(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match db_err(e) {
        StoreError::NotFound(_) => StoreError::NotFound(what),
        other => other,
    }
}

/// Runs `sql` (with `{in}` standing for the placeholder list) binding `ids`.
async fn fetch_in(pool: &AnyPool, sql: &str, ids: &[String]) -> StoreResult<Vec<AnyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sql.replace("{in}", &placeholders(1, ids.len()));
    let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
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
    let mut grants: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &rows {
        grants.entry(r.uuid("role_id")?).or_default().push(r.uuid("permission_id")?);
    }
    for role in &mut roles {
        let mut p = grants.remove(&role.id).unwrap_or_default();
        p.sort();
        role.permission_ids = p;
    }
    Ok(roles)
}

/// Roles by id with their permission ids; used by the user store to build memberships.
pub(crate) async fn load_roles(pool: &AnyPool, ids: &[Uuid]) -> StoreResult<Vec<Role>> {
    let rows = fetch_in(pool, "SELECT * FROM roles WHERE id IN ({in})", &dedup(ids)).await?;
    let roles = rows.iter().map(role_from_row).collect::<StoreResult<Vec<_>>>()?;
    with_permissions(pool, roles).await
}

/// A tenant role may not take the key of an environment role (tokens carry keys, so it would pass for one).
async fn check_tenant_key(tx: &mut sqlx::AnyConnection, role: &Role) -> StoreResult<()> {
    if role.tenant_id.is_none() {
        return Ok(());
    }
    let clash: Option<String> =
        sqlx::query_scalar("SELECT id FROM roles WHERE key = $1 AND tenant_id IS NULL AND id <> $2")
            .bind(&role.key)
            .bind(role.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
    match clash {
        Some(_) => Err(StoreError::Conflict("roles.key".into())),
        None => Ok(()),
    }
}

/// Grants a role to every member of its scope (already-held assignments are kept).
async fn grant_to_scope(tx: &mut sqlx::AnyConnection, role: &Role) -> StoreResult<()> {
    // SQLite needs a WHERE on an INSERT ... SELECT ... ON CONFLICT to parse it.
    let q = match &role.tenant_id {
        Some(t) => sqlx::query(
            "INSERT INTO user_roles (tenant_id, user_id, role_id) SELECT tenant_id, user_id, $1 FROM memberships
             WHERE tenant_id = $2 ON CONFLICT DO NOTHING",
        )
        .bind(role.id.to_string())
        .bind(t.clone()),
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
    .bind(r.tenant_id.clone().unwrap_or_default())
    .bind(r.tenant_id.clone())
    .bind(&r.name)
    .bind(r.description.clone())
    .bind(r.level)
    .bind(flag(r.is_default))
    .bind(flag(r.first_user_role))
    .bind(ms(r.updated_at))
    .bind(r.id.to_string())
    .execute(&mut *tx)
    .await
    .map_err(missing("tenant"))?;
    Ok(())
}

async fn read_role(tx: &mut sqlx::AnyConnection, id: Uuid) -> StoreResult<Role> {
    let row = sqlx::query("SELECT * FROM roles WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound("role"))?;
    role_from_row(&row)
}

#[async_trait::async_trait]
impl RoleStore for SqlStore {
    async fn create_roles(&self, roles: &[Role]) -> StoreResult<Vec<Role>> {
        self.create_roles_migrated(roles, &[]).await
    }

    async fn create_roles_migrated(&self, roles: &[Role], migrate: &[Uuid]) -> StoreResult<Vec<Role>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for r in roles {
            check_tenant_key(&mut tx, r).await?;
            sqlx::query(
                "INSERT INTO roles (id, key, scope, tenant_id, name, description, level, is_default, first_user_role, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(r.id.to_string())
            .bind(&r.key)
            .bind(r.tenant_id.clone().unwrap_or_default())
            .bind(r.tenant_id.clone())
            .bind(&r.name)
            .bind(r.description.clone())
            .bind(r.level)
            .bind(flag(r.is_default))
            .bind(flag(r.first_user_role))
            .bind(ms(r.created_at))
            .bind(ms(r.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(missing("tenant"))?;
            for p in dedup(&r.permission_ids) {
                sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2)")
                    .bind(r.id.to_string())
                    .bind(p)
                    .execute(&mut *tx)
                    .await
                    .map_err(missing("permission"))?;
            }
            if r.is_default && migrate.contains(&r.id) {
                grant_to_scope(&mut tx, r).await?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        let mut created = roles.to_vec();
        for r in &mut created {
            r.permission_ids.sort();
            r.permission_ids.dedup();
        }
        Ok(created)
    }

    async fn get_role(&self, id: Uuid) -> StoreResult<Role> {
        load_roles(&self.read, &[id]).await?.pop().ok_or(StoreError::NotFound("role"))
    }

    async fn list_roles(&self, tenant_id: Option<&str>) -> StoreResult<Vec<Role>> {
        let rows = match tenant_id {
            Some(t) => {
                sqlx::query("SELECT * FROM roles WHERE tenant_id IS NULL OR tenant_id = $1 ORDER BY level, key")
                    .bind(t)
                    .fetch_all(&self.read)
                    .await
            }
            None => sqlx::query("SELECT * FROM roles ORDER BY level, key").fetch_all(&self.read).await,
        }
        .map_err(db_err)?;
        let roles = rows.iter().map(role_from_row).collect::<StoreResult<Vec<_>>>()?;
        with_permissions(&self.read, roles).await
    }

    async fn roles_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<Role>> {
        load_roles(&self.read, ids).await
    }

    async fn update_role(&self, id: Uuid, change: Mutation<Role>) -> StoreResult<Role> {
        self.update_role_migrated(id, change, false).await
    }

    async fn update_role_migrated(&self, id: Uuid, change: Mutation<Role>, migrate: bool) -> StoreResult<Role> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut r = read_role(&mut tx, id).await?;
        change(&mut r).map_err(StoreError::Invalid)?;
        r.id = id;
        check_tenant_key(&mut tx, &r).await?;
        write_role(&mut tx, &r).await?;
        if migrate && r.is_default {
            grant_to_scope(&mut tx, &r).await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_role(id).await
    }

    async fn set_role_tenant(&self, id: Uuid, tenant_id: Option<&str>) -> StoreResult<Role> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut r = read_role(&mut tx, id).await?;
        r.tenant_id = tenant_id.map(str::to_owned);
        r.updated_at = Utc::now();
        check_tenant_key(&mut tx, &r).await?;
        write_role(&mut tx, &r).await?;
        if let Some(t) = tenant_id {
            sqlx::query("DELETE FROM user_roles WHERE role_id = $1 AND tenant_id <> $2")
                .bind(id.to_string())
                .bind(t)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_role(id).await
    }

    async fn role_assignment_counts(&self) -> StoreResult<HashMap<Uuid, u64>> {
        let rows = sqlx::query("SELECT role_id, COUNT(*) AS n FROM user_roles GROUP BY role_id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| Ok((r.uuid("role_id")?, u64::try_from(r.int("n")?).unwrap_or_default()))).collect()
    }

    async fn delete_role(&self, id: Uuid) -> StoreResult<()> {
        let n = sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 { Err(StoreError::NotFound("role")) } else { Ok(()) }
    }

    async fn set_role_permissions(&self, role_id: Uuid, permission_ids: &[Uuid]) -> StoreResult<Role> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let touched = sqlx::query("UPDATE roles SET updated_at = $1 WHERE id = $2")
            .bind(ms(Utc::now()))
            .bind(role_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if touched == 0 {
            return Err(StoreError::NotFound("role"));
        }
        sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
            .bind(role_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for p in dedup(permission_ids) {
            sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2)")
                .bind(role_id.to_string())
                .bind(p)
                .execute(&mut *tx)
                .await
                .map_err(missing("permission"))?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_role(role_id).await
    }

    async fn create_permissions(&self, permissions: &[Permission]) -> StoreResult<Vec<Permission>> {
        permissions::create_permissions(&self.write, permissions).await
    }

    async fn get_permission(&self, id: Uuid) -> StoreResult<Permission> {
        self.permissions_by_ids(&[id]).await?.pop().ok_or(StoreError::NotFound("permission"))
    }

    async fn list_permissions(&self) -> StoreResult<Vec<Permission>> {
        permissions::list_permissions(&self.read).await
    }

    async fn permissions_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<Permission>> {
        permissions::permissions_by_ids(&self.read, ids).await
    }

    async fn permission_keys(&self, ids: &[Uuid]) -> StoreResult<Vec<String>> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let rows =
            fetch_in(&self.read, "SELECT DISTINCT key FROM permissions WHERE id IN ({in}) ORDER BY key", &ids).await?;
        rows.iter().map(|r| r.text("key")).collect()
    }

    async fn update_permission(&self, id: Uuid, change: Mutation<Permission>) -> StoreResult<Permission> {
        permissions::update_permission(&self.write, id, change).await?;
        self.get_permission(id).await
    }

    async fn delete_permission(&self, id: Uuid) -> StoreResult<()> {
        permissions::delete_permission(&self.write, id).await
    }

    async fn set_permission_roles(&self, permission_id: Uuid, role_ids: &[Uuid]) -> StoreResult<Permission> {
        permissions::grant_to_roles(&self.write, permission_id, role_ids, true).await?;
        self.get_permission(permission_id).await
    }

    async fn add_permission_roles(&self, permission_id: Uuid, role_ids: &[Uuid]) -> StoreResult<Permission> {
        permissions::grant_to_roles(&self.write, permission_id, role_ids, false).await?;
        self.get_permission(permission_id).await
    }

    async fn classify_permissions(&self, ids: &[Uuid], assignment_type: &str) -> StoreResult<Vec<Permission>> {
        permissions::classify_permissions(&self.write, ids, assignment_type).await?;
        self.permissions_by_ids(ids).await
    }

    async fn create_category(&self, c: &PermissionCategory) -> StoreResult<PermissionCategory> {
        permissions::create_category(&self.write, c).await
    }

    async fn list_categories(&self) -> StoreResult<Vec<PermissionCategory>> {
        permissions::list_categories(&self.read).await
    }

    async fn update_category(&self, id: Uuid, change: Mutation<PermissionCategory>) -> StoreResult<PermissionCategory> {
        permissions::update_category(&self.write, id, change).await
    }

    async fn delete_category(&self, id: Uuid) -> StoreResult<()> {
        permissions::delete_category(&self.write, id).await
    }
}
