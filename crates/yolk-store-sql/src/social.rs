//! `SocialProviderStore`: the environment's social login providers.

use yolk_store::social::{MAX_SOCIAL_PROVIDERS, SocialProvider, SocialProviderStore};
use yolk_store::{Entity, StoreError, StoreResult};

use crate::rows::{RowExt, flag, ms, touched};
use crate::{SqlStore, db_err};

const COLUMNS: &str = "id, custom, kind, client_id, secret, redirect_url, authorization_url, token_url, user_info_url, \
                       scopes, logo_url, display_name, active, created_at, updated_at";

fn from_row<R: RowExt>(r: &R) -> StoreResult<SocialProvider> {
    Ok(SocialProvider {
        id: r.text("id")?,
        custom: r.flag("custom")?,
        kind: r.text("kind")?,
        client_id: r.text("client_id")?,
        secret: r.text("secret")?,
        redirect_url: r.text("redirect_url")?,
        authorization_url: r.opt_text("authorization_url")?,
        token_url: r.opt_text("token_url")?,
        user_info_url: r.opt_text("user_info_url")?,
        scopes: r.text("scopes")?,
        logo_url: r.opt_text("logo_url")?,
        display_name: r.opt_text("display_name")?,
        active: r.flag("active")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

#[async_trait::async_trait]
impl SocialProviderStore for SqlStore {
    async fn put_social_provider(&self, p: &SocialProvider) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO social_providers (id, custom, kind, client_id, secret, redirect_url, authorization_url,
                 token_url, user_info_url, scopes, logo_url, display_name, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (id) DO UPDATE SET custom = excluded.custom, kind = excluded.kind,
                 client_id = excluded.client_id, secret = excluded.secret, redirect_url = excluded.redirect_url,
                 authorization_url = excluded.authorization_url, token_url = excluded.token_url,
                 user_info_url = excluded.user_info_url, scopes = excluded.scopes, logo_url = excluded.logo_url,
                 display_name = excluded.display_name, active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(&p.id)
        .bind(flag(p.custom))
        .bind(&p.kind)
        .bind(&p.client_id)
        .bind(&p.secret)
        .bind(&p.redirect_url)
        .bind(p.authorization_url.as_deref())
        .bind(p.token_url.as_deref())
        .bind(p.user_info_url.as_deref())
        .bind(&p.scopes)
        .bind(p.logo_url.as_deref())
        .bind(p.display_name.as_deref())
        .bind(flag(p.active))
        .bind(ms(p.created_at))
        .bind(ms(p.updated_at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn social_providers(&self) -> StoreResult<Vec<SocialProvider>> {
        let sql =
            format!("SELECT {COLUMNS} FROM social_providers ORDER BY created_at, id LIMIT {MAX_SOCIAL_PROVIDERS}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.read).await.map_err(db_err)?;
        rows.iter().map(from_row).collect()
    }

    async fn social_provider(&self, id: &str) -> StoreResult<SocialProvider> {
        let sql = format!("SELECT {COLUMNS} FROM social_providers WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.read).await.map_err(db_err)?;
        match row {
            Some(r) => from_row(&r),
            None => Err(StoreError::NotFound(Entity::SocialProvider)),
        }
    }

    async fn delete_social_provider(&self, id: &str) -> StoreResult<()> {
        touched(
            sqlx::query("DELETE FROM social_providers WHERE id = $1").bind(id).execute(&self.write).await,
            Entity::SocialProvider,
        )
    }
}
