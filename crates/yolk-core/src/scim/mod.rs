//! SCIM 2.0 provisioning: the environment's configuration API (connections and their bearer tokens) and the SCIM
//! protocol (RFC 7644) a connection's identity provider speaks, on the connection's tenant only.
//!
//! The model (ARCHITECTURE.md, *SCIM provisioning*): a connection holds directory records of users and groups.
//! With `syncToUserManagement`, a new user record is also a yolk user (same id) and a member of the tenant, made
//! through [`UserService::provisioned_member`] in the transaction that keeps the record; `active: false` disables
//! that membership (its sessions end) and `true` enables it again; deleting the record removes the member.
//! Without it, the records are kept but nobody joins the tenant. A connection's token is its only credential: it
//! reaches the records of that connection, nothing else.

pub mod filter;
pub mod resource;

use std::sync::Arc;

use serde_json::Value;
use yolk_api_types::scim::CreateScimConnectionRequest;
use yolk_api_types::users::NewUserFields;
use yolk_domain::values::Email;
use yolk_domain::{Clock, TenantId, UserId};
use yolk_store::scim::{ScimConnection, ScimConnectionQuery, ScimGroup, ScimUser};
use yolk_store::{Constraint, Entity, PageRequest, Store, StoreError};

use crate::access::Environment;
use crate::grants::AccessCache;
use crate::secrets::{random_token, sha256_hex};
use crate::users::UserService;
use crate::{CoreError, CoreResult};

use self::filter::Resource;
use self::resource::{GroupInput, UserInput, parse_group, parse_user};

/// The `source` values of a connection.
pub const SOURCES: &[&str] = &["frontegg", "okta", "azure-ad", "other"];
/// The largest page a SCIM list answers (`ServiceProviderConfig.filter.maxResults`).
pub const MAX_RESULTS: u64 = 200;
/// The page size when the client names none.
pub const DEFAULT_COUNT: u64 = 100;

/// A SCIM protocol error: its HTTP status, RFC 7644 `scimType` and a detail for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// Seconds a client should wait before retrying (a 503).
    pub retry_after_secs: Option<u64>,
}

impl ScimError {
    /// A 400 with a `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self { status: 400, scim_type: Some(scim_type), detail: detail.into(), retry_after_secs: None }
    }

    /// A 401: no, an unknown or a revoked connection token.
    pub fn unauthorized() -> Self {
        Self {
            status: 401,
            scim_type: None,
            detail: "The bearer token is not a valid SCIM connection token".into(),
            retry_after_secs: None,
        }
    }

    /// A 404 for a resource of this connection that does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self { status: 404, scim_type: None, detail: detail.into(), retry_after_secs: None }
    }

    /// A 500 whose detail stays in the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self { status: 500, scim_type: None, detail: detail.into(), retry_after_secs: None }
    }
}

impl From<CoreError> for ScimError {
    fn from(e: CoreError) -> Self {
        let status = |status, scim_type, detail: String| Self { status, scim_type, detail, retry_after_secs: None };
        match e {
            CoreError::BadRequest(m) => status(400, Some("invalidValue"), m),
            CoreError::Unauthorized(_) => Self::unauthorized(),
            CoreError::Forbidden(m) => status(403, None, m),
            CoreError::NotFound(entity) => status(404, None, entity.not_found_message().to_owned()),
            CoreError::Conflict(c) => status(409, Some("uniqueness"), c.message().to_owned()),
            CoreError::ConflictWith(m) => status(409, Some("uniqueness"), m),
            CoreError::Unavailable { message, retry_after_secs } => {
                Self { status: 503, scim_type: None, detail: message, retry_after_secs: Some(retry_after_secs) }
            }
            CoreError::Internal(m) => Self::internal(m),
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        CoreError::from(e).into()
    }
}

/// Result of a SCIM protocol call.
pub type ScimResult<T> = Result<T, ScimError>;

/// Proof that a request carries the bearer token of a live connection: the only way to the SCIM protocol's
/// methods, and what scopes them to that connection (and its tenant).
#[derive(Debug, Clone)]
pub struct ScimClient {
    connection: ScimConnection,
}

impl ScimClient {
    /// The connection the token belongs to.
    pub fn connection(&self) -> &ScimConnection {
        &self.connection
    }
}

/// A page of a SCIM list.
#[derive(Debug, Clone)]
pub struct ScimPage<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// 1-based, as the client asked (at least 1).
    pub start_index: u64,
}

/// A resource of either type (a search over every type).
#[derive(Debug, Clone)]
pub enum ScimResource {
    User(ScimUser),
    Group(ScimGroup),
}

/// SCIM connections and the SCIM protocol.
#[derive(Clone)]
pub struct Scim {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) users: UserService,
    pub(crate) access: AccessCache,
}

fn required_tenant(tenant: Option<&TenantId>) -> CoreResult<&TenantId> {
    tenant.ok_or_else(|| CoreError::BadRequest("frontegg-tenant-id header is required".into()))
}

fn user_id(raw: &str) -> ScimResult<UserId> {
    UserId::parse(raw).map_err(|_| ScimError::not_found(Entity::ScimUser.not_found_message()))
}

/// The page a SCIM list asks for: `startIndex` is 1-based (below 1 means 1), `count` at most [`MAX_RESULTS`]
/// (negative means 0).
pub fn page_of(start_index: Option<i64>, count: Option<i64>) -> (PageRequest, u64) {
    let start = start_index.filter(|s| *s >= 1).map_or(1, |s| s as u64);
    let limit = count.map_or(DEFAULT_COUNT, |c| c.max(0) as u64).min(MAX_RESULTS);
    (PageRequest { limit, offset: start - 1 }, start)
}

impl Scim {
    // ----- the configuration API (the environment) -----

    /// `POST /directory/resources/v1/configurations/scim2`: a new connection of the tenant named by the header,
    /// and its bearer token (256 random bits, kept as SHA-256: this is the only time it is shown).
    pub async fn create_connection(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        input: CreateScimConnectionRequest,
    ) -> CoreResult<(ScimConnection, String)> {
        let tenant = required_tenant(tenant)?;
        if !SOURCES.contains(&input.source.as_str()) {
            return Err(CoreError::BadRequest(format!("source must be one of {}", SOURCES.join(", "))));
        }
        let name = input.connection_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = name {
            yolk_domain::values::check_text("connectionName", n, yolk_domain::values::MAX_NAME)
                .map_err(CoreError::BadRequest)?;
        }
        let now = self.clock.now();
        let connection = ScimConnection {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant.clone(),
            connection_name: name.unwrap_or(&input.source).to_owned(),
            source: input.source,
            sync_to_user_management: input.sync_to_user_management.unwrap_or(true),
            users_count: 0,
            last_sync: None,
            created_at: now,
            updated_at: now,
        };
        let token = random_token();
        self.store.create_scim_connection(&connection, &sha256_hex(&token)).await?;
        Ok((connection, token))
    }

    /// `GET /directory/resources/v1/configurations/scim2`: the environment's connections; the header's tenant (or
    /// the `tenantId` filter) narrows them.
    pub async fn list_connections(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        mut query: ScimConnectionQuery,
    ) -> CoreResult<Vec<ScimConnection>> {
        if let Some(t) = tenant {
            if query.tenant_id.as_ref().is_some_and(|q| q != t) {
                return Ok(Vec::new());
            }
            query.tenant_id = Some(t.clone());
        }
        Ok(self.store.list_scim_connections(&query).await?)
    }

    /// `GET /directory/resources/v1/configurations/scim2/{id}` (in the header's tenant, when named).
    pub async fn connection(&self, _: &Environment, tenant: Option<&TenantId>, id: &str) -> CoreResult<ScimConnection> {
        Ok(self.store.get_scim_connection(id, tenant).await?)
    }

    /// `PATCH /directory/resources/v1/configurations/scim2/{id}`: whether later provisioning makes members.
    pub async fn set_sync(&self, _: &Environment, tenant: Option<&TenantId>, id: &str, sync: bool) -> CoreResult<()> {
        Ok(self.store.set_scim_connection_sync(id, tenant, sync, self.clock.now()).await?)
    }

    /// `DELETE /directory/resources/v1/configurations/scim2/{id}`: its token stops working at once; with
    /// `delete_all`, the members it provisioned leave the tenant (their sessions there end) in the same transaction.
    pub async fn delete_connection(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        id: &str,
        delete_all: bool,
    ) -> CoreResult<()> {
        self.store.delete_scim_connection(id, tenant, delete_all, self.clock.now()).await?;
        if delete_all {
            self.access.invalidate();
        }
        Ok(())
    }

    /// `GET /directory/resources/scim/temp/{id}/Users/count`: how many users the connection holds.
    pub async fn users_count(&self, _: &Environment, tenant: Option<&TenantId>, id: &str) -> CoreResult<u64> {
        Ok(self.store.get_scim_connection(id, tenant).await?.users_count)
    }

    // ----- the SCIM protocol (a connection's token) -----

    /// The connection a bearer token belongs to: found by the token's SHA-256 (the stored form; a 256-bit secret,
    /// so the lookup's timing tells nothing about other tokens). No token, an unknown one, or a deleted
    /// connection's: 401.
    pub async fn authenticate(&self, bearer: Option<&str>) -> ScimResult<ScimClient> {
        let token = bearer.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(ScimError::unauthorized)?;
        match self.store.scim_connection_by_token(&sha256_hex(token)).await {
            Ok(connection) => Ok(ScimClient { connection }),
            Err(StoreError::NotFound(_)) => Err(ScimError::unauthorized()),
            Err(e) => Err(e.into()),
        }
    }

    /// The yolk user a new record stands for, through the one user-creation rule: the record's email (else its
    /// userName when that is an address) as login email, else the userName as username.
    async fn member_for(
        &self,
        client: &ScimClient,
        id: UserId,
        input: &UserInput,
    ) -> ScimResult<yolk_store::users::NewUser> {
        let email =
            input.email.clone().or_else(|| Email::parse(&input.user_name).ok().map(|_| input.user_name.clone()));
        let username = if email.is_none() { Some(input.user_name.clone()) } else { None };
        let fields = NewUserFields {
            email,
            username,
            name: input.full_name.clone().or_else(|| input.display_name.clone()),
            provider: Some("scim2".into()),
            external_id: input.external_id.clone(),
            ..Default::default()
        };
        Ok(self.users.provisioned_member(&client.connection.tenant_id, id, fields).await?)
    }

    fn record(client: &ScimClient, id: UserId, input: UserInput, now: chrono::DateTime<chrono::Utc>) -> ScimUser {
        ScimUser {
            id,
            connection_id: client.connection.id.clone(),
            user_name: input.user_name,
            external_id: input.external_id,
            display_name: input.display_name,
            email: input.email,
            active: input.active,
            member: false,
            resource: input.resource,
            created_at: now,
            updated_at: now,
        }
    }

    /// `POST /Users`. `409 uniqueness` for a userName the connection already has (or an email another yolk user
    /// has, when the connection syncs).
    pub async fn create_user(&self, client: &ScimClient, body: &Value) -> ScimResult<ScimUser> {
        let input = parse_user(body)?;
        let id = UserId::new();
        let now = self.clock.now();
        // The connection as it is now (its sync flag may have changed since the token was checked).
        let connection = self.store.get_scim_connection(&client.connection.id, None).await?;
        let member =
            if connection.sync_to_user_management { Some(self.member_for(client, id, &input).await?) } else { None };
        let mut record = Self::record(client, id, input, now);
        record.member = member.is_some();

        self.store.create_scim_user(&record, member.as_ref(), now).await.map_err(conflict_as_uniqueness)
    }

    /// `GET /Users/{id}`.
    pub async fn get_user(&self, client: &ScimClient, id: &str) -> ScimResult<ScimUser> {
        Ok(self.store.get_scim_user(&client.connection.id, user_id(id)?).await?)
    }

    /// `GET /Users?filter=&startIndex=&count=`.
    pub async fn list_users(
        &self,
        client: &ScimClient,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
    ) -> ScimResult<ScimPage<ScimUser>> {
        let filter = parse_filter(filter, Resource::User)?;
        let (page, start_index) = page_of(start_index, count);
        let (items, total) =
            self.store.list_scim_users(&client.connection.id, filter.as_ref(), page).await.map_err(invalid_filter)?;
        Ok(ScimPage { items, total, start_index })
    }

    /// `POST /.search`: users, then groups, as one list. A filter applies to the types that have its attributes
    /// (`userName eq "x"` finds no group); one neither type has is `invalidFilter`.
    pub async fn search_all(
        &self,
        client: &ScimClient,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
    ) -> ScimResult<ScimPage<ScimResource>> {
        let users_filter = parse_filter(filter, Resource::User);
        let groups_filter = parse_filter(filter, Resource::Group);
        if let (Err(e), Err(_)) = (&users_filter, &groups_filter) {
            return Err(e.clone());
        }
        let (page, start_index) = page_of(start_index, count);
        let c = &client.connection.id;
        let (users, users_total) = match &users_filter {
            Ok(f) => self.store.list_scim_users(c, f.as_ref(), page).await.map_err(invalid_filter)?,
            Err(_) => (Vec::new(), 0),
        };
        let rest =
            PageRequest { limit: page.limit - users.len() as u64, offset: page.offset.saturating_sub(users_total) };
        let (groups, groups_total) = match &groups_filter {
            Ok(f) => self.store.list_scim_groups(c, f.as_ref(), rest).await.map_err(invalid_filter)?,
            Err(_) => (Vec::new(), 0),
        };
        let items =
            users.into_iter().map(ScimResource::User).chain(groups.into_iter().map(ScimResource::Group)).collect();
        Ok(ScimPage { items, total: users_total + groups_total, start_index })
    }

    /// `PUT /Users/{id}`: the body replaces the record (and the member follows).
    pub async fn replace_user(&self, client: &ScimClient, id: &str, body: &Value) -> ScimResult<ScimUser> {
        let input = parse_user(body)?;
        self.write_user(client, user_id(id)?, input).await
    }

    /// `PATCH /Users/{id}`: the operations edit the stored resource, which is then read as a PUT body.
    pub async fn patch_user(&self, client: &ScimClient, id: &str, body: &Value) -> ScimResult<ScimUser> {
        let id = user_id(id)?;
        let current = self.store.get_scim_user(&client.connection.id, id).await?;
        let mut doc = user_document(&current);
        resource::apply_patch(&mut doc, body)?;
        let input = parse_user(&doc)?;
        self.write_user(client, id, input).await
    }

    async fn write_user(&self, client: &ScimClient, id: UserId, input: UserInput) -> ScimResult<ScimUser> {
        let now = self.clock.now();
        let next = Self::record(client, id, input, now);
        let updated = self
            .store
            .update_scim_user(
                &client.connection.id,
                id,
                Box::new(move |u| {
                    *u = ScimUser { created_at: u.created_at, member: u.member, ..next };
                    Ok(())
                }),
                now,
            )
            .await
            .map_err(conflict_as_uniqueness)?;
        self.access.invalidate();
        Ok(updated)
    }

    /// `DELETE /Users/{id}`: the record goes and, for a member, the membership (its sessions end).
    pub async fn delete_user(&self, client: &ScimClient, id: &str) -> ScimResult<()> {
        self.store.delete_scim_user(&client.connection.id, user_id(id)?, self.clock.now()).await?;
        self.access.invalidate();
        Ok(())
    }

    fn group_members(input: &GroupInput) -> ScimResult<Vec<UserId>> {
        input
            .members
            .iter()
            .map(|m| {
                UserId::parse(m).map_err(|_| ScimError::bad_request("invalidValue", format!("Unknown member {m}")))
            })
            .collect()
    }

    /// `POST /Groups`: members must be users of the connection (`400 invalidValue` otherwise).
    pub async fn create_group(&self, client: &ScimClient, body: &Value) -> ScimResult<ScimGroup> {
        let input = parse_group(body)?;
        let now = self.clock.now();
        let group = ScimGroup {
            id: uuid::Uuid::new_v4().to_string(),
            connection_id: client.connection.id.clone(),
            members: Self::group_members(&input)?,
            display_name: input.display_name,
            external_id: input.external_id,
            created_at: now,
            updated_at: now,
        };
        self.store.create_scim_group(&group, now).await.map_err(unknown_member)
    }

    /// `GET /Groups/{id}`.
    pub async fn get_group(&self, client: &ScimClient, id: &str) -> ScimResult<ScimGroup> {
        Ok(self.store.get_scim_group(&client.connection.id, id).await?)
    }

    /// `GET /Groups?filter=&startIndex=&count=`.
    pub async fn list_groups(
        &self,
        client: &ScimClient,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
    ) -> ScimResult<ScimPage<ScimGroup>> {
        let filter = parse_filter(filter, Resource::Group)?;
        let (page, start_index) = page_of(start_index, count);
        let (items, total) =
            self.store.list_scim_groups(&client.connection.id, filter.as_ref(), page).await.map_err(invalid_filter)?;
        Ok(ScimPage { items, total, start_index })
    }

    /// `PUT /Groups/{id}`.
    pub async fn replace_group(&self, client: &ScimClient, id: &str, body: &Value) -> ScimResult<ScimGroup> {
        let input = parse_group(body)?;
        self.write_group(client, id, input).await
    }

    /// `PATCH /Groups/{id}`.
    pub async fn patch_group(&self, client: &ScimClient, id: &str, body: &Value) -> ScimResult<ScimGroup> {
        let current = self.store.get_scim_group(&client.connection.id, id).await?;
        let mut doc = group_document(&current);
        resource::apply_patch(&mut doc, body)?;
        let input = parse_group(&doc)?;
        self.write_group(client, id, input).await
    }

    async fn write_group(&self, client: &ScimClient, id: &str, input: GroupInput) -> ScimResult<ScimGroup> {
        let members = Self::group_members(&input)?;
        let change = Box::new(move |g: &mut ScimGroup| {
            g.display_name = input.display_name;
            g.external_id = input.external_id;
            g.members = members;
            Ok(())
        });
        self.store.update_scim_group(&client.connection.id, id, change, self.clock.now()).await.map_err(unknown_member)
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete_group(&self, client: &ScimClient, id: &str) -> ScimResult<()> {
        Ok(self.store.delete_scim_group(&client.connection.id, id, self.clock.now()).await?)
    }
}

fn parse_filter(raw: Option<&str>, resource: Resource) -> ScimResult<Option<yolk_store::scim::ScimFilter>> {
    match raw.map(str::trim).filter(|f| !f.is_empty()) {
        None => Ok(None),
        Some(f) => filter::parse(f, resource).map(Some).map_err(|e| ScimError::bad_request("invalidFilter", e.0)),
    }
}

/// A store refusal of a filter (an attribute the resource does not have) is an `invalidFilter`.
fn invalid_filter(e: StoreError) -> ScimError {
    match e {
        StoreError::Invalid(m) => ScimError::bad_request("invalidFilter", m),
        other => other.into(),
    }
}

/// A member that is not a user of the connection is the client's mistake.
fn unknown_member(e: StoreError) -> ScimError {
    match e {
        StoreError::NotFound(Entity::ScimUser) => {
            ScimError::bad_request("invalidValue", "A member is not a user of this connection")
        }
        other => other.into(),
    }
}

/// Every uniqueness refusal of a user write is SCIM's `uniqueness`.
fn conflict_as_uniqueness(e: StoreError) -> ScimError {
    match e {
        StoreError::Conflict(c @ (Constraint::ScimUserName | Constraint::UserEmail | Constraint::Username)) => {
            ScimError {
                status: 409,
                scim_type: Some("uniqueness"),
                detail: c.message().to_owned(),
                retry_after_secs: None,
            }
        }
        other => other.into(),
    }
}

/// A user record as the JSON document a PATCH edits (the stored resource with the record's own attributes).
pub fn user_document(u: &ScimUser) -> Value {
    let mut doc = match &u.resource {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    doc.insert("userName".into(), Value::String(u.user_name.clone()));
    // The record's `active` is authoritative; it is shown when the client set it (absent means active).
    if doc.contains_key("active") || !u.active {
        doc.insert("active".into(), Value::Bool(u.active));
    }
    match &u.external_id {
        Some(x) => doc.insert("externalId".into(), Value::String(x.clone())),
        None => doc.remove("externalId"),
    };
    Value::Object(doc)
}

/// A group as the JSON document a PATCH edits.
pub fn group_document(g: &ScimGroup) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("displayName".into(), Value::String(g.display_name.clone()));
    if let Some(x) = &g.external_id {
        doc.insert("externalId".into(), Value::String(x.clone()));
    }
    let members: Vec<Value> = g.members.iter().map(|m| serde_json::json!({"value": m.to_string()})).collect();
    doc.insert("members".into(), Value::Array(members));
    Value::Object(doc)
}
