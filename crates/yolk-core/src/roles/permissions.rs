//! Permissions (environment only): keys that tokens carry, granted through roles.

use yolk_api_types::permissions::{AddPermissionRequest, UpdatePermissionRequest};
use yolk_domain::{AssignmentType, Permission, PermissionId, RoleId};
use yolk_store::{Constraint, StoreError};

use super::{MAX_BATCH, MAX_NAME, RoleService, batch, description, required_text};
use crate::access::Environment;
use crate::{CoreError, CoreResult};

/// A key clash names the keys.
fn key_clash(keys: &[String]) -> impl Fn(StoreError) -> CoreError + '_ {
    move |e| match e {
        StoreError::Conflict(Constraint::PermissionKey) => {
            CoreError::ConflictWith(format!("Permissions already exist: {}", keys.join(", ")))
        }
        other => other.into(),
    }
}

impl RoleService {
    /// Every permission, with the ids of the roles granting it.
    pub async fn permissions(&self, _: &Environment) -> CoreResult<Vec<Permission>> {
        Ok(self.store.list_permissions().await?)
    }

    /// Creates permissions (all or none). Roles are granted separately.
    pub async fn create_permissions(
        &self,
        _: &Environment,
        input: Vec<AddPermissionRequest>,
    ) -> CoreResult<Vec<Permission>> {
        if input.is_empty() || input.len() > MAX_BATCH {
            return Err(CoreError::BadRequest(format!("Expected an array of 1 to {MAX_BATCH} permissions")));
        }
        let now = self.clock.now();
        let permissions = input
            .into_iter()
            .map(|p| {
                Ok(Permission {
                    id: PermissionId::new(),
                    key: required_text("key", &p.key, MAX_NAME)?,
                    name: required_text("name", &p.name, MAX_NAME)?,
                    description: description(p.description)?,
                    category_id: p.category_id,
                    assignment_type: p.assignment_type.unwrap_or_default(),
                    role_ids: Vec::new(),
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(CoreError::BadRequest)?;
        let keys: Vec<String> = permissions.iter().map(|p| p.key.clone()).collect();
        self.store.create_permissions(&permissions).await.map_err(key_clash(&keys))
    }

    /// Updates a permission's fields (not its roles).
    pub async fn update_permission(
        &self,
        _: &Environment,
        id: PermissionId,
        change: UpdatePermissionRequest,
    ) -> CoreResult<Permission> {
        let bad = CoreError::BadRequest;
        let key = change.key.as_deref().map(|k| required_text("key", k, MAX_NAME)).transpose().map_err(bad)?;
        let name = change.name.as_deref().map(|n| required_text("name", n, MAX_NAME)).transpose().map_err(bad)?;
        let desc = description(change.description).map_err(bad)?;
        let keys = vec![key.clone().unwrap_or_default()];
        let (category, assignment_type) = (change.category_id, change.assignment_type);
        let mutation = Box::new(move |p: &mut Permission| {
            if let Some(k) = key {
                p.key = k;
            }
            if let Some(n) = name {
                p.name = n;
            }
            if desc.is_some() {
                p.description = desc;
            }
            category.apply_to(&mut p.category_id);
            if let Some(a) = assignment_type {
                p.assignment_type = a;
            }
            Ok(())
        });
        let permission =
            self.store.update_permission(id, mutation, self.clock.now()).await.map_err(key_clash(&keys))?;
        self.access.invalidate();
        Ok(permission)
    }

    /// Deletes a permission; roles stop granting it (tokens issued after lack it).
    pub async fn delete_permission(&self, _: &Environment, id: PermissionId) -> CoreResult<()> {
        self.store.delete_permission(id).await?;
        self.access.invalidate();
        Ok(())
    }

    /// Grants the permission to more roles; roles already granting it keep it. An unknown role is
    /// `NotFound(Role)` and nothing changes.
    pub async fn add_permission_roles(
        &self,
        _: &Environment,
        id: PermissionId,
        role_ids: &[RoleId],
    ) -> CoreResult<Permission> {
        batch("roleIds", role_ids).map_err(CoreError::BadRequest)?;
        let done = self.store.add_permission_roles(id, role_ids, self.clock.now()).await?;
        self.access.invalidate();
        Ok(done)
    }

    /// Classifies permissions for tenants' own roles, all or none.
    pub async fn classify_permissions(
        &self,
        _: &Environment,
        ids: &[PermissionId],
        assignment_type: AssignmentType,
    ) -> CoreResult<Vec<Permission>> {
        batch("permissionIds", ids).map_err(CoreError::BadRequest)?;
        if ids.is_empty() {
            return Err(CoreError::BadRequest("permissionIds must not be empty".into()));
        }
        Ok(self.store.classify_permissions(ids, assignment_type, self.clock.now()).await?)
    }
}
