//! Roles, permissions and categories.

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

fn permission_from_row(r: &AnyRow) -> StoreResult<Permission> {
    Ok(Permission {
        id: r.uuid("id")?,
        key: r.text("key")?,
        name: r.text("name")?,
        description: r.opt_text("description")?,
        category_id: r.opt_uuid("category_id")?,
        assignment_type: r.opt_text("assignment_type")?,
        role_ids: Vec::new(),
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn category_from_row(r: &AnyRow) -> StoreResult<PermissionCategory> {
    Ok(PermissionCategory {
        id: r.uuid("id")?,
        name: r.text("name")?,
        description: r.opt_text("description")?,
        fe_category: r.flag("fe_category")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
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

/// Attaches role ids to permissions.
async fn with_roles(pool: &AnyPool, mut perms: Vec<Permission>) -> StoreResult<Vec<Permission>> {
    let ids: Vec<String> = perms.iter().map(|p| p.id.to_string()).collect();
    let rows =
        fetch_in(pool, "SELECT role_id, permission_id FROM role_permissions WHERE permission_id IN ({in})", &ids)
            .await?;
    let mut grants: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &rows {
        grants.entry(r.uuid("permission_id")?).or_default().push(r.uuid("role_id")?);
    }
    for p in &mut perms {
        let mut r = grants.remove(&p.id).unwrap_or_default();
        r.sort();
        p.role_ids = r;
    }
    Ok(perms)
}

/// Roles by id with their permission ids; used by the user store to build memberships.
pub(crate) async fn load_roles(pool: &AnyPool, ids: &[Uuid]) -> StoreResult<Vec<Role>> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    let rows = fetch_in(pool, "SELECT * FROM roles WHERE id IN ({in})", &ids).await?;
    let roles = rows.iter().map(role_from_row).collect::<StoreResult<Vec<_>>>()?;
    with_permissions(pool, roles).await
}

#[async_trait::async_trait]
impl RoleStore for SqlStore {
    async fn create_roles(&self, roles: &[Role]) -> StoreResult<Vec<Role>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for r in roles {
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
            .map_err(|e| match db_err(e) {
                StoreError::NotFound(_) => StoreError::NotFound("tenant"),
                other => other,
            })?;
            for p in &r.permission_ids {
                sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2)")
                    .bind(r.id.to_string())
                    .bind(p.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match db_err(e) {
                        StoreError::NotFound(_) => StoreError::NotFound("permission"),
                        other => other,
                    })?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(roles.to_vec())
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
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let row = sqlx::query("SELECT * FROM roles WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound("role"))?;
        let mut r = role_from_row(&row)?;
        change(&mut r).map_err(StoreError::Invalid)?;
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
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        self.get_role(id).await
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
        for p in permission_ids {
            sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(role_id.to_string())
                .bind(p.to_string())
                .execute(&mut *tx)
                .await
                .map_err(|e| match db_err(e) {
                    StoreError::NotFound(_) => StoreError::NotFound("permission"),
                    other => other,
                })?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_role(role_id).await
    }

    async fn create_permissions(&self, permissions: &[Permission]) -> StoreResult<Vec<Permission>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for p in permissions {
            sqlx::query(
                "INSERT INTO permissions (id, key, name, description, category_id, assignment_type, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(p.id.to_string())
            .bind(&p.key)
            .bind(&p.name)
            .bind(p.description.clone())
            .bind(p.category_id.map(|c| c.to_string()))
            .bind(p.assignment_type.clone())
            .bind(ms(p.created_at))
            .bind(ms(p.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| match db_err(e) {
                StoreError::NotFound(_) => StoreError::NotFound("category"),
                other => other,
            })?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(permissions.to_vec())
    }

    async fn get_permission(&self, id: Uuid) -> StoreResult<Permission> {
        self.permissions_by_ids(&[id]).await?.pop().ok_or(StoreError::NotFound("permission"))
    }

    async fn list_permissions(&self) -> StoreResult<Vec<Permission>> {
        let rows = sqlx::query("SELECT * FROM permissions ORDER BY key").fetch_all(&self.read).await.map_err(db_err)?;
        let perms = rows.iter().map(permission_from_row).collect::<StoreResult<Vec<_>>>()?;
        with_roles(&self.read, perms).await
    }

    async fn permissions_by_ids(&self, ids: &[Uuid]) -> StoreResult<Vec<Permission>> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let rows = fetch_in(&self.read, "SELECT * FROM permissions WHERE id IN ({in}) ORDER BY key", &ids).await?;
        let perms = rows.iter().map(permission_from_row).collect::<StoreResult<Vec<_>>>()?;
        with_roles(&self.read, perms).await
    }

    async fn update_permission(&self, id: Uuid, change: Mutation<Permission>) -> StoreResult<Permission> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let row = sqlx::query("SELECT * FROM permissions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound("permission"))?;
        let mut p = permission_from_row(&row)?;
        change(&mut p).map_err(StoreError::Invalid)?;
        sqlx::query(
            "UPDATE permissions SET key = $1, name = $2, description = $3, category_id = $4, assignment_type = $5,
             updated_at = $6 WHERE id = $7",
        )
        .bind(&p.key)
        .bind(&p.name)
        .bind(p.description.clone())
        .bind(p.category_id.map(|c| c.to_string()))
        .bind(p.assignment_type.clone())
        .bind(ms(p.updated_at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::NotFound(_) => StoreError::NotFound("category"),
            other => other,
        })?;
        tx.commit().await.map_err(db_err)?;
        self.get_permission(id).await
    }

    async fn delete_permission(&self, id: Uuid) -> StoreResult<()> {
        let n = sqlx::query("DELETE FROM permissions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 { Err(StoreError::NotFound("permission")) } else { Ok(()) }
    }

    async fn set_permission_roles(&self, permission_id: Uuid, role_ids: &[Uuid]) -> StoreResult<Permission> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let touched = sqlx::query("UPDATE permissions SET updated_at = $1 WHERE id = $2")
            .bind(ms(Utc::now()))
            .bind(permission_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if touched == 0 {
            return Err(StoreError::NotFound("permission"));
        }
        sqlx::query("DELETE FROM role_permissions WHERE permission_id = $1")
            .bind(permission_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for r in role_ids {
            sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(r.to_string())
                .bind(permission_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(|e| match db_err(e) {
                    StoreError::NotFound(_) => StoreError::NotFound("role"),
                    other => other,
                })?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_permission(permission_id).await
    }

    async fn create_category(&self, c: &PermissionCategory) -> StoreResult<PermissionCategory> {
        sqlx::query(
            "INSERT INTO permission_categories (id, name, description, fe_category, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id.to_string())
        .bind(&c.name)
        .bind(c.description.clone())
        .bind(flag(c.fe_category))
        .bind(ms(c.created_at))
        .bind(ms(c.updated_at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(c.clone())
    }

    async fn list_categories(&self) -> StoreResult<Vec<PermissionCategory>> {
        let rows = sqlx::query("SELECT * FROM permission_categories ORDER BY created_at, id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(category_from_row).collect()
    }

    async fn update_category(&self, id: Uuid, change: Mutation<PermissionCategory>) -> StoreResult<PermissionCategory> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let row = sqlx::query("SELECT * FROM permission_categories WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound("category"))?;
        let mut c = category_from_row(&row)?;
        change(&mut c).map_err(StoreError::Invalid)?;
        sqlx::query("UPDATE permission_categories SET name = $1, description = $2, updated_at = $3 WHERE id = $4")
            .bind(&c.name)
            .bind(c.description.clone())
            .bind(ms(c.updated_at))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(c)
    }

    async fn delete_category(&self, id: Uuid) -> StoreResult<()> {
        let n = sqlx::query("DELETE FROM permission_categories WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 { Err(StoreError::NotFound("category")) } else { Ok(()) }
    }
}
