//! The hierarchy: reading an account's sub-accounts, parents and tree, and linking or unlinking existing tenants.
//! The hierarchy is a forest: linking a tenant under itself or under one of its own sub-accounts is refused.

use std::collections::{HashMap, HashSet};

use yolk_domain::fe_permissions::ReadSubAccounts;
use yolk_domain::{Tenant, TenantId};
use yolk_store::{Entity, StoreError};

use super::TenantService;
use crate::access::{Environment, Permit};
use crate::{CoreError, CoreResult};

/// A tenant and, recursively, its sub-accounts.
#[derive(Debug, Clone)]
pub struct TenantTree {
    pub tenant: Tenant,
    pub children: Vec<TenantTree>,
}

impl TenantService {
    /// The account in scope (which must exist).
    async fn scoped(&self, permit: &Permit<ReadSubAccounts>) -> CoreResult<Tenant> {
        Ok(self.store.get_tenant(permit.tenant()?).await?)
    }

    /// Every sub-account below the account in scope (all levels), by creation time.
    pub async fn sub_tenants(&self, permit: &Permit<ReadSubAccounts>) -> CoreResult<Vec<Tenant>> {
        let tenant = self.scoped(permit).await?;
        Ok(self.store.descendant_tenants(&tenant.tenant_id).await?)
    }

    /// The accounts above the account in scope, nearest first.
    pub async fn parent_tenants(&self, permit: &Permit<ReadSubAccounts>) -> CoreResult<Vec<Tenant>> {
        let tenant = self.scoped(permit).await?;
        Ok(self.store.ancestor_tenants(&tenant.tenant_id).await?)
    }

    /// The account in scope and its sub-accounts as a tree; a 400 if the stored hierarchy loops.
    pub async fn tree(&self, permit: &Permit<ReadSubAccounts>) -> CoreResult<TenantTree> {
        let root = self.scoped(permit).await?;
        let below = self.store.descendant_tenants(&root.tenant_id).await?;
        let mut children: HashMap<TenantId, Vec<Tenant>> = HashMap::new();
        for t in std::iter::once(&root).chain(&below) {
            if let Some(p) = &t.parent_tenant_id {
                children.entry(p.clone()).or_default().push(t.clone());
            }
        }
        let mut seen = HashSet::new();
        build_tree(root, &children, &mut seen)
    }

    /// Places an existing tenant (`child`) under another (`parent`). A 400 when they are equal, when the child
    /// already has another parent, or when the parent is below the child (a cycle); `NotFound` when either is
    /// unknown. Linking a child to the parent it already has changes nothing. Answers the child.
    pub async fn link(&self, _: &Environment, parent: &TenantId, child: &TenantId) -> CoreResult<Tenant> {
        if parent == child {
            return Err(CoreError::BadRequest("parentTenantId and childTenantId must differ".into()));
        }
        let current = self.store.get_tenant(child).await?;
        self.store.get_tenant(parent).await?;
        match &current.parent_tenant_id {
            Some(p) if p == parent => return Ok(current),
            Some(_) => {
                return Err(CoreError::BadRequest(
                    "The child tenant is already a sub-account of another tenant".into(),
                ));
            }
            None => {}
        }
        Ok(self.store.set_tenant_parent(child, Some(parent), self.clock.now()).await?)
    }

    /// Detaches `child` from `parent` (it becomes a root account); a 404 when the two are not parent and child.
    pub async fn unlink(&self, _: &Environment, parent: &TenantId, child: &TenantId) -> CoreResult<()> {
        let not_related = || CoreError::NotFound(Entity::ParentTenant);
        let current = match self.store.get_tenant(child).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Err(not_related()),
            Err(e) => return Err(e.into()),
        };
        if current.parent_tenant_id.as_ref() != Some(parent) {
            return Err(not_related());
        }
        self.store.set_tenant_parent(child, None, self.clock.now()).await?;
        Ok(())
    }
}

fn build_tree(
    t: Tenant,
    children: &HashMap<TenantId, Vec<Tenant>>,
    seen: &mut HashSet<TenantId>,
) -> CoreResult<TenantTree> {
    if !seen.insert(t.tenant_id.clone()) {
        return Err(CoreError::BadRequest("Circular dependency detected in the hierarchy".into()));
    }
    let kids = children.get(&t.tenant_id).cloned().unwrap_or_default();
    let children = kids.into_iter().map(|c| build_tree(c, children, seen)).collect::<CoreResult<_>>()?;
    Ok(TenantTree { tenant: t, children })
}
