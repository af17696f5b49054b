//! Users, memberships and role assignments. Multi-row tenancy changes (leaving a tenant, locking, switching and
//! migrating tenants) live in [`tenancy`].

mod tenancy;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use uuid::Uuid;
use yolk_domain::{Membership, Tenant, User};
use yolk_store::users::{IdentifierKind, LoginIdentifier, NewUser, UserQuery, UserSort};
use yolk_store::{Mutation, StoreError, StoreResult, UserStore};

use crate::roles::load_roles;
use crate::rows::{RowExt, flag, ms};
use crate::{SqlStore, db_err, placeholders};

const USER_COLUMNS: &str = "id, email, email_norm, username, name, phone_number, profile_picture_url, metadata, \
     external_id, provider, verified, locked, super_user, invisible, active_tenant_id, last_login, created_at, updated_at";

/// Users without an email (username sign-up) store NULL so the unique index ignores them.
fn email_or_null(email: &str) -> Option<String> {
    (!email.is_empty()).then(|| email.to_owned())
}

fn user_from_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.uuid("id")?,
        email: r.opt_text("email")?.unwrap_or_default(),
        name: r.opt_text("name")?,
        username: r.opt_text("username")?,
        phone_number: r.opt_text("phone_number")?,
        profile_picture_url: r.opt_text("profile_picture_url")?,
        metadata: r.opt_text("metadata")?,
        external_id: r.opt_text("external_id")?,
        provider: r.text("provider")?,
        verified: r.flag("verified")?,
        locked: r.flag("locked")?,
        super_user: r.flag("super_user")?,
        invisible: r.flag("invisible")?,
        active_tenant_id: r.opt_text("active_tenant_id")?,
        last_login: r.opt_time("last_login")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) async fn fetch_user<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(ex: E, id: Uuid) -> StoreResult<User> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
        .bind(id.to_string())
        .fetch_optional(ex)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound("user"))?;
    user_from_row(&row)
}

/// Inserts user-role rows; a missing role (or one owned by another tenant) or membership surfaces as `NotFound`.
pub(crate) async fn insert_roles(
    tx: &mut sqlx::AnyConnection,
    user_id: Uuid,
    tenant_id: &str,
    role_ids: &[Uuid],
) -> StoreResult<()> {
    for role_id in role_ids {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM roles WHERE id = $1 AND (tenant_id IS NULL OR tenant_id = $2)")
                .bind(role_id.to_string())
                .bind(tenant_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if exists.is_none() {
            return Err(StoreError::NotFound("role"));
        }
        sqlx::query("INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(tenant_id)
            .bind(user_id.to_string())
            .bind(role_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Inserts an enabled membership with its roles (inside the caller's transaction). `NotFound` for an unknown
/// tenant or role, `Conflict` if the user is already a member.
pub(crate) async fn insert_membership(
    tx: &mut sqlx::AnyConnection,
    user_id: Uuid,
    tenant_id: &str,
    role_ids: &[Uuid],
    created_at: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO memberships (tenant_id, user_id, disabled, created_at) VALUES ($1, $2, 0, $3)")
        .bind(tenant_id)
        .bind(user_id.to_string())
        .bind(ms(created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::NotFound(_) => StoreError::NotFound("tenant"),
            other => other,
        })?;
    insert_roles(tx, user_id, tenant_id, role_ids).await
}

async fn require_membership(tx: &mut sqlx::AnyConnection, user_id: Uuid, tenant_id: &str) -> StoreResult<()> {
    let member: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM memberships WHERE user_id = $1 AND tenant_id = $2")
            .bind(user_id.to_string())
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
    member.map(|_| ()).ok_or(StoreError::NotFound("membership"))
}

/// Whether a user query filters by nothing but the tenant (and visibility).
fn only_tenant_filter(q: &UserQuery) -> bool {
    q.email.is_none()
        && q.filter.is_none()
        && q.name_prefix.is_none()
        && q.identifier.is_none()
        && q.external_ids.is_none()
        && q.ids.is_none()
}

/// Members of a tenant, from the membership primary key's range for the tenant; without invisible users, minus the
/// few invisible members found through the `users_invisible` partial index.
async fn count_members(pool: &sqlx::AnyPool, tenant_id: &str, include_invisible: bool) -> StoreResult<i64> {
    let sql = if include_invisible {
        "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1"
    } else {
        "SELECT (SELECT COUNT(*) FROM memberships WHERE tenant_id = $1)
              - (SELECT COUNT(*) FROM users u WHERE u.invisible = 1
                   AND EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = $1 AND m.user_id = u.id))"
    };
    sqlx::query_scalar(sql).bind(tenant_id).fetch_one(pool).await.map_err(db_err)
}

#[async_trait::async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, new: &NewUser) -> StoreResult<User> {
        let u = &new.user;
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if let Some(t) = &new.new_tenant {
            crate::tenants::insert_tenant(&mut tx, t).await?;
        }
        sqlx::query(
            "INSERT INTO users (id, email, email_norm, username, name, phone_number, profile_picture_url, metadata,
             external_id, provider, password_hash, verified, locked, super_user, invisible, active_tenant_id,
             last_login, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, NULL, $17, $18)",
        )
        .bind(u.id.to_string())
        .bind(email_or_null(&u.email))
        .bind(email_or_null(&u.email).map(|e| e.to_lowercase()))
        .bind(u.username.clone())
        .bind(u.name.clone())
        .bind(u.phone_number.clone())
        .bind(u.profile_picture_url.clone())
        .bind(u.metadata.clone())
        .bind(u.external_id.clone())
        .bind(&u.provider)
        .bind(new.password_hash.clone())
        .bind(flag(u.verified))
        .bind(flag(u.locked))
        .bind(flag(u.super_user))
        .bind(flag(u.invisible))
        .bind(u.active_tenant_id.clone())
        .bind(ms(u.created_at))
        .bind(ms(u.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(tenant_id) = &new.tenant_id {
            insert_membership(&mut tx, u.id, tenant_id, &new.role_ids, u.created_at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(u.clone())
    }

    async fn get_user(&self, id: Uuid) -> StoreResult<User> {
        fetch_user(&self.read, id).await
    }

    async fn get_user_by_email(&self, normalized_email: &str) -> StoreResult<User> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE email_norm = $1")))
            .bind(normalized_email)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound("user"))?;
        user_from_row(&row)
    }

    async fn login_candidate(&self, ident: &LoginIdentifier) -> StoreResult<Option<(User, Option<String>)>> {
        let (column, value) = match ident {
            LoginIdentifier::Email(e) => ("email_norm", e),
            LoginIdentifier::Username(u) => ("username", u),
        };
        let row =
            sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE {column} = $1")))
                .bind(value)
                .fetch_optional(&self.read)
                .await
                .map_err(db_err)?;
        row.map(|r| Ok((user_from_row(&r)?, r.opt_text("password_hash")?))).transpose()
    }

    async fn set_password_hash(&self, id: Uuid, hash: &str) -> StoreResult<()> {
        let n = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(ms(chrono::Utc::now()))
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
    }

    async fn update_user(&self, id: Uuid, change: Mutation<User>) -> StoreResult<User> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let touched = sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if touched == 0 {
            return Err(StoreError::NotFound("user"));
        }
        let mut u = fetch_user(&mut *tx, id).await?;
        change(&mut u).map_err(StoreError::Invalid)?;
        sqlx::query(
            "UPDATE users SET email = $1, email_norm = $2, username = $3, name = $4, phone_number = $5,
             profile_picture_url = $6, metadata = $7, external_id = $8, provider = $9, verified = $10, locked = $11,
             super_user = $12, invisible = $13, active_tenant_id = $14, last_login = $15, updated_at = $16
             WHERE id = $17",
        )
        .bind(email_or_null(&u.email))
        .bind(email_or_null(&u.email).map(|e| e.to_lowercase()))
        .bind(u.username.clone())
        .bind(u.name.clone())
        .bind(u.phone_number.clone())
        .bind(u.profile_picture_url.clone())
        .bind(u.metadata.clone())
        .bind(u.external_id.clone())
        .bind(&u.provider)
        .bind(flag(u.verified))
        .bind(flag(u.locked))
        .bind(flag(u.super_user))
        .bind(flag(u.invisible))
        .bind(u.active_tenant_id.clone())
        .bind(u.last_login.map(ms))
        .bind(ms(u.updated_at))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(u)
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<()> {
        let n = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 { Err(StoreError::NotFound("user")) } else { Ok(()) }
    }

    async fn list_users(&self, q: &UserQuery) -> StoreResult<(Vec<User>, u64)> {
        // Conditions are appended with numbered placeholders; the values are collected in the same order.
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if !q.include_invisible {
            conds.push("invisible = 0".to_owned());
        }
        if let Some(t) = &q.tenant_id {
            args.push(t.clone());
            conds.push(format!(
                "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = ${})",
                args.len()
            ));
        }
        if let Some(e) = &q.email {
            args.push(e.to_lowercase());
            conds.push(format!("email_norm = ${}", args.len()));
        }
        if let Some(f) = &q.filter {
            args.push(format!("%{}%", like_escape(&f.to_lowercase())));
            conds.push(format!(
                "(email_norm LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(name, '')) LIKE ${n} ESCAPE '\\')",
                n = args.len()
            ));
        }
        if let Some(p) = &q.name_prefix {
            args.push(format!("{}%", like_escape(&p.to_lowercase())));
            conds.push(format!("LOWER(COALESCE(name, '')) LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some((kind, prefix)) = &q.identifier {
            let column = match kind {
                IdentifierKind::Email => "COALESCE(email_norm, '')",
                IdentifierKind::PhoneNumber => "COALESCE(phone_number, '')",
                IdentifierKind::Username => "LOWER(COALESCE(username, ''))",
            };
            args.push(format!("{}%", like_escape(&prefix.to_lowercase())));
            conds.push(format!("{column} LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some(external) = &q.external_ids {
            if external.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let first = args.len() + 1;
            args.extend(external.iter().cloned());
            conds.push(format!("external_id IN ({})", placeholders(first, external.len())));
        }
        if let Some(ids) = &q.ids {
            if ids.is_empty() {
                return Ok((Vec::new(), 0));
            }
            let first = args.len() + 1;
            args.extend(ids.iter().map(Uuid::to_string));
            conds.push(format!("id IN ({})", placeholders(first, ids.len())));
        }
        let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let total = match (&q.tenant_id, only_tenant_filter(q)) {
            // The hot path (a tenant's user page): count from indexes, not by probing every member's row.
            (Some(tenant_id), true) => count_members(&self.read, tenant_id, q.include_invisible).await?,
            _ => {
                let sql = format!("SELECT COUNT(*) FROM users{where_sql}");
                let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
                for a in &args {
                    count = count.bind(a.clone());
                }
                count.fetch_one(&self.read).await.map_err(db_err)?
            }
        };
        let sort = match q.sort {
            UserSort::CreatedAt => "created_at",
            UserSort::Name => "COALESCE(name, '')",
            UserSort::Email => "email_norm",
            UserSort::Id => "id",
            UserSort::Verified => "verified",
            UserSort::IsLocked => "locked",
            UserSort::Provider => "provider",
            UserSort::TenantId => "COALESCE(active_tenant_id, '')",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users{where_sql} ORDER BY {sort} {dir}, id {dir} LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        );
        let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
        for a in &args {
            query = query.bind(a.clone());
        }
        let rows = query
            .bind(i64::try_from(q.limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(q.offset).unwrap_or(i64::MAX))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let users = rows.iter().map(user_from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok((users, u64::try_from(total).unwrap_or_default()))
    }

    async fn memberships(&self, user_ids: &[Uuid]) -> StoreResult<HashMap<Uuid, Vec<Membership>>> {
        let mut out: HashMap<Uuid, Vec<Membership>> = HashMap::new();
        if user_ids.is_empty() {
            return Ok(out);
        }
        let ids: Vec<String> = user_ids.iter().map(Uuid::to_string).collect();
        let in_list = placeholders(1, ids.len());
        let sql = format!(
            "SELECT user_id, tenant_id, disabled, created_at FROM memberships WHERE user_id IN ({in_list})
             ORDER BY created_at, tenant_id"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
        for id in &ids {
            q = q.bind(id.clone());
        }
        let rows = q.fetch_all(&self.read).await.map_err(db_err)?;
        let sql = format!("SELECT user_id, tenant_id, role_id FROM user_roles WHERE user_id IN ({in_list})");
        let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
        for id in &ids {
            q = q.bind(id.clone());
        }
        let role_rows = q.fetch_all(&self.read).await.map_err(db_err)?;
        let role_ids: Vec<Uuid> = role_rows.iter().map(|r| r.uuid("role_id")).collect::<StoreResult<_>>()?;
        let roles = load_roles(&self.read, &role_ids).await?;
        let by_id: HashMap<Uuid, _> = roles.into_iter().map(|r| (r.id, r)).collect();
        let mut held: HashMap<(Uuid, String), Vec<Uuid>> = HashMap::new();
        for r in &role_rows {
            held.entry((r.uuid("user_id")?, r.text("tenant_id")?)).or_default().push(r.uuid("role_id")?);
        }
        for r in &rows {
            let user_id = r.uuid("user_id")?;
            let tenant_id = r.text("tenant_id")?;
            let mut roles: Vec<_> = held
                .get(&(user_id, tenant_id.clone()))
                .map(|ids| ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
                .unwrap_or_default();
            roles.sort_by(|a, b| a.key.cmp(&b.key));
            out.entry(user_id).or_default().push(Membership {
                tenant_id,
                roles,
                disabled: r.flag("disabled")?,
                created_at: r.time("created_at")?,
            });
        }
        Ok(out)
    }

    async fn add_membership(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        fetch_user(&mut *tx, user_id).await?;
        insert_membership(&mut tx, user_id, tenant_id, role_ids, chrono::Utc::now()).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn remove_membership(&self, user_id: Uuid, tenant_id: &str) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        tenancy::delete_membership(&mut tx, user_id, tenant_id, chrono::Utc::now()).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn set_membership_disabled(&self, user_id: Uuid, tenant_id: &str, disabled: bool) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query("UPDATE memberships SET disabled = $1 WHERE user_id = $2 AND tenant_id = $3")
            .bind(flag(disabled))
            .bind(user_id.to_string())
            .bind(tenant_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("membership"));
        }
        if disabled {
            tenancy::revoke_tenant_sessions(&mut tx, user_id, tenant_id, chrono::Utc::now()).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn assign_roles(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        require_membership(&mut tx, user_id, tenant_id).await?;
        insert_roles(&mut tx, user_id, tenant_id, role_ids).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn unassign_roles(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        require_membership(&mut tx, user_id, tenant_id).await?;
        for role_id in role_ids {
            sqlx::query("DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2 AND role_id = $3")
                .bind(tenant_id)
                .bind(user_id.to_string())
                .bind(role_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn set_roles(&self, user_id: Uuid, tenant_id: &str, role_ids: &[Uuid]) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        require_membership(&mut tx, user_id, tenant_id).await?;
        sqlx::query("DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant_id)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        insert_roles(&mut tx, user_id, tenant_id, role_ids).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn remove_from_tenant(&self, user_id: Uuid, tenant_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        tenancy::remove_from_tenant(self, user_id, tenant_id, now).await
    }

    async fn set_user_locked(&self, user_id: Uuid, locked: bool, now: DateTime<Utc>) -> StoreResult<User> {
        tenancy::set_user_locked(self, user_id, locked, now).await
    }

    async fn set_active_tenant(
        &self,
        user_id: Uuid,
        tenant_id: &str,
        new_tenant: Option<&Tenant>,
        role_ids: &[Uuid],
    ) -> StoreResult<User> {
        tenancy::set_active_tenant(self, user_id, tenant_id, new_tenant, role_ids).await
    }

    async fn migrate_tenant_users(&self, src: &str, target: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        tenancy::migrate_tenant_users(self, src, target, now).await
    }
}

/// Escapes `LIKE` wildcards (`%`, `_`) and the escape character itself, for `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
