//! `ScimStore`: SCIM connections, the users and groups they provisioned, and SCIM filters as SQL.
//!
//! Every read and write names the connection, so a record of another connection is never reached. A filter becomes
//! a `WHERE` clause over the indexed columns (`eq` on `userName`, `emails.value`, `externalId`, `displayName` or
//! `id` is an index lookup); its size is bounded by the parser in yolk-core, so its placeholders are too.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use yolk_domain::{TenantId, UserId};
use yolk_store::scim::{
    ScimAttr, ScimConnection, ScimConnectionQuery, ScimFilter, ScimGroup, ScimOp, ScimStore, ScimUser, ScimValue,
};
use yolk_store::users::NewUser;
use yolk_store::{Entity, Mutation, PageRequest, StoreError, StoreResult};

use crate::counts::{Tally, lock_tenant_key};
use crate::memberships::{remove_from_tenant_in, set_membership_disabled_in};
use crate::rows::{Arg, Decode, RowExt, execute, flag, ms};
use crate::users::{insert_new_user, like_escape};
use crate::{SqlStore, db_err, placeholders};

impl Decode for ScimConnection {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(ScimConnection {
            id: r.text("id")?,
            tenant_id: r.tenant_id("tenant_id")?,
            connection_name: r.text("connection_name")?,
            source: r.text("source")?,
            sync_to_user_management: r.flag("sync_to_user_management")?,
            users_count: u64::try_from(r.int("users_count")?).unwrap_or(0),
            last_sync: r.opt_time("last_sync")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

impl Decode for ScimUser {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let resource = serde_json::from_str(&r.text("resource")?)
            .map_err(|_| StoreError::Backend("bad SCIM resource in store".into()))?;
        Ok(ScimUser {
            id: r.id("id")?,
            connection_id: r.text("connection_id")?,
            user_name: r.text("user_name")?,
            external_id: r.opt_text("external_id")?,
            display_name: r.opt_text("display_name")?,
            email: r.opt_text("email")?,
            active: r.flag("active")?,
            member: r.flag("member")?,
            resource,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

/// A group row (its members are read separately).
struct GroupRow(ScimGroup);

impl Decode for GroupRow {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(GroupRow(ScimGroup {
            id: r.text("id")?,
            connection_id: r.text("connection_id")?,
            display_name: r.text("display_name")?,
            external_id: r.opt_text("external_id")?,
            members: Vec::new(),
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        }))
    }
}

/// A `(group_id, user_id)` row.
struct MemberRow(String, UserId);

impl Decode for MemberRow {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(MemberRow(r.text("group_id")?, r.id("user_id")?))
    }
}

/// A bare count.
struct Count(u64);

impl Decode for Count {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Count(u64::try_from(r.int("n")?).unwrap_or(0)))
    }
}

/// The user rows.
const USER_SELECT: &str = "SELECT * FROM scim_users";

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn json(v: &serde_json::Value) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

/// Which table a filter runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Users,
    Groups,
}

/// A filter as a `WHERE` fragment with numbered placeholders from `args.len() + 1` on.
fn filter_sql(f: &ScimFilter, table: Table, args: &mut Vec<String>) -> StoreResult<String> {
    Ok(match f {
        ScimFilter::And(a, b) => format!("({} AND {})", filter_sql(a, table, args)?, filter_sql(b, table, args)?),
        ScimFilter::Or(a, b) => format!("({} OR {})", filter_sql(a, table, args)?, filter_sql(b, table, args)?),
        ScimFilter::Not(a) => format!("(NOT {})", filter_sql(a, table, args)?),
        ScimFilter::Compare { attr, op, value } => compare_sql(*attr, *op, value, table, args)?,
    })
}

fn compare_sql(
    attr: ScimAttr,
    op: ScimOp,
    value: &ScimValue,
    table: Table,
    args: &mut Vec<String>,
) -> StoreResult<String> {
    let invalid = |m: &str| StoreError::Invalid(m.to_owned());
    let (column, folded) = match (attr, table) {
        (ScimAttr::Id, _) => ("id", false),
        (ScimAttr::ExternalId, _) => ("external_id", false),
        (ScimAttr::DisplayName, _) => ("display_name_norm", true),
        (ScimAttr::UserName, Table::Users) => ("user_name_norm", true),
        (ScimAttr::Email, Table::Users) => ("email_norm", true),
        (ScimAttr::Active, Table::Users) => ("active", false),
        _ => return Err(invalid("The filter names an attribute this resource does not have")),
    };
    if op == ScimOp::Pr {
        return Ok(format!("({column} IS NOT NULL)"));
    }
    if attr == ScimAttr::Active {
        // A boolean: `eq`/`ne` only; the integer is written into the statement (0 or 1), never a client string.
        let b = match value {
            ScimValue::Bool(b) => *b,
            _ => return Err(invalid("active compares with true or false")),
        };
        return match op {
            ScimOp::Eq => Ok(format!("(active = {})", flag(b))),
            ScimOp::Ne => Ok(format!("(active <> {})", flag(b))),
            _ => Err(invalid("active compares with eq or ne")),
        };
    }
    let text = match value {
        ScimValue::Str(s) => s.clone(),
        ScimValue::Null if op == ScimOp::Eq => return Ok(format!("({column} IS NULL)")),
        ScimValue::Null if op == ScimOp::Ne => return Ok(format!("({column} IS NOT NULL)")),
        _ => return Err(invalid("The filter compares a string attribute with a value that is not a string")),
    };
    let text = if folded { lower(&text) } else { text };
    let (sql_op, bound) = match op {
        ScimOp::Eq => ("=", text),
        ScimOp::Ne => ("<>", text),
        ScimOp::Co => ("LIKE", format!("%{}%", like_escape(&text))),
        ScimOp::Sw => ("LIKE", format!("{}%", like_escape(&text))),
        ScimOp::Ew => ("LIKE", format!("%{}", like_escape(&text))),
        ScimOp::Pr => unreachable!("handled above"),
    };
    args.push(bound);
    let n = args.len();
    Ok(match (op, sql_op) {
        (_, "LIKE") => format!("({column} LIKE ${n} ESCAPE '\\')"),
        (ScimOp::Ne, _) => format!("({column} IS NULL OR {column} <> ${n})"),
        _ => format!("({column} {sql_op} ${n})"),
    })
}

/// The first user with this id of the connection, on the caller's transaction.
async fn user_in(tx: &mut sqlx::AnyConnection, connection: &str, id: UserId) -> StoreResult<ScimUser> {
    let sql = format!("{USER_SELECT} WHERE connection_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(connection)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound(Entity::ScimUser))?;
    ScimUser::decode(&row)
}

async fn connection_in(tx: &mut sqlx::AnyConnection, id: &str) -> StoreResult<ScimConnection> {
    let row = sqlx::query("SELECT * FROM scim_connections WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound(Entity::ScimConnection))?;
    ScimConnection::decode(&row)
}

/// Bumps the connection's user count by `delta` and stamps its last sync (which also locks its row until commit).
async fn touch_connection(tx: &mut sqlx::AnyConnection, id: &str, delta: i64, now: DateTime<Utc>) -> StoreResult<()> {
    let sql = "UPDATE scim_connections SET users_count = users_count + $1, last_sync = $2 WHERE id = $3";
    let n = execute(tx, sql, &[delta.into(), now.into(), id.into()]).await?;
    if n == 0 {
        return Err(StoreError::NotFound(Entity::ScimConnection));
    }
    Ok(())
}

/// Writes a user record's columns (insert or update).
async fn write_user(tx: &mut sqlx::AnyConnection, u: &ScimUser, insert: bool) -> StoreResult<()> {
    let sql = if insert {
        "INSERT INTO scim_users (user_name, user_name_norm, external_id, display_name, display_name_norm, email_norm,
         active, member, resource, created_at, updated_at, id, connection_id, email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    } else {
        "UPDATE scim_users SET user_name = $1, user_name_norm = $2, external_id = $3, display_name = $4,
         display_name_norm = $5, email_norm = $6, active = $7, member = $8, resource = $9, created_at = $10,
         updated_at = $11, email = $14 WHERE id = $12 AND connection_id = $13"
    };
    sqlx::query(sql)
        .bind(&u.user_name)
        .bind(lower(&u.user_name))
        .bind(u.external_id.clone())
        .bind(u.display_name.clone())
        .bind(u.display_name.as_deref().map(lower))
        .bind(u.email.as_deref().map(lower))
        .bind(flag(u.active))
        .bind(flag(u.member))
        .bind(json(&u.resource)?)
        .bind(ms(u.created_at))
        .bind(ms(u.updated_at))
        .bind(u.id.to_string())
        .bind(&u.connection_id)
        .bind(u.email.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Adds members to a group; each must be a user of the group's connection (`NotFound(ScimUser)` otherwise).
async fn add_members(tx: &mut sqlx::AnyConnection, group: &ScimGroup, users: &[UserId]) -> StoreResult<()> {
    let sql = "INSERT INTO scim_group_members (group_id, user_id)
         SELECT $1, id FROM scim_users WHERE id = $2 AND connection_id = $3 ON CONFLICT DO NOTHING";
    for u in users {
        let user = u.to_string();
        let n = execute(tx, sql, &[(&group.id).into(), (&user).into(), (&group.connection_id).into()]).await?;
        if n == 0 {
            let member = "SELECT 1 FROM scim_group_members WHERE group_id = $1 AND user_id = $2";
            if !crate::rows::exists(tx, member, &[(&group.id).into(), (&user).into()]).await? {
                return Err(StoreError::NotFound(Entity::ScimUser));
            }
        }
    }
    Ok(())
}

impl SqlStore {
    /// Reads the members of these groups (one statement) into them.
    async fn fill_members(&self, groups: &mut [ScimGroup]) -> StoreResult<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT group_id, user_id FROM scim_group_members WHERE group_id IN ({}) ORDER BY user_id",
            placeholders(1, groups.len())
        );
        let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
        let args: Vec<Arg<'_>> = ids.iter().map(Arg::from).collect();
        let rows: Vec<MemberRow> = self.fetch_bounded(&sql, &args).await?;
        let mut by_group: HashMap<String, Vec<UserId>> = HashMap::new();
        for MemberRow(g, u) in rows {
            by_group.entry(g).or_default().push(u);
        }
        for g in groups {
            g.members = by_group.remove(&g.id).unwrap_or_default();
        }
        Ok(())
    }

    /// A page of `table`'s rows of a connection matching `filter`, oldest first, and how many match.
    async fn scim_page<T: Decode>(
        &self,
        table: Table,
        connection: &str,
        filter: Option<&ScimFilter>,
        page: PageRequest,
        unfiltered_total: impl std::future::Future<Output = StoreResult<u64>>,
    ) -> StoreResult<(Vec<T>, u64)> {
        let mut args = vec![connection.to_owned()];
        let clause = match filter {
            Some(f) => format!(" AND {}", filter_sql(f, table, &mut args)?),
            None => String::new(),
        };
        let select = match table {
            Table::Users => USER_SELECT,
            Table::Groups => "SELECT * FROM scim_groups",
        };
        let rows_sql = format!(
            "{select} WHERE connection_id = $1{clause} ORDER BY created_at, id LIMIT {} OFFSET {}",
            page.limit, page.offset
        );
        let bound: Vec<Arg<'_>> = args.iter().map(Arg::from).collect();
        let rows: Vec<T> = if page.limit == 0 { Vec::new() } else { self.fetch_bounded(&rows_sql, &bound).await? };
        let total = match filter {
            None => unfiltered_total.await?,
            Some(_) => {
                let from = match table {
                    Table::Users => "scim_users",
                    Table::Groups => "scim_groups",
                };
                let sql = format!("SELECT COUNT(*) AS n FROM {from} WHERE connection_id = $1{clause}");
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for a in &args {
                    q = q.bind(a.clone());
                }
                let row = q.fetch_one(&self.read).await.map_err(db_err)?;
                u64::try_from(row.int("n")?).unwrap_or(0)
            }
        };
        Ok((rows, total))
    }
}

#[async_trait::async_trait]
impl ScimStore for SqlStore {
    async fn create_scim_connection(&self, c: &ScimConnection, token_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO scim_connections (id, tenant_id, connection_name, source, sync_to_user_management, token_hash,
             users_count, last_sync, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7, $8)",
        )
        .bind(&c.id)
        .bind(c.tenant_id.as_str())
        .bind(&c.connection_name)
        .bind(&c.source)
        .bind(flag(c.sync_to_user_management))
        .bind(token_hash)
        .bind(ms(c.created_at))
        .bind(ms(c.updated_at))
        .execute(&self.write)
        .await
        .map_err(crate::rows::missing(Entity::Tenant))?;
        Ok(())
    }

    async fn list_scim_connections(&self, q: &ScimConnectionQuery) -> StoreResult<Vec<ScimConnection>> {
        let mut clauses = Vec::new();
        let mut args: Vec<&str> = Vec::new();
        for (column, value) in [
            ("tenant_id", q.tenant_id.as_ref().map(TenantId::as_str)),
            ("source", q.source.as_deref()),
            ("connection_name", q.connection_name.as_deref()),
            ("id", q.id.as_deref()),
        ] {
            if let Some(v) = value {
                args.push(v);
                clauses.push(format!("{column} = ${}", args.len()));
            }
        }
        let clause = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let sql = format!("SELECT * FROM scim_connections{clause} ORDER BY created_at, id");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in args {
            query = query.bind(a.to_owned());
        }
        query.fetch_all(&self.read).await.map_err(db_err)?.iter().map(ScimConnection::decode).collect()
    }

    async fn get_scim_connection(&self, id: &str, tenant: Option<&TenantId>) -> StoreResult<ScimConnection> {
        let rows: Vec<ScimConnection> =
            self.fetch_bounded("SELECT * FROM scim_connections WHERE id = $1", &[id.into()]).await?;
        rows.into_iter()
            .find(|c| tenant.is_none_or(|t| &c.tenant_id == t))
            .ok_or(StoreError::NotFound(Entity::ScimConnection))
    }

    async fn scim_connection_by_token(&self, token_hash: &str) -> StoreResult<ScimConnection> {
        let sql = "SELECT * FROM scim_connections WHERE token_hash = $1";
        let rows: Vec<ScimConnection> = self.fetch_bounded(sql, &[token_hash.into()]).await?;
        rows.into_iter().next().ok_or(StoreError::NotFound(Entity::ScimConnection))
    }

    async fn set_scim_connection_sync(
        &self,
        id: &str,
        tenant: Option<&TenantId>,
        sync: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let c = connection_in(&mut tx, id).await?;
        if tenant.is_some_and(|t| t != &c.tenant_id) {
            return Err(StoreError::NotFound(Entity::ScimConnection));
        }
        let sql = "UPDATE scim_connections SET sync_to_user_management = $1, updated_at = $2 WHERE id = $3";
        execute(&mut tx, sql, &[flag(sync).into(), now.into(), id.into()]).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete_scim_connection(
        &self,
        id: &str,
        tenant: Option<&TenantId>,
        delete_all: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let c = connection_in(&mut tx, id).await?;
        if tenant.is_some_and(|t| t != &c.tenant_id) {
            return Err(StoreError::NotFound(Entity::ScimConnection));
        }
        let mut tally = Tally::default();
        if delete_all {
            lock_tenant_key(&mut tx, self.backend, c.tenant_id.as_str()).await?;
            let members = sqlx::query("SELECT id FROM scim_users WHERE connection_id = $1 AND member = 1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
            for row in &members {
                let user: UserId = row.id("id")?;
                match remove_from_tenant_in(&mut tx, self.backend, user, &c.tenant_id, now, &mut tally).await {
                    // Removed from the tenant by an administrator meanwhile: nothing left to remove.
                    Ok(_) | Err(StoreError::NotFound(Entity::Membership)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // Its users, groups and memberships of groups cascade.
        execute(&mut tx, "DELETE FROM scim_connections WHERE id = $1", &[id.into()]).await?;
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn create_scim_user(
        &self,
        user: &ScimUser,
        member: Option<&NewUser>,
        now: DateTime<Utc>,
    ) -> StoreResult<ScimUser> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let c = connection_in(&mut tx, &user.connection_id).await?;
        let mut tally = Tally::default();
        // Tenant before the connection row, as a tenant's deletion locks them.
        lock_tenant_key(&mut tx, self.backend, c.tenant_id.as_str()).await?;
        touch_connection(&mut tx, &c.id, 1, now).await?;
        write_user(&mut tx, user, true).await?;
        if let Some(new) = member {
            if new.user.id != user.id {
                return Err(StoreError::Backend("a SCIM member must have its record's id".into()));
            }
            insert_new_user(&mut tx, new, &mut tally).await?;
            if !user.active {
                // Provisioned inactive: a member that cannot sign in until the directory activates it.
                set_membership_disabled_in(&mut tx, user.id, &c.tenant_id, true, now).await?;
            }
        }
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user.clone())
    }

    async fn get_scim_user(&self, connection: &str, id: UserId) -> StoreResult<ScimUser> {
        let sql = format!("{USER_SELECT} WHERE connection_id = $1 AND id = $2");
        let id = id.to_string();
        let rows: Vec<ScimUser> = self.fetch_bounded(&sql, &[connection.into(), (&id).into()]).await?;
        rows.into_iter().next().ok_or(StoreError::NotFound(Entity::ScimUser))
    }

    async fn list_scim_users(
        &self,
        connection: &str,
        filter: Option<&ScimFilter>,
        page: PageRequest,
    ) -> StoreResult<(Vec<ScimUser>, u64)> {
        let total = async {
            let rows: Vec<ScimConnection> =
                self.fetch_bounded("SELECT * FROM scim_connections WHERE id = $1", &[connection.into()]).await?;
            Ok(rows.first().map_or(0, |c| c.users_count))
        };
        self.scim_page(Table::Users, connection, filter, page, total).await
    }

    async fn update_scim_user(
        &self,
        connection: &str,
        id: UserId,
        change: Mutation<ScimUser>,
        now: DateTime<Utc>,
    ) -> StoreResult<ScimUser> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let c = connection_in(&mut tx, connection).await?;
        lock_tenant_key(&mut tx, self.backend, c.tenant_id.as_str()).await?;
        touch_connection(&mut tx, connection, 0, now).await?;
        // The row lock (a no-op write) before the read, as every read-modify-write.
        let lock = "UPDATE scim_users SET updated_at = updated_at WHERE connection_id = $1 AND id = $2";
        if execute(&mut tx, lock, &[connection.into(), (&id.to_string()).into()]).await? == 0 {
            return Err(StoreError::NotFound(Entity::ScimUser));
        }
        let before = user_in(&mut tx, connection, id).await?;
        let mut after = before.clone();
        change(&mut after)?;
        after.id = before.id;
        after.connection_id = before.connection_id.clone();
        after.member = before.member;
        after.created_at = before.created_at;
        after.updated_at = now;
        write_user(&mut tx, &after, false).await?;
        if after.member {
            let sql = "UPDATE users SET name = COALESCE($1, name), external_id = $2, updated_at = $3 WHERE id = $4";
            let name = after.display_name.clone().unwrap_or_default();
            let user = id.to_string();
            let external = after.external_id.clone().unwrap_or_default();
            sqlx::query(sql)
                .bind(Some(name).filter(|n| !n.is_empty()))
                .bind(Some(external).filter(|e| !e.is_empty()))
                .bind(ms(now))
                .bind(&user)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            if after.active != before.active {
                match set_membership_disabled_in(&mut tx, id, &c.tenant_id, !after.active, now).await {
                    // Removed from the tenant by an administrator: the record alone changes.
                    Ok(()) | Err(StoreError::NotFound(Entity::Membership)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn delete_scim_user(&self, connection: &str, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let c = connection_in(&mut tx, connection).await?;
        lock_tenant_key(&mut tx, self.backend, c.tenant_id.as_str()).await?;
        touch_connection(&mut tx, connection, -1, now).await?;
        let row = sqlx::query("DELETE FROM scim_users WHERE connection_id = $1 AND id = $2 RETURNING member")
            .bind(connection)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound(Entity::ScimUser))?;
        let mut tally = Tally::default();
        if row.flag("member")? {
            match remove_from_tenant_in(&mut tx, self.backend, id, &c.tenant_id, now, &mut tally).await {
                Ok(_) | Err(StoreError::NotFound(Entity::Membership)) => {}
                Err(e) => return Err(e),
            }
        }
        tally.apply(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn create_scim_group(&self, group: &ScimGroup, now: DateTime<Utc>) -> StoreResult<ScimGroup> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        touch_connection(&mut tx, &group.connection_id, 0, now).await?;
        sqlx::query(
            "INSERT INTO scim_groups (id, connection_id, display_name, display_name_norm, external_id, created_at,
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&group.id)
        .bind(&group.connection_id)
        .bind(&group.display_name)
        .bind(lower(&group.display_name))
        .bind(group.external_id.clone())
        .bind(ms(group.created_at))
        .bind(ms(group.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        add_members(&mut tx, group, &group.members).await?;
        tx.commit().await.map_err(db_err)?;
        let mut out = group.clone();
        let mut seen = HashSet::new();
        out.members.retain(|m| seen.insert(*m));
        out.members.sort_by_key(|m| m.to_string());
        Ok(out)
    }

    async fn get_scim_group(&self, connection: &str, id: &str) -> StoreResult<ScimGroup> {
        let sql = "SELECT * FROM scim_groups WHERE connection_id = $1 AND id = $2";
        let rows: Vec<GroupRow> = self.fetch_bounded(sql, &[connection.into(), id.into()]).await?;
        let mut groups: Vec<ScimGroup> = rows.into_iter().map(|GroupRow(g)| g).collect();
        if groups.is_empty() {
            return Err(StoreError::NotFound(Entity::ScimGroup));
        }
        self.fill_members(&mut groups).await?;
        Ok(groups.remove(0))
    }

    async fn list_scim_groups(
        &self,
        connection: &str,
        filter: Option<&ScimFilter>,
        page: PageRequest,
    ) -> StoreResult<(Vec<ScimGroup>, u64)> {
        let total = async {
            let sql = "SELECT COUNT(*) AS n FROM scim_groups WHERE connection_id = $1";
            let rows: Vec<Count> = self.fetch_bounded(sql, &[connection.into()]).await?;
            Ok(rows.first().map_or(0, |c| c.0))
        };
        let (rows, total) = self.scim_page::<GroupRow>(Table::Groups, connection, filter, page, total).await?;
        let mut groups: Vec<ScimGroup> = rows.into_iter().map(|GroupRow(g)| g).collect();
        self.fill_members(&mut groups).await?;
        Ok((groups, total))
    }

    async fn update_scim_group(
        &self,
        connection: &str,
        id: &str,
        change: Mutation<ScimGroup>,
        now: DateTime<Utc>,
    ) -> StoreResult<ScimGroup> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        touch_connection(&mut tx, connection, 0, now).await?;
        let lock = "UPDATE scim_groups SET updated_at = updated_at WHERE connection_id = $1 AND id = $2";
        if execute(&mut tx, lock, &[connection.into(), id.into()]).await? == 0 {
            return Err(StoreError::NotFound(Entity::ScimGroup));
        }
        let row = sqlx::query("SELECT * FROM scim_groups WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let GroupRow(mut before) = GroupRow::decode(&row)?;
        let members = sqlx::query("SELECT user_id FROM scim_group_members WHERE group_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        before.members = members.iter().map(|r| r.id("user_id")).collect::<StoreResult<_>>()?;
        let mut after = before.clone();
        change(&mut after)?;
        after.id = before.id.clone();
        after.connection_id = before.connection_id.clone();
        after.created_at = before.created_at;
        after.updated_at = now;
        let sql = "UPDATE scim_groups SET display_name = $1, display_name_norm = $2, external_id = $3, updated_at = $4
             WHERE id = $5";
        sqlx::query(sql)
            .bind(&after.display_name)
            .bind(lower(&after.display_name))
            .bind(after.external_id.clone())
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let old: HashSet<UserId> = before.members.iter().copied().collect();
        let new: HashSet<UserId> = after.members.iter().copied().collect();
        let added: Vec<UserId> = after.members.iter().copied().filter(|m| !old.contains(m)).collect();
        for gone in old.difference(&new) {
            let sql = "DELETE FROM scim_group_members WHERE group_id = $1 AND user_id = $2";
            execute(&mut tx, sql, &[id.into(), (&gone.to_string()).into()]).await?;
        }
        add_members(&mut tx, &after, &added).await?;
        tx.commit().await.map_err(db_err)?;
        let mut seen = HashSet::new();
        after.members.retain(|m| seen.insert(*m));
        after.members.sort_by_key(|m| m.to_string());
        Ok(after)
    }

    async fn delete_scim_group(&self, connection: &str, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        touch_connection(&mut tx, connection, 0, now).await?;
        let sql = "DELETE FROM scim_groups WHERE connection_id = $1 AND id = $2";
        if execute(&mut tx, sql, &[connection.into(), id.into()]).await? == 0 {
            return Err(StoreError::NotFound(Entity::ScimGroup));
        }
        tx.commit().await.map_err(db_err)
    }
}
