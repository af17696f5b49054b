//! Permissions and the roles granting them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use yolk_domain::{AssignmentType, CategoryId, Permission, PermissionId, RoleId};
use yolk_store::{Entity, Mutation, PermissionStore, StoreError, StoreResult};

use crate::roles::{dedup, fetch_in};
use crate::rows::{Record, RowExt, delete_by_key, lock_and_read, missing, ms, touched};
use crate::{SqlStore, db_err};

impl Record for Permission {
    const TABLE: &'static str = "permissions";
    const KEY: &'static str = "id";
    const ENTITY: Entity = Entity::Permission;

    /// The permission without its role ids (see [`with_roles`]).
    fn from_row<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Permission {
            id: r.id("id")?,
            key: r.text("key")?,
            name: r.text("name")?,
            description: r.opt_text("description")?,
            category_id: r.opt_id::<CategoryId>("category_id")?,
            assignment_type: AssignmentType::from_stored(r.opt_text("assignment_type")?.as_deref()),
            role_ids: Vec::new(),
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

/// Attaches role ids to permissions.
async fn with_roles(pool: &AnyPool, mut perms: Vec<Permission>) -> StoreResult<Vec<Permission>> {
    let ids: Vec<String> = perms.iter().map(|p| p.id.to_string()).collect();
    let rows =
        fetch_in(pool, "SELECT role_id, permission_id FROM role_permissions WHERE permission_id IN ({in})", &ids)
            .await?;
    let mut grants: HashMap<PermissionId, Vec<RoleId>> = HashMap::new();
    for r in &rows {
        grants.entry(r.id("permission_id")?).or_default().push(r.id("role_id")?);
    }
    for p in &mut perms {
        let mut r = grants.remove(&p.id).unwrap_or_default();
        r.sort();
        p.role_ids = r;
    }
    Ok(perms)
}

/// Sets `updated_at` of a locked permission.
async fn touch(tx: &mut sqlx::AnyConnection, id: PermissionId, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("UPDATE permissions SET updated_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl PermissionStore for SqlStore {
    async fn create_permissions(&self, permissions: &[Permission]) -> StoreResult<Vec<Permission>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for p in permissions {
            sqlx::query(
                "INSERT INTO permissions (id, key, name, description, category_id, assignment_type, created_at,
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(p.id.to_string())
            .bind(&p.key)
            .bind(&p.name)
            .bind(p.description.clone())
            .bind(p.category_id.map(|c| c.to_string()))
            .bind(p.assignment_type.as_str())
            .bind(ms(p.created_at))
            .bind(ms(p.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(missing(Entity::Category))?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(permissions.to_vec())
    }

    async fn get_permission(&self, id: PermissionId) -> StoreResult<Permission> {
        self.permissions_by_ids(&[id]).await?.pop().ok_or(StoreError::NotFound(Entity::Permission))
    }

    async fn list_permissions(&self) -> StoreResult<Vec<Permission>> {
        let rows = sqlx::query("SELECT * FROM permissions ORDER BY key").fetch_all(&self.read).await.map_err(db_err)?;
        let perms = rows.iter().map(Permission::from_row).collect::<StoreResult<Vec<_>>>()?;
        with_roles(&self.read, perms).await
    }

    async fn permissions_by_ids(&self, ids: &[PermissionId]) -> StoreResult<Vec<Permission>> {
        let rows =
            fetch_in(&self.read, "SELECT * FROM permissions WHERE id IN ({in}) ORDER BY key", &dedup(ids)).await?;
        let perms = rows.iter().map(Permission::from_row).collect::<StoreResult<Vec<_>>>()?;
        with_roles(&self.read, perms).await
    }

    async fn permission_keys(&self, ids: &[PermissionId]) -> StoreResult<Vec<String>> {
        let rows =
            fetch_in(&self.read, "SELECT DISTINCT key FROM permissions WHERE id IN ({in}) ORDER BY key", &dedup(ids))
                .await?;
        rows.iter().map(|r| r.text("key")).collect()
    }

    async fn update_permission(
        &self,
        id: PermissionId,
        change: Mutation<Permission>,
        now: DateTime<Utc>,
    ) -> StoreResult<Permission> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut p: Permission = lock_and_read(&mut tx, &id.to_string()).await?;
        change(&mut p)?;
        sqlx::query(
            "UPDATE permissions SET key = $1, name = $2, description = $3, category_id = $4, assignment_type = $5,
             updated_at = $6 WHERE id = $7",
        )
        .bind(&p.key)
        .bind(&p.name)
        .bind(p.description.clone())
        .bind(p.category_id.map(|c| c.to_string()))
        .bind(p.assignment_type.as_str())
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::Category))?;
        tx.commit().await.map_err(db_err)?;
        self.get_permission(id).await
    }

    async fn delete_permission(&self, id: PermissionId) -> StoreResult<()> {
        delete_by_key::<Permission>(&self.write, &id.to_string()).await
    }

    async fn add_permission_roles(
        &self,
        id: PermissionId,
        role_ids: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<Permission> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let _: Permission = lock_and_read(&mut tx, &id.to_string()).await?;
        touch(&mut tx, id, now).await?;
        for r in dedup(role_ids) {
            sqlx::query("INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(r)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(missing(Entity::Role))?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get_permission(id).await
    }

    async fn classify_permissions(
        &self,
        ids: &[PermissionId],
        assignment_type: AssignmentType,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Permission>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for id in dedup(ids) {
            let result = sqlx::query("UPDATE permissions SET assignment_type = $1, updated_at = $2 WHERE id = $3")
                .bind(assignment_type.as_str())
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await;
            touched(result, Entity::Permission)?;
        }
        tx.commit().await.map_err(db_err)?;
        self.permissions_by_ids(ids).await
    }
}
