//! Permission categories.

use chrono::{DateTime, Utc};
use yolk_domain::{CategoryId, PermissionCategory};
use yolk_store::{CategoryStore, Entity, Mutation, StoreResult};

use crate::rows::{Record, RowExt, delete_by_key, flag, lock_and_read, ms, read_by_key};
use crate::{SqlStore, db_err};

impl Record for PermissionCategory {
    const TABLE: &'static str = "permission_categories";
    const KEY: &'static str = "id";
    const ENTITY: Entity = Entity::Category;

    fn from_row<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(PermissionCategory {
            id: r.id("id")?,
            name: r.text("name")?,
            description: r.opt_text("description")?,
            fe_category: r.flag("fe_category")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

#[async_trait::async_trait]
impl CategoryStore for SqlStore {
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
        rows.iter().map(PermissionCategory::from_row).collect()
    }

    async fn update_category(
        &self,
        id: CategoryId,
        change: Mutation<PermissionCategory>,
        now: DateTime<Utc>,
    ) -> StoreResult<PermissionCategory> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut c: PermissionCategory = lock_and_read(&mut tx, &id.to_string()).await?;
        change(&mut c)?;
        c.id = id;
        c.updated_at = now;
        sqlx::query("UPDATE permission_categories SET name = $1, description = $2, updated_at = $3 WHERE id = $4")
            .bind(&c.name)
            .bind(c.description.clone())
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Answer what was stored (the mutation may have touched fields that are not written).
        let stored = read_by_key(&mut tx, &id.to_string()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn delete_category(&self, id: CategoryId) -> StoreResult<()> {
        delete_by_key::<PermissionCategory>(&self.write, &id.to_string()).await
    }
}
