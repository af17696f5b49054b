//! Roles: environment-wide ones and tenants' own (roles v1 for the environment, v2 for tenant self-service).

use std::collections::{BTreeSet, HashMap};

use yolk_api_types::roles::{AddRoleRequest, AddRoleWithPermissionsRequest, UpdateRoleRequest};
use yolk_domain::fe_permissions::{ReadRoles, WriteRoles};
use yolk_domain::{AssignmentType, PermissionId, Role, RoleId, TenantId};
use yolk_store::roles::{NewRole, RoleUpdate};
use yolk_store::{Constraint, Entity, PageRequest, StoreError};

use super::{MAX_NAME, RoleService, batch, description, in_scope, required_text};
use crate::access::{Environment, Permit};
use crate::{CoreError, CoreResult};

/// Role levels Frontegg allows (lower is stronger).
const LEVELS: std::ops::RangeInclusive<i64> = 0..=32767;

/// `_sortBy` of `GET /roles/v2`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RoleSort {
    #[default]
    Key,
    Name,
    Description,
    IsDefault,
    FirstUserRole,
    Level,
    UpdatedAt,
    CreatedAt,
    Permissions,
    UserTenants,
    /// yolk has no groups yet: every role counts zero.
    Groups,
}

/// A page of roles (`GET /roles/v2`).
#[derive(Debug, Clone)]
pub struct RoleQuery {
    /// Case-insensitive substring of key, name or description.
    pub filter: Option<String>,
    pub levels: Option<Vec<i64>>,
    /// Only roles owned by these tenants.
    pub tenant_ids: Option<Vec<TenantId>>,
    pub sort: RoleSort,
    pub descending: bool,
    pub page: PageRequest,
}

fn level(value: i64) -> Result<i64, String> {
    if LEVELS.contains(&value) {
        Ok(value)
    } else {
        Err(format!("level must be between {} and {}", LEVELS.start(), LEVELS.end()))
    }
}

/// A key clash names the keys, in Frontegg's words.
fn key_clash(keys: &[String]) -> impl Fn(StoreError) -> CoreError + '_ {
    move |e| match e {
        StoreError::Conflict(Constraint::RoleKey) => {
            CoreError::ConflictWith(format!("Roles already exists: {}", keys.join(", ")))
        }
        other => other.into(),
    }
}

impl RoleQuery {
    fn keep(&self, r: &Role) -> bool {
        let text = self.filter.as_deref().map(str::to_lowercase).is_none_or(|f| {
            r.key.to_lowercase().contains(&f)
                || r.name.to_lowercase().contains(&f)
                || r.description.as_deref().is_some_and(|d| d.to_lowercase().contains(&f))
        });
        let level = self.levels.as_ref().is_none_or(|l| l.contains(&r.level));
        let tenant = self.tenant_ids.as_ref().is_none_or(|ids| r.tenant_id.as_ref().is_some_and(|t| ids.contains(t)));
        text && level && tenant
    }
}

fn sort(roles: &mut [Role], by: RoleSort, descending: bool, assignments: &HashMap<RoleId, u64>) {
    roles.sort_by(|a, b| {
        let primary = match by {
            RoleSort::Key => a.key.cmp(&b.key),
            RoleSort::Name => a.name.cmp(&b.name),
            RoleSort::Description => a.description.cmp(&b.description),
            RoleSort::IsDefault => a.is_default.cmp(&b.is_default),
            RoleSort::FirstUserRole => a.first_user_role.cmp(&b.first_user_role),
            RoleSort::Level => a.level.cmp(&b.level),
            RoleSort::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            RoleSort::CreatedAt => a.created_at.cmp(&b.created_at),
            RoleSort::Permissions => a.permission_ids.len().cmp(&b.permission_ids.len()),
            RoleSort::UserTenants => assignments.get(&a.id).cmp(&assignments.get(&b.id)),
            RoleSort::Groups => std::cmp::Ordering::Equal,
        };
        let primary = if descending { primary.reverse() } else { primary };
        primary.then_with(|| a.key.cmp(&b.key)).then_with(|| a.id.cmp(&b.id))
    });
}

impl RoleService {
    /// The role, if it exists and is in scope of `tenant`.
    async fn scoped_role(&self, id: RoleId, tenant: Option<&TenantId>) -> CoreResult<Role> {
        let role = self.store.get_role(id).await?;
        if in_scope(&role, tenant) { Ok(role) } else { Err(StoreError::NotFound(Entity::Role).into()) }
    }

    /// Every role, or with a tenant the environment's plus that tenant's.
    pub async fn list(&self, _: &Environment, tenant: Option<&TenantId>) -> CoreResult<Vec<Role>> {
        Ok(self.store.list_roles(tenant).await?)
    }

    /// Creates roles (all or none), environment-wide or owned by `tenant`. A default role with `migrateRole` is
    /// also given to every existing member of its scope.
    pub async fn create(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        input: Vec<AddRoleRequest>,
    ) -> CoreResult<Vec<Role>> {
        if input.is_empty() {
            return Err(CoreError::BadRequest(format!("Expected an array of 1 to {} roles", super::MAX_BATCH)));
        }
        batch("roles", &input).map_err(CoreError::BadRequest)?;
        let now = self.clock.now();
        let roles = input
            .into_iter()
            .map(|r| {
                let role = Role {
                    id: RoleId::new(),
                    key: required_text("key", &r.key, MAX_NAME)?,
                    name: required_text("name", &r.name, MAX_NAME)?,
                    description: description(r.description)?,
                    tenant_id: tenant.cloned(),
                    level: level(r.level)?,
                    is_default: r.is_default.unwrap_or(false),
                    first_user_role: r.first_user_role.unwrap_or(false),
                    permission_ids: Vec::new(),
                    created_at: now,
                    updated_at: now,
                };
                Ok(NewRole { role, grant_to_members: r.migrate_role == Some(true) })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(CoreError::BadRequest)?;
        let keys: Vec<String> = roles.iter().map(|r| r.role.key.clone()).collect();
        self.store.create_roles(&roles).await.map_err(key_clash(&keys))
    }

    /// Updates a role's fields (not its permissions). `migrateRole` with a default role gives it to every member
    /// of its scope.
    pub async fn update(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        id: RoleId,
        change: UpdateRoleRequest,
    ) -> CoreResult<Role> {
        let current = self.scoped_role(id, tenant).await?;
        let bad = CoreError::BadRequest;
        let key = change.key.as_deref().map(|k| required_text("key", k, MAX_NAME)).transpose().map_err(bad)?;
        let name = change.name.as_deref().map(|n| required_text("name", n, MAX_NAME)).transpose().map_err(bad)?;
        let desc = description(change.description).map_err(bad)?;
        let new_level = change.level.map(level).transpose().map_err(bad)?;
        let keys = vec![key.clone().unwrap_or_else(|| current.key.clone())];
        let (is_default, first_user_role) = (change.is_default, change.first_user_role);
        let update = RoleUpdate {
            change: Box::new(move |r: &mut Role| {
                if let Some(k) = key {
                    r.key = k;
                }
                if let Some(n) = name {
                    r.name = n;
                }
                if desc.is_some() {
                    r.description = desc;
                }
                if let Some(l) = new_level {
                    r.level = l;
                }
                if let Some(d) = is_default {
                    r.is_default = d;
                }
                if let Some(f) = first_user_role {
                    r.first_user_role = f;
                }
                Ok(())
            }),
            grant_to_members: change.migrate_role == Some(true),
        };
        let role = self.store.update_role(id, update, self.clock.now()).await.map_err(key_clash(&keys))?;
        self.access.invalidate();
        Ok(role)
    }

    /// Deletes a role; users holding it lose it (their next token lacks it).
    pub async fn delete(&self, _: &Environment, tenant: Option<&TenantId>, id: RoleId) -> CoreResult<()> {
        self.scoped_role(id, tenant).await?;
        self.store.delete_role(id).await?;
        self.access.invalidate();
        Ok(())
    }

    /// Replaces the role's permissions; an unknown permission is `NotFound(Permission)` and nothing changes.
    pub async fn set_permissions(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        id: RoleId,
        permission_ids: &[PermissionId],
    ) -> CoreResult<Role> {
        batch("permissionIds", permission_ids).map_err(CoreError::BadRequest)?;
        self.scoped_role(id, tenant).await?;
        let done = self.store.set_role_permissions(id, permission_ids, self.clock.now()).await?;
        self.access.invalidate();
        Ok(done)
    }

    /// Moves a role to a tenant, or back to the environment with `None`; moving it to a tenant takes it from the
    /// users of every other tenant.
    pub async fn set_tenant(&self, _: &Environment, id: RoleId, tenant: Option<&TenantId>) -> CoreResult<Role> {
        let current = self.store.get_role(id).await?;
        let keys = vec![current.key];
        let role = self.store.set_role_tenant(id, tenant, self.clock.now()).await.map_err(key_clash(&keys))?;
        self.access.invalidate();
        Ok(role)
    }

    /// A page of the roles in scope and the total. The environment without a tenant sees every role.
    pub async fn page(&self, permit: &Permit<ReadRoles>, query: &RoleQuery) -> CoreResult<(Vec<Role>, u64)> {
        let mut roles: Vec<Role> =
            self.store.list_roles(permit.tenant_opt()).await?.into_iter().filter(|r| query.keep(r)).collect();
        let assignments = match query.sort {
            RoleSort::UserTenants => self.store.role_assignment_counts().await?,
            _ => HashMap::new(),
        };
        sort(&mut roles, query.sort, query.descending, &assignments);
        let total = roles.len() as u64;
        let start = usize::try_from(query.page.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(query.page.limit).unwrap_or(usize::MAX);
        Ok((roles.into_iter().skip(start).take(limit).collect(), total))
    }

    /// Creates a role owned by the tenant in scope, at the level of `base` (an environment role or one of the
    /// tenant's), with `permission_ids` plus every permission classified `ALWAYS`. Permissions classified `NEVER`
    /// cannot be given to a tenant's role; a member may only use a base not above its own level and give
    /// permissions it holds.
    pub async fn create_for_tenant(
        &self,
        permit: &Permit<WriteRoles>,
        input: AddRoleWithPermissionsRequest,
    ) -> CoreResult<Role> {
        let (base, permission_ids) = (input.base_role_id, input.permission_ids);
        let tenant = permit.tenant()?.clone();
        let bad = CoreError::BadRequest;
        let key = required_text("key", &input.key, MAX_NAME).map_err(bad)?;
        let name = required_text("name", &input.name, MAX_NAME).map_err(bad)?;
        let description = description(input.description).map_err(bad)?;
        batch("permissionIds", &permission_ids).map_err(bad)?;
        let base = self.scoped_role(base, Some(&tenant)).await?;
        let found = self.store.permissions_by_ids(&permission_ids).await?;
        if found.len() != permission_ids.iter().collect::<BTreeSet<_>>().len() {
            return Err(StoreError::NotFound(Entity::Permission).into());
        }
        if let Some(p) = found.iter().find(|p| p.assignment_type == AssignmentType::Never) {
            return Err(bad(format!("Permission {} cannot be assigned to an account role", p.key)));
        }
        // A member cannot mint a role stronger than itself: the base level is not above its own, and it gives only
        // permissions it holds (the ALWAYS ones below are everyone's anyway).
        let actor = permit.actor();
        if !actor.may_grant_level(base.level) {
            return Err(CoreError::Forbidden("A role cannot be based on a role above your own".into()));
        }
        if let Some(p) = found.iter().find(|p| !actor.holds_all(&[p.id])) {
            return Err(CoreError::Forbidden(format!("Cannot grant permission {} that you do not hold", p.key)));
        }
        let always = self.store.list_permissions().await?;
        let mut ids = permission_ids;
        ids.extend(always.iter().filter(|p| p.assignment_type == AssignmentType::Always).map(|p| p.id));
        let now = self.clock.now();
        let role = Role {
            id: RoleId::new(),
            key,
            name,
            description,
            tenant_id: Some(tenant),
            level: base.level,
            is_default: input.is_default.unwrap_or(false),
            first_user_role: false,
            permission_ids: ids,
            created_at: now,
            updated_at: now,
        };
        let keys = vec![role.key.clone()];
        let created =
            self.store.create_roles(&[NewRole { role, grant_to_members: false }]).await.map_err(key_clash(&keys))?;
        created.into_iter().next().ok_or_else(|| CoreError::Internal("created role missing".into()))
    }

    /// The distinct levels of the roles in scope, ascending.
    pub async fn distinct_levels(&self, permit: &Permit<ReadRoles>) -> CoreResult<Vec<i64>> {
        let roles = self.store.list_roles(permit.tenant_opt()).await?;
        Ok(roles.iter().map(|r| r.level).collect::<BTreeSet<_>>().into_iter().collect())
    }

    /// The distinct tenants owning roles in scope (a tenant sees at most itself), sorted.
    pub async fn distinct_tenants(&self, permit: &Permit<ReadRoles>) -> CoreResult<Vec<TenantId>> {
        let roles = self.store.list_roles(permit.tenant_opt()).await?;
        Ok(roles.into_iter().filter_map(|r| r.tenant_id).collect::<BTreeSet<_>>().into_iter().collect())
    }
}
