//! Changes to a user's place among tenants that touch several tables at once: each function is one transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use yolk_domain::{Tenant, User};
use yolk_store::{StoreError, StoreResult};

use super::{fetch_user, insert_membership};
use crate::rows::{flag, ms};
use crate::{SqlStore, db_err};

/// Revokes the live sessions a user holds in one tenant.
pub(super) async fn revoke_tenant_sessions(
    tx: &mut sqlx::AnyConnection,
    user_id: Uuid,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND tenant_id = $3 AND revoked_at IS NULL")
        .bind(ms(now))
        .bind(user_id.to_string())
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Deletes a membership (its roles cascade) and revokes the sessions held in that tenant; `NotFound` if the user is
/// not a member.
pub(super) async fn delete_membership(
    tx: &mut sqlx::AnyConnection,
    user_id: Uuid,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let n = sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2")
        .bind(user_id.to_string())
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("membership"));
    }
    revoke_tenant_sessions(tx, user_id, tenant_id, now).await
}

pub(super) async fn remove_from_tenant(
    store: &SqlStore,
    user_id: Uuid,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut tx = store.write.begin().await.map_err(db_err)?;
    delete_membership(&mut tx, user_id, tenant_id, now).await?;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    let deleted = left == 0;
    if deleted {
        // Its sessions and refresh tokens cascade with it.
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    } else {
        sqlx::query("UPDATE users SET active_tenant_id = NULL WHERE id = $1 AND active_tenant_id = $2")
            .bind(user_id.to_string())
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(deleted)
}

pub(super) async fn set_user_locked(
    store: &SqlStore,
    user_id: Uuid,
    locked: bool,
    now: DateTime<Utc>,
) -> StoreResult<User> {
    let mut tx = store.write.begin().await.map_err(db_err)?;
    let n = sqlx::query("UPDATE users SET locked = $1, updated_at = $2 WHERE id = $3")
        .bind(flag(locked))
        .bind(ms(now))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    if locked {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    let user = fetch_user(&mut *tx, user_id).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(user)
}

pub(super) async fn set_active_tenant(
    store: &SqlStore,
    user_id: Uuid,
    tenant_id: &str,
    new_tenant: Option<&Tenant>,
    role_ids: &[Uuid],
) -> StoreResult<User> {
    let now = Utc::now();
    let mut tx = store.write.begin().await.map_err(db_err)?;
    fetch_user(&mut *tx, user_id).await?;
    if let Some(t) = new_tenant {
        crate::tenants::insert_tenant(&mut tx, t).await?;
    }
    let member: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM memberships WHERE user_id = $1 AND tenant_id = $2")
            .bind(user_id.to_string())
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
    if member.is_none() {
        insert_membership(&mut tx, user_id, tenant_id, role_ids, now).await?;
    }
    sqlx::query("UPDATE users SET active_tenant_id = $1, updated_at = $2 WHERE id = $3")
        .bind(tenant_id)
        .bind(ms(now))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let user = fetch_user(&mut *tx, user_id).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(user)
}

pub(super) async fn migrate_tenant_users(
    store: &SqlStore,
    src: &str,
    target: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut tx = store.write.begin().await.map_err(db_err)?;
    for tenant in [src, target] {
        let found: Option<String> = sqlx::query_scalar("SELECT tenant_id FROM tenants WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if found.is_none() {
            return Err(StoreError::NotFound("tenant"));
        }
    }
    let moved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE tenant_id = $1")
        .bind(src)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    // New members of the target; users already there keep that membership.
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, disabled, created_at)
         SELECT $1, m.user_id, m.disabled, $3 FROM memberships m
         WHERE m.tenant_id = $2
           AND NOT EXISTS (SELECT 1 FROM memberships t WHERE t.tenant_id = $1 AND t.user_id = m.user_id)",
    )
    .bind(target)
    .bind(src)
    .bind(ms(now))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    // Environment-wide roles travel; roles owned by the source tenant mean nothing in the target.
    sqlx::query(
        "INSERT INTO user_roles (tenant_id, user_id, role_id)
         SELECT $1, ur.user_id, ur.role_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         WHERE ur.tenant_id = $2 AND r.tenant_id IS NULL
         ON CONFLICT DO NOTHING",
    )
    .bind(target)
    .bind(src)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE users SET active_tenant_id = $1, updated_at = $3 WHERE active_tenant_id = $2")
        .bind(target)
        .bind(src)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL")
        .bind(ms(now))
        .bind(src)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query("DELETE FROM memberships WHERE tenant_id = $1").bind(src).execute(&mut *tx).await.map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(u64::try_from(moved).unwrap_or_default())
}
