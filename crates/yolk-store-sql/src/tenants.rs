//! Tenants and their hierarchy.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use yolk_domain::{Tenant, TenantId, TenantProfile};
use yolk_store::tenants::{TenantQuery, TenantSort};
use yolk_store::{Entity, Mutation, StoreError, StoreResult, TenantStore};

use crate::counts::{Tally, lock_members, lock_tenants};
use crate::rows::{Record, RowExt, flag, lock_and_read, missing, ms, read_by_key};
use crate::{Backend, SqlStore, db_err, placeholders};

/// Serializes hierarchy changes on PostgreSQL (SQLite has a single writer already); see `set_tenant_parent`.
const HIERARCHY_LOCK: i64 = 0x796f_6c6b_0002; // "yolk" + 2

impl Record for Tenant {
    const TABLE: &'static str = "tenants";
    const KEY: &'static str = "tenant_id";
    const ENTITY: Entity = Entity::Tenant;

    fn from_row<R: RowExt>(r: &R) -> StoreResult<Self> {
        let profile: TenantProfile = serde_json::from_str(&r.text("profile")?)
            .map_err(|e| StoreError::Backend(format!("tenant profile: {e}")))?;
        Ok(Tenant {
            id: r.id("id")?,
            tenant_id: r.tenant_id("tenant_id")?,
            name: r.text("name")?,
            metadata: r.opt_text("metadata")?,
            parent_tenant_id: r.opt_tenant_id("parent_tenant_id")?,
            alias: r.opt_text("alias")?,
            is_reseller: r.flag("is_reseller")?,
            profile,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

fn profile_json(t: &Tenant) -> String {
    serde_json::to_string(&t.profile).unwrap_or_else(|_| "{}".to_owned())
}

/// `s` as a LIKE pattern matching itself literally (with `ESCAPE '!'`).
fn like_literal(s: &str) -> String {
    s.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

/// Inserts a tenant on `conn` (inside the caller's transaction), counted in `tally`.
pub(crate) async fn insert_tenant(conn: &mut sqlx::AnyConnection, t: &Tenant, tally: &mut Tally) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tenants (id, tenant_id, name, metadata, parent_tenant_id, alias, is_reseller, profile,
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(t.id.to_string())
    .bind(t.tenant_id.as_str())
    .bind(&t.name)
    .bind(t.metadata.clone())
    .bind(t.parent_tenant_id.as_ref().map(TenantId::as_str))
    .bind(t.alias.clone())
    .bind(flag(t.is_reseller))
    .bind(profile_json(t))
    .bind(ms(t.created_at))
    .bind(ms(t.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(missing(Entity::ParentTenant))?;
    tally.tenants(1);
    Ok(())
}

async fn fetch_tenant(conn: &mut sqlx::AnyConnection, tenant_id: &TenantId) -> StoreResult<Option<Tenant>> {
    let row = sqlx::query("SELECT * FROM tenants WHERE tenant_id = $1")
        .bind(tenant_id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    row.as_ref().map(Tenant::from_row).transpose()
}

/// Serializes hierarchy changes across nodes (PostgreSQL): two concurrent moves (A under B, B under A) would each
/// pass the cycle check under READ COMMITTED.
async fn lock_hierarchy(store: &SqlStore, tx: &mut sqlx::AnyConnection) -> StoreResult<()> {
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(HIERARCHY_LOCK).execute(&mut *tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// The parent chain above `tenant_id` (nearest first), stopping if it ever loops.
async fn parent_chain(conn: &mut sqlx::AnyConnection, tenant_id: &TenantId) -> StoreResult<Vec<TenantId>> {
    let mut chain: Vec<TenantId> = Vec::new();
    let mut current = tenant_id.clone();
    loop {
        let parent: Option<Option<String>> =
            sqlx::query_scalar("SELECT parent_tenant_id FROM tenants WHERE tenant_id = $1")
                .bind(current.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        match parent.flatten().map(TenantId::from_stored) {
            Some(p) if &p != tenant_id && !chain.contains(&p) => {
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
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut tally = Tally::default();
        insert_tenant(&mut tx, t, &mut tally).await?;
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(t.clone())
    }

    async fn get_tenant(&self, tenant_id: &TenantId) -> StoreResult<Tenant> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        fetch_tenant(&mut conn, tenant_id).await?.ok_or(StoreError::NotFound(Entity::Tenant))
    }

    async fn get_tenant_by_alias(&self, alias: &str) -> StoreResult<Tenant> {
        let row = sqlx::query("SELECT * FROM tenants WHERE alias = $1")
            .bind(alias)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::Tenant))?;
        Tenant::from_row(&row)
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
            args.extend(ids.iter().map(|t| t.as_str().to_owned()));
            conds.push(format!("tenant_id IN ({})", placeholders(first, ids.len())));
        }
        let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        // Every tenant: the maintained count (with the page's rows), else a count of the rows that match.
        let maintained = conds.is_empty().then_some("SELECT tenants FROM store_counts WHERE id = 1");
        let counted = match maintained {
            Some(_) => None,
            None => {
                let mut count =
                    sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT COUNT(*) FROM tenants{where_sql}")));
                for a in &args {
                    count = count.bind(a.clone());
                }
                Some(count.fetch_one(&self.read).await.map_err(db_err)?)
            }
        };
        // Each order is an index (`tenants_created`, `tenants_name`, the unique tenant id), ties by tenant id.
        let sort = match q.sort {
            TenantSort::CreatedAt => "created_at",
            TenantSort::Name => "LOWER(name)",
            TenantSort::TenantId => "tenant_id",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let total_column = maintained.map(|sql| format!(", ({sql}) AS list_total")).unwrap_or_default();
        let sql = format!(
            "SELECT *{total_column} FROM tenants{where_sql} ORDER BY {sort} {dir}, tenant_id {dir} \
             LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in &args {
            query = query.bind(a.clone());
        }
        let (limit, offset) = q.page.map_or((i64::MAX, 0), |p| {
            (i64::try_from(p.limit).unwrap_or(i64::MAX), i64::try_from(p.offset).unwrap_or(i64::MAX))
        });
        let rows = query.bind(limit).bind(offset).fetch_all(&self.read).await.map_err(db_err)?;
        let total = match (counted, maintained, rows.first()) {
            (Some(n), _, _) => n,
            (None, _, Some(r)) => r.opt_int("list_total")?.unwrap_or_default(),
            (None, Some(sql), None) => {
                sqlx::query_scalar::<_, i64>(sql).fetch_optional(&self.read).await.map_err(db_err)?.unwrap_or_default()
            }
            (None, None, None) => 0,
        };
        let tenants = rows.iter().map(Tenant::from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok((tenants, u64::try_from(total).unwrap_or_default()))
    }

    async fn descendant_tenants(&self, tenant_id: &TenantId) -> StoreResult<Vec<Tenant>> {
        // Whole rows, level by level through the `tenants_parent` index: O(descendants). UNION (not UNION ALL) drops
        // rows already produced, so even a corrupt, looping hierarchy terminates. PostgreSQL estimates a recursive
        // query's size blindly and may merge-join the whole parent index at each level instead: a lateral
        // sub-select it cannot flatten (`OFFSET 0`) leaves it only the per-tenant lookup.
        let sql = match self.backend {
            Backend::Sqlite => {
                "WITH RECURSIVE below AS (
                     SELECT * FROM tenants WHERE parent_tenant_id = $1
                     UNION
                     SELECT t.* FROM below b JOIN tenants t ON t.parent_tenant_id = b.tenant_id
                 )
                 SELECT * FROM below WHERE tenant_id <> $1 ORDER BY created_at, tenant_id"
            }
            Backend::Postgres => {
                "WITH RECURSIVE below AS (
                     SELECT * FROM tenants WHERE parent_tenant_id = $1
                     UNION
                     SELECT c.* FROM below b
                     CROSS JOIN LATERAL (SELECT * FROM tenants t WHERE t.parent_tenant_id = b.tenant_id OFFSET 0) c
                 )
                 SELECT * FROM below WHERE tenant_id <> $1 ORDER BY created_at, tenant_id"
            }
        };
        let rows = sqlx::query(sql).bind(tenant_id.as_str()).fetch_all(&self.read).await.map_err(db_err)?;
        rows.iter().map(Tenant::from_row).collect()
    }

    async fn ancestor_tenants(&self, tenant_id: &TenantId) -> StoreResult<Vec<Tenant>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        if fetch_tenant(&mut conn, tenant_id).await?.is_none() {
            return Err(StoreError::NotFound(Entity::Tenant));
        }
        let chain = parent_chain(&mut conn, tenant_id).await?;
        if chain.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT * FROM tenants WHERE tenant_id IN ({})", placeholders(1, chain.len()));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &chain {
            query = query.bind(id.as_str().to_owned());
        }
        let rows = query.fetch_all(&mut *conn).await.map_err(db_err)?;
        let mut by_id: HashMap<TenantId, Tenant> = HashMap::new();
        for r in &rows {
            let t = Tenant::from_row(r)?;
            by_id.insert(t.tenant_id.clone(), t);
        }
        Ok(chain.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn set_tenant_parent(
        &self,
        tenant_id: &TenantId,
        parent: Option<&TenantId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Tenant> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        lock_hierarchy(self, &mut tx).await?;
        let mut tenant: Tenant = lock_and_read(&mut tx, tenant_id.as_str()).await?;
        if let Some(p) = parent {
            if p == tenant_id {
                return Err(StoreError::Invalid("A tenant cannot be its own parent".into()));
            }
            if fetch_tenant(&mut tx, p).await?.is_none() {
                return Err(StoreError::NotFound(Entity::ParentTenant));
            }
            if parent_chain(&mut tx, p).await?.iter().any(|a| a == tenant_id) {
                return Err(StoreError::Invalid("A tenant cannot be placed under one of its own sub-accounts".into()));
            }
        }
        tenant.parent_tenant_id = parent.cloned();
        tenant.updated_at = now;
        sqlx::query("UPDATE tenants SET parent_tenant_id = $1, updated_at = $2 WHERE tenant_id = $3")
            .bind(parent.map(TenantId::as_str))
            .bind(ms(now))
            .bind(tenant_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(tenant)
    }

    async fn update_tenant(
        &self,
        tenant_id: &TenantId,
        change: Mutation<Tenant>,
        now: DateTime<Utc>,
    ) -> StoreResult<Tenant> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut t: Tenant = lock_and_read(&mut tx, tenant_id.as_str()).await?;
        let parent_before = t.parent_tenant_id.clone();
        change(&mut t)?;
        // The hierarchy only changes through `set_tenant_parent`, which checks for cycles.
        t.parent_tenant_id = parent_before;
        t.updated_at = now;
        sqlx::query(
            "UPDATE tenants SET name = $1, metadata = $2, alias = $3, is_reseller = $4, profile = $5, updated_at = $6
             WHERE tenant_id = $7",
        )
        .bind(&t.name)
        .bind(t.metadata.clone())
        .bind(t.alias.clone())
        .bind(flag(t.is_reseller))
        .bind(profile_json(&t))
        .bind(ms(now))
        .bind(tenant_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // Answer what was stored (the mutation may have touched fields that are not written).
        let stored = read_by_key(&mut tx, tenant_id.as_str()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn delete_tenant(&self, tenant_id: &TenantId, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Re-parenting is a hierarchy change: serialize it with `set_tenant_parent`.
        lock_hierarchy(self, &mut tx).await?;
        let tenant = fetch_tenant(&mut tx, tenant_id).await?.ok_or(StoreError::NotFound(Entity::Tenant))?;
        let id = tenant_id.as_str();
        lock_tenants(&mut tx, self.backend, &[id]).await?;
        let mut tally = Tally::default();
        sqlx::query("UPDATE tenants SET parent_tenant_id = $1, updated_at = $2 WHERE parent_tenant_id = $3")
            .bind(tenant.parent_tenant_id.as_ref().map(TenantId::as_str))
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // No member joins, and no member's other memberships change, until commit: which users are deleted below
        // is decided on a stable set.
        lock_members(&mut tx, self.backend, id).await?;
        // Users whose only tenant it was. Their memberships are all in this tenant, whose counts go with it.
        let deleted = sqlx::query(
            "DELETE FROM users WHERE id IN (SELECT user_id FROM memberships WHERE tenant_id = $1)
             AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id <> $1)
             RETURNING invisible",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for r in &deleted {
            tally.users(-1, r.flag("invisible")?);
        }
        sqlx::query("UPDATE users SET active_tenant_id = NULL WHERE active_tenant_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM settings WHERE key LIKE $1 ESCAPE '!'")
            .bind(format!("%:{}", like_literal(id)))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Memberships (with their counts row), user roles and tenant-owned roles go with the row (ON DELETE
        // CASCADE).
        sqlx::query("DELETE FROM tenants WHERE tenant_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
        tally.tenants(-1);
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }
}
