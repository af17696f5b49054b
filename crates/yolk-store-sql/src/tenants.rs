//! Tenants.

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use yolk_domain::{Tenant, TenantProfile};
use yolk_store::tenants::TenantQuery;
use yolk_store::{Mutation, StoreError, StoreResult, TenantStore};

use crate::rows::{RowExt, flag, ms};
use crate::{SqlStore, db_err};

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

#[async_trait::async_trait]
impl TenantStore for SqlStore {
    async fn create_tenant(&self, t: &Tenant) -> StoreResult<Tenant> {
        let mut conn = self.write.acquire().await.map_err(db_err)?;
        insert_tenant(&mut conn, t).await?;
        Ok(t.clone())
    }

    async fn get_tenant(&self, tenant_id: &str) -> StoreResult<Tenant> {
        let row = sqlx::query("SELECT * FROM tenants WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound("tenant"))?;
        tenant_from_row(&row)
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
        // No filter binds `%`, which matches every row: one statement text for both cases.
        let pattern = format!("%{}%", q.filter.as_deref().unwrap_or_default().to_lowercase());
        let filter_sql = " WHERE (LOWER(name) LIKE $1 OR LOWER(tenant_id) LIKE $1)";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM tenants{filter_sql}")))
            .bind(&pattern)
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        let limit = q.limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT * FROM tenants{filter_sql} ORDER BY created_at, tenant_id LIMIT $2 OFFSET $3"
        )))
        .bind(pattern)
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
        let row = sqlx::query("SELECT * FROM tenants WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut t = tenant_from_row(&row)?;
        change(&mut t).map_err(StoreError::Invalid)?;
        sqlx::query(
            "UPDATE tenants SET name = $1, metadata = $2, parent_tenant_id = $3, alias = $4, is_reseller = $5,
             profile = $6, updated_at = $7 WHERE tenant_id = $8",
        )
        .bind(&t.name)
        .bind(t.metadata.clone())
        .bind(t.parent_tenant_id.clone())
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
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL")
            .bind(ms(chrono::Utc::now()))
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let deleted = sqlx::query("DELETE FROM tenants WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound("tenant"));
        }
        tx.commit().await.map_err(db_err)
    }
}
