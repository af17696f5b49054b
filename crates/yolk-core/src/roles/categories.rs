//! Permission categories (environment only): display groups of permissions.

use std::collections::HashMap;

use yolk_api_types::permissions::{CreateCategoryRequest, UpdateCategoryRequest};
use yolk_domain::{CategoryId, Permission, PermissionCategory};
use yolk_store::{Constraint, StoreError};

use super::{MAX_NAME, RoleService, description, required_text};
use crate::access::Environment;
use crate::{CoreError, CoreResult};

impl RoleService {
    /// Every category with its permissions.
    pub async fn categories(&self, _: &Environment) -> CoreResult<Vec<(PermissionCategory, Vec<Permission>)>> {
        let categories = self.store.list_categories().await?;
        let mut by_category: HashMap<CategoryId, Vec<Permission>> = HashMap::new();
        for p in self.store.list_permissions().await? {
            if let Some(c) = p.category_id {
                by_category.entry(c).or_default().push(p);
            }
        }
        Ok(categories
            .into_iter()
            .map(|c| {
                let permissions = by_category.remove(&c.id).unwrap_or_default();
                (c, permissions)
            })
            .collect())
    }

    /// Creates a category, with the client's id if it gives one.
    pub async fn create_category(
        &self,
        _: &Environment,
        input: CreateCategoryRequest,
    ) -> CoreResult<PermissionCategory> {
        let now = self.clock.now();
        let category = PermissionCategory {
            id: input.id.unwrap_or_default(),
            name: required_text("name", &input.name, MAX_NAME).map_err(CoreError::BadRequest)?,
            description: description(input.description).map_err(CoreError::BadRequest)?,
            fe_category: false,
            created_at: now,
            updated_at: now,
        };
        self.store.create_category(&category).await.map_err(|e| match e {
            StoreError::Conflict(Constraint::CategoryId) => {
                CoreError::ConflictWith("Category with this id already exists".into())
            }
            other => other.into(),
        })
    }

    /// Renames or re-describes a category.
    pub async fn update_category(
        &self,
        _: &Environment,
        id: CategoryId,
        change: UpdateCategoryRequest,
    ) -> CoreResult<PermissionCategory> {
        let name = change.name.as_deref();
        let name = name.map(|n| required_text("name", n, MAX_NAME)).transpose().map_err(CoreError::BadRequest)?;
        let desc = description(change.description).map_err(CoreError::BadRequest)?;
        let mutation = Box::new(move |c: &mut PermissionCategory| {
            if let Some(n) = name {
                c.name = n;
            }
            if desc.is_some() {
                c.description = desc;
            }
            Ok(())
        });
        Ok(self.store.update_category(id, mutation, self.clock.now()).await?)
    }

    /// Deletes a category; its permissions stay, without a category.
    pub async fn delete_category(&self, _: &Environment, id: CategoryId) -> CoreResult<()> {
        Ok(self.store.delete_category(id).await?)
    }
}
