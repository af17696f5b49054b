//! Tenants and their hierarchy.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use yolk_domain::{Tenant, TenantProfile};
use yolk_store::tenants::{TenantQuery, TenantSort};
use yolk_store::{Mutation, StoreError, StoreResult, TenantStore};

use crate::rows::{RowExt, flag, from_ms, ms};
use crate::{Backend, SqlStore, db_err, placeholders};

/// Serializes hierarchy changes on PostgreSQL (SQLite has a single writer already); see `set_tenant_parent`.
const HIERARCHY_LOCK: i64 = 0x796f_6c6b_0002; // "yolk" + 2

fn tenant_from_row(r: &AnyRow) -> StoreResult<Tenant> {
    let profile: TenantProfile =
        serde_json::from_str(&r.text("profile")?).map_err(|e| StoreError::Backend(format!("tenant profile: {e}")))?;
    Ok(Tenant {
        id: r.uuid("id")?,
        tenant_id: r.text("tenant_id")?,
        name: r.text("name")?,
        metadata: r.opt_text("metadata")?,
        parent_tenant_id: r.opt_text("parent_tenant_id")?,
        alias: r.opt_text("alias")?,
        is_reseller: r.flag("is_reseller")?,
        profile,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn profile_json(t: &Tenant) -> String {
    serde_json::to_string(&t.profile).unwrap_or_else(|_| "{}".to_owned())
}

/// `s` as a LIKE pattern matching itself literally (with `ESCAPE '!'`).
fn like_literal(s: &str) -> String {
    s.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

/// Inserts a tenant on `conn` (inside the caller's transaction).
pub(crate) async fn insert_tenant(conn: &mut sqlx::AnyConnection, t: &Tenant) -> StoreResult<()> {
    sqlx::query(
            "INSERT INTO tenants (id, tenant_id, name, metadata, parent_tenant_id, alias, is_reseller, profile, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.id.to_string())
        .bind(&t.tenant_id)
        .bind(&t.name)
        .bind(t.metadata.clone())
        .bind(t.parent_tenant_id.clone())
        .bind(t.alias.clone())
        .bind(flag(t.is_reseller))
        .bind(profile_json(t))
        .bind(ms(t.created_at))
        .bind(ms(t.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::NotFound(_) => StoreError::NotFound("parent tenant"),
            other => other,
        })?;
    Ok(())
}

async fn fetch_tenant(conn: &mut sqlx::AnyConnection, tenant_id: &str) -> StoreResult<Option<Tenant>> {
    let row = sqlx::query("SELECT * FROM tenants WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    row.as_ref().map(tenant_from_row).transpose()
}

/// The parent chain above `tenant_id` (nearest first), stopping if it ever loops.
async fn parent_chain(conn: &mut sqlx::AnyConnection, tenant_id: &str) -> StoreResult<Vec<String>> {
    let mut chain: Vec<String> = Vec::new();
    let mut current = tenant_id.to_owned();
    loop {
        let parent: Option<Option<String>> =
            sqlx::query_scalar("SELECT parent_tenant_id FROM tenants WHERE tenant_id = $1")
                .bind(&current)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        match parent.flatten() {
            Some(p) if p != tenant_id && !chain.contains(&p) => {
                chain.push(p.clone());
                current = p;
            }
            _ => return Ok(chain),
        }
    }
}

#[async_trait::async_trait]
impl TenantStore for SqlStore {
    async fn create_tenant(&self, t: &Tenant) -> StoreResult<Tenant> {
        let mut conn = self.write.acquire().await.map_err(db_err)?;
        insert_tenant(&mut conn, t).await?;
        Ok(t.clone())
    }

    async fn get_tenant(&self, tenant_id: &str) -> StoreResult<Tenant> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        fetch_tenant(&mut conn, tenant_id).await?.ok_or(StoreError::NotFound("tenant"))
    }

    async fn get_tenant_by_alias(&self, alias: &str) -> StoreResult<Tenant> {
        let row = sqlx::query("SELECT * FROM tenants WHERE alias = $1")
            .bind(alias)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound("tenant"))?;
        tenant_from_row(&row)
    }

    async fn list_tenants(&self, q: &TenantQuery) -> StoreResult<(Vec<Tenant>, u64)> {
        // Conditions use numbered placeholders; the values are collected in the same order.
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(f) = q.filter.as_deref().filter(|f| !f.is_empty()) {
            args.push(format!("%{}%", like_literal(&f.to_lowercase())));
            conds.push(format!(
                "(LOWER(name) LIKE ${n} ESCAPE '!' OR LOWER(tenant_id) LIKE ${n} ESCAPE '!')",
                n = args.len()
            ));
        }
        if let Some(ids) = &q.tenant_ids {
            if ids.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let first = args.len() + 1;
            args.extend(ids.iter().cloned());
            conds.push(format!("tenant_id IN ({})", placeholders(first, ids.len())));
        }
        let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT COUNT(*) FROM tenants{where_sql}")));
        for a in &args {
            count = count.bind(a.clone());
        }
        let total = count.fetch_one(&self.read).await.map_err(db_err)?;
        let sort = match q.sort {
            TenantSort::CreatedAt => "created_at",
            TenantSort::Name => "LOWER(name)",
            TenantSort::TenantId => "tenant_id",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT * FROM tenants{where_sql} ORDER BY {sort} {dir}, tenant_id {dir} LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in &args {
            query = query.bind(a.clone());
        }
        let limit = q.limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = query
            .bind(limit)
            .bind(i64::try_from(q.offset).unwrap_or(i64::MAX))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let tenants = rows.iter().map(tenant_from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok((tenants, u64::try_from(total).unwrap_or_default()))
    }

    async fn child_tenants(&self, tenant_id: &str) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query("SELECT * FROM tenants WHERE parent_tenant_id = $1 ORDER BY created_at, tenant_id")
            .bind(tenant_id)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn descendant_tenants(&self, tenant_id: &str) -> StoreResult<Vec<Tenant>> {
        // UNION (not UNION ALL) drops rows already produced, so even a corrupt, looping hierarchy terminates.
        let rows = sqlx::query(
            "WITH RECURSIVE below (tenant_id) AS (
                 SELECT tenant_id FROM tenants WHERE parent_tenant_id = $1
                 UNION
                 SELECT t.tenant_id FROM tenants t JOIN below b ON t.parent_tenant_id = b.tenant_id
             )
             SELECT t.* FROM tenants t JOIN below b ON t.tenant_id = b.tenant_id
             WHERE t.tenant_id <> $1 ORDER BY t.created_at, t.tenant_id",
        )
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn ancestor_tenants(&self, tenant_id: &str) -> StoreResult<Vec<Tenant>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        if fetch_tenant(&mut conn, tenant_id).await?.is_none() {
            return Err(StoreError::NotFound("tenant"));
        }
        let chain = parent_chain(&mut conn, tenant_id).await?;
        if chain.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT * FROM tenants WHERE tenant_id IN ({})", placeholders(1, chain.len()));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &chain {
            query = query.bind(id.clone());
        }
        let rows = query.fetch_all(&mut *conn).await.map_err(db_err)?;
        let mut by_id: HashMap<String, Tenant> = HashMap::new();
        for r in &rows {
            let t = tenant_from_row(r)?;
            by_id.insert(t.tenant_id.clone(), t);
        }
        Ok(chain.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn set_tenant_parent(&self, tenant_id: &str, parent: Option<&str>) -> StoreResult<Tenant> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if self.backend == Backend::Postgres {
            // Two concurrent moves (A under B, B under A) would each pass the cycle check under READ COMMITTED.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(HIERARCHY_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let mut tenant = fetch_tenant(&mut tx, tenant_id).await?.ok_or(StoreError::NotFound("tenant"))?;
        if let Some(p) = parent {
            if p == tenant_id {
                return Err(StoreError::Invalid("A tenant cannot be its own parent".into()));
            }
            if fetch_tenant(&mut tx, p).await?.is_none() {
                return Err(StoreError::NotFound("parent tenant"));
            }
            if parent_chain(&mut tx, p).await?.iter().any(|a| a == tenant_id) {
                return Err(StoreError::Invalid("A tenant cannot be placed under one of its own sub-accounts".into()));
            }
        }
        let now = chrono::Utc::now();
        sqlx::query("UPDATE tenants SET parent_tenant_id = $1, updated_at = $2 WHERE tenant_id = $3")
            .bind(parent.map(str::to_owned))
            .bind(ms(now))
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tenant.parent_tenant_id = parent.map(str::to_owned);
        tenant.updated_at = from_ms(ms(now));
        Ok(tenant)
    }

    async fn update_tenant(&self, tenant_id: &str, change: Mutation<Tenant>) -> StoreResult<Tenant> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Touch first: takes the row lock on PostgreSQL so concurrent read-modify-writes serialize.
        let touched = sqlx::query("UPDATE tenants SET updated_at = updated_at WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if touched == 0 {
            return Err(StoreError::NotFound("tenant"));
        }
        let mut t = fetch_tenant(&mut tx, tenant_id).await?.ok_or(StoreError::NotFound("tenant"))?;
        let parent_before = t.parent_tenant_id.clone();
        change(&mut t).map_err(StoreError::Invalid)?;
        // The hierarchy only changes through `set_tenant_parent`, which checks for cycles.
        t.parent_tenant_id = parent_before;
        sqlx::query(
            "UPDATE tenants SET name = $1, metadata = $2, alias = $3, is_reseller = $4, profile = $5, updated_at = $6
             WHERE tenant_id = $7",
        )
        .bind(&t.name)
        .bind(t.metadata.clone())
        .bind(t.alias.clone())
        .bind(flag(t.is_reseller))
        .bind(profile_json(&t))
        .bind(ms(t.updated_at))
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(t)
    }

    async fn delete_tenant(&self, tenant_id: &str) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if self.backend == Backend::Postgres {
            // Re-parenting is a hierarchy change: serialize it with `set_tenant_parent`.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(HIERARCHY_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let tenant = fetch_tenant(&mut tx, tenant_id).await?.ok_or(StoreError::NotFound("tenant"))?;
        let now = ms(chrono::Utc::now());
        sqlx::query("UPDATE tenants SET parent_tenant_id = $1, updated_at = $2 WHERE parent_tenant_id = $3")
            .bind(tenant.parent_tenant_id.clone())
            .bind(now)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "DELETE FROM users WHERE id IN (SELECT user_id FROM memberships WHERE tenant_id = $1)
             AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id <> $1)",
        )
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("UPDATE users SET active_tenant_id = NULL WHERE active_tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM settings WHERE key LIKE $1 ESCAPE '!'")
            .bind(format!("%:{}", like_literal(tenant_id)))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Memberships, user roles and tenant-owned roles go with the row (ON DELETE CASCADE).
        sqlx::query("DELETE FROM tenants WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }
}
