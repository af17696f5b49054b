//! Permissions and permission categories: the bodies of the [`yolk_store::RoleStore`] methods that address them.

use std::collections::HashMap;

use chrono::Utc;
use sqlx::AnyPool;
use sqlx::any::AnyRow;
use uuid::Uuid;
use yolk_domain::{Permission, PermissionCategory};
use yolk_store::{Mutation, StoreError, StoreResult};

use super::{dedup, fetch_in};
use crate::db_err;
use crate::rows::{RowExt, flag, ms};

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

/// A reference failure while writing a permission names what was missing.
fn missing(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match db_err(e) {
        StoreError::NotFound(_) => StoreError::NotFound(what),
        other => other,
    }
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

pub(super) async fn create_permissions(pool: &AnyPool, permissions: &[Permission]) -> StoreResult<Vec<Permission>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
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
        .map_err(missing("category"))?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(permissions.to_vec())
}

pub(super) async fn list_permissions(pool: &AnyPool) -> StoreResult<Vec<Permission>> {
    let rows = sqlx::query("SELECT * FROM permissions ORDER BY key").fetch_all(pool).await.map_err(db_err)?;
    let perms = rows.iter().map(permission_from_row).collect::<StoreResult<Vec<_>>>()?;
    with_roles(pool, perms).await
}

pub(super) async fn permissions_by_ids(pool: &AnyPool, ids: &[Uuid]) -> StoreResult<Vec<Permission>> {
    let ids = dedup(ids);
    let rows = fetch_in(pool, "SELECT * FROM permissions WHERE id IN ({in}) ORDER BY key", &ids).await?;
    let perms = rows.iter().map(permission_from_row).collect::<StoreResult<Vec<_>>>()?;
    with_roles(pool, perms).await
}

pub(super) async fn update_permission(pool: &AnyPool, id: Uuid, change: Mutation<Permission>) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
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
    .map_err(missing("category"))?;
    tx.commit().await.map_err(db_err)
}

pub(super) async fn delete_permission(pool: &AnyPool, id: Uuid) -> StoreResult<()> {
    let n = sqlx::query("DELETE FROM permissions WHERE id = $1")
        .bind(id.to_string())
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 { Err(StoreError::NotFound("permission")) } else { Ok(()) }
}

/// Grants a permission to roles; with `replace`, the roles not listed lose it.
pub(super) async fn grant_to_roles(
    pool: &AnyPool,
    permission_id: Uuid,
    role_ids: &[Uuid],
    replace: bool,
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
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
    if replace {
        sqlx::query("DELETE FROM role_permissions WHERE permission_id = $1")
            .bind(permission_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    for r in dedup(role_ids) {
        sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(r)
            .bind(permission_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(missing("role"))?;
    }
    tx.commit().await.map_err(db_err)
}

pub(super) async fn classify_permissions(pool: &AnyPool, ids: &[Uuid], assignment_type: &str) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let now = ms(Utc::now());
    for id in dedup(ids) {
        let n = sqlx::query("UPDATE permissions SET assignment_type = $1, updated_at = $2 WHERE id = $3")
            .bind(assignment_type)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("permission"));
        }
    }
    tx.commit().await.map_err(db_err)
}

pub(super) async fn create_category(pool: &AnyPool, c: &PermissionCategory) -> StoreResult<PermissionCategory> {
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
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(c.clone())
}

pub(super) async fn list_categories(pool: &AnyPool) -> StoreResult<Vec<PermissionCategory>> {
    let rows = sqlx::query("SELECT * FROM permission_categories ORDER BY created_at, id")
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(category_from_row).collect()
}

pub(super) async fn update_category(
    pool: &AnyPool,
    id: Uuid,
    change: Mutation<PermissionCategory>,
) -> StoreResult<PermissionCategory> {
    let mut tx = pool.begin().await.map_err(db_err)?;
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

pub(super) async fn delete_category(pool: &AnyPool, id: Uuid) -> StoreResult<()> {
    let n = sqlx::query("DELETE FROM permission_categories WHERE id = $1")
        .bind(id.to_string())
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 { Err(StoreError::NotFound("category")) } else { Ok(()) }
}
