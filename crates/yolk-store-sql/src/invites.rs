//! `TenantInviteStore`: tenant invitation links.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use yolk_domain::{RoleId, TenantId, UserId};
use yolk_store::{Entity, StoreError, StoreResult, TenantInvite, TenantInviteStore};

use crate::rows::{Arg, Decode, RowExt, flag, missing, ms};
use crate::{SqlStore, db_err};

impl Decode for TenantInvite {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let roles: Vec<String> = serde_json::from_str(&r.text("role_ids")?)
            .map_err(|_| StoreError::Backend("bad role ids in store".into()))?;
        let role_ids = roles
            .iter()
            .map(|s| Uuid::parse_str(s).map(RoleId::from))
            .collect::<Result<_, _>>()
            .map_err(|_| StoreError::Backend("bad role id in store".into()))?;
        Ok(TenantInvite {
            id: r.text("id")?,
            tenant_id: r.tenant_id("tenant_id")?,
            user_id: r.opt_id("user_id")?,
            token: r.text("token")?,
            expires_at: r.time("expires_at")?,
            should_send_email: r.flag("should_send_email")?,
            role_ids,
            created_at: r.time("created_at")?,
        })
    }
}

impl SqlStore {
    async fn invite_where(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<TenantInvite>> {
        Ok(self.fetch_bounded(sql, args).await?.pop())
    }
}

#[async_trait::async_trait]
impl TenantInviteStore for SqlStore {
    async fn put_tenant_invite(&self, invite: &TenantInvite) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if let Some(user) = invite.user_id {
            sqlx::query("DELETE FROM tenant_invites WHERE tenant_id = $1 AND user_id = $2")
                .bind(invite.tenant_id.as_str())
                .bind(user.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let roles: Vec<String> = invite.role_ids.iter().map(ToString::to_string).collect();
        let roles = serde_json::to_string(&roles).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(
            "INSERT INTO tenant_invites (id, tenant_id, user_id, token, expires_at, should_send_email, role_ids,
                                         created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&invite.id)
        .bind(invite.tenant_id.as_str())
        .bind(invite.user_id.map(|u| u.to_string()))
        .bind(&invite.token)
        .bind(ms(invite.expires_at))
        .bind(flag(invite.should_send_email))
        .bind(roles)
        .bind(ms(invite.created_at))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::Tenant))?;
        tx.commit().await.map_err(db_err)
    }

    async fn tenant_invite_by_token(&self, token: &str) -> StoreResult<Option<TenantInvite>> {
        self.invite_where("SELECT * FROM tenant_invites WHERE token = $1", &[Arg::from(token)]).await
    }

    async fn user_tenant_invite(&self, tenant: &TenantId, user: UserId) -> StoreResult<Option<TenantInvite>> {
        let user = user.to_string();
        self.invite_where(
            "SELECT * FROM tenant_invites WHERE tenant_id = $1 AND user_id = $2",
            &[Arg::from(tenant), Arg::from(&user)],
        )
        .await
    }

    async fn list_tenant_invites(&self, limit: u64) -> StoreResult<Vec<TenantInvite>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.fetch_bounded("SELECT * FROM tenant_invites ORDER BY created_at DESC, id LIMIT $1", &[limit.into()]).await
    }

    async fn update_tenant_invite(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
        should_send_email: bool,
    ) -> StoreResult<TenantInvite> {
        let updated = sqlx::query("UPDATE tenant_invites SET expires_at = $1, should_send_email = $2 WHERE id = $3")
            .bind(ms(expires_at))
            .bind(flag(should_send_email))
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound(Entity::TenantInvite));
        }
        let row = sqlx::query("SELECT * FROM tenant_invites WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(db_err)?;
        row.as_ref().map(TenantInvite::decode).transpose()?.ok_or(StoreError::NotFound(Entity::TenantInvite))
    }

    async fn delete_tenant_invite(&self, id: &str) -> StoreResult<()> {
        crate::rows::touched(
            sqlx::query("DELETE FROM tenant_invites WHERE id = $1").bind(id).execute(&self.write).await,
            Entity::TenantInvite,
        )
    }
}
