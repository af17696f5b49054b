//! Accounts: create, read, list, update and delete tenants, their metadata and their account settings.

use serde_json::Value;
use yolk_api_types::tenants::{CreateTenantRequest, UpdateTenantRequest};
use yolk_domain::fe_permissions::{DeleteAccount, ReadAccountSettings, WriteAccountSettings};
use yolk_domain::tenant_input::{TenantProfilePatch, tenant_alias, tenant_metadata, tenant_name};
use yolk_domain::{Patch, Tenant, TenantId};
use yolk_store::StoreError;
use yolk_store::tenants::TenantQuery;

use super::TenantService;
use crate::access::{Environment, Permit, TenantScope};
use crate::{CoreError, CoreResult};

/// An account-settings change: the descriptive settings only (address, time zone, formats, currency, logo,
/// website, application URL); the tenant's status and creator are not settings and are ignored.
pub type AccountSettingsInput = TenantProfilePatch;

/// Whether an update sends any field.
fn is_empty(u: &UpdateTenantRequest) -> bool {
    !(u.name.is_present() || u.metadata.is_present() || u.alias.is_present() || u.is_reseller.is_present())
        && u.profile.is_empty()
}

/// Checks and applies an update to `t`.
fn apply(u: &UpdateTenantRequest, t: &mut Tenant) -> Result<(), String> {
    match &u.name {
        Patch::Absent => {}
        Patch::Null => return Err("name cannot be null".into()),
        Patch::Value(n) => t.name = tenant_name(Some(n))?,
    }
    match &u.metadata {
        Patch::Absent => {}
        Patch::Null => t.metadata = None,
        Patch::Value(v) => t.metadata = tenant_metadata(v)?,
    }
    match &u.alias {
        Patch::Absent => {}
        Patch::Null => t.alias = None,
        Patch::Value(a) => t.alias = Some(tenant_alias(a)?),
    }
    match u.is_reseller {
        Patch::Absent => {}
        Patch::Null => return Err("isReseller must be a boolean".into()),
        Patch::Value(r) => t.is_reseller = r,
    }
    u.profile.apply(&mut t.profile)
}

/// The metadata object a merge applies to: an object, or a string holding a JSON object.
fn metadata_object(value: Option<&Value>) -> CoreResult<serde_json::Map<String, Value>> {
    let invalid = || CoreError::BadRequest("metadata must be a JSON object or a JSON-encoded object string".into());
    match value {
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

/// The stored metadata as an object to merge into; stored non-object metadata (say `42`) is replaced.
fn stored_metadata_object(t: &Tenant) -> serde_json::Map<String, Value> {
    match t.metadata.as_deref().and_then(|m| serde_json::from_str::<Value>(m).ok()) {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

impl TenantService {
    /// A new tenant from a create body: `tenantId` as given (a UUID when absent), `name` required, the profile
    /// checked; `parent` is decided by the caller.
    pub(super) fn new_tenant(&self, input: CreateTenantRequest, parent: Option<TenantId>) -> CoreResult<Tenant> {
        let bad = CoreError::BadRequest;
        let now = self.clock.now();
        let tenant_id = input.tenant_id.unwrap_or_else(TenantId::generate);
        let tenant = Tenant {
            metadata: input.metadata.as_ref().map(tenant_metadata).transpose().map_err(bad)?.flatten(),
            parent_tenant_id: parent,
            is_reseller: input.is_reseller.unwrap_or(false),
            profile: input.profile.validated().map_err(bad)?,
            ..Tenant::new(tenant_id, tenant_name(input.name.as_deref()).map_err(bad)?, now)
        };
        Ok(tenant)
    }

    /// Creates a tenant, optionally under an existing `parentTenantId`. `Conflict(TenantId)` when the id is taken,
    /// `NotFound(ParentTenant)` for an unknown parent.
    pub async fn create(&self, _: &Environment, input: CreateTenantRequest) -> CoreResult<Tenant> {
        let parent = input.parent_tenant_id.clone();
        let tenant = self.new_tenant(input, parent)?;
        Ok(self.store.create_tenant(&tenant).await?)
    }

    /// Every tenant, by tenant id.
    pub async fn list_all(&self, _: &Environment) -> CoreResult<Vec<Tenant>> {
        let query = TenantQuery { sort: yolk_store::tenants::TenantSort::TenantId, ..TenantQuery::default() };
        Ok(self.store.list_tenants(&query).await?.0)
    }

    /// A page of tenants and the total.
    pub async fn list(&self, _: &Environment, query: &TenantQuery) -> CoreResult<(Vec<Tenant>, u64)> {
        Ok(self.store.list_tenants(query).await?)
    }

    /// The tenant, if it exists.
    pub async fn find(&self, _: &Environment, id: &TenantId) -> CoreResult<Option<Tenant>> {
        match self.store.get_tenant(id).await {
            Ok(t) => Ok(Some(t)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The tenant whose login alias is `alias`.
    pub async fn by_alias(&self, _: &Environment, alias: &str) -> CoreResult<Tenant> {
        Ok(self.store.get_tenant_by_alias(alias).await?)
    }

    /// A partial update (v1 and v2): at least one known field; `Conflict(TenantAlias)` when the alias is taken.
    pub async fn update(&self, _: &Environment, id: &TenantId, update: UpdateTenantRequest) -> CoreResult<Tenant> {
        if is_empty(&update) {
            return Err(CoreError::BadRequest("The body must contain at least one property to change".into()));
        }
        // Validate up front, on a scratch tenant, so the store transaction does not fail on input.
        apply(&update, &mut Tenant::new(id.clone(), "scratch", self.clock.now())).map_err(CoreError::BadRequest)?;
        self.change(id, move |t| apply(&update, t)).await
    }

    /// Merges keys into the tenant's metadata (existing keys are overwritten).
    pub async fn add_metadata(&self, _: &Environment, id: &TenantId, metadata: Option<&Value>) -> CoreResult<Tenant> {
        let additions = metadata_object(metadata)?;
        self.change(id, move |t| {
            let mut merged = stored_metadata_object(t);
            merged.extend(additions);
            t.metadata = Some(Value::Object(merged).to_string());
            Ok(())
        })
        .await
    }

    /// Removes one metadata key (absent keys are fine).
    pub async fn remove_metadata(&self, _: &Environment, id: &TenantId, key: String) -> CoreResult<Tenant> {
        self.change(id, move |t| {
            let mut metadata = stored_metadata_object(t);
            if metadata.remove(&key).is_some() {
                t.metadata = Some(Value::Object(metadata).to_string());
            }
            Ok(())
        })
        .await
    }

    /// Deletes a tenant and the users that belonged only to it; its sub-accounts move up to its parent (Frontegg's
    /// documented behaviour for account deletion).
    pub async fn delete(&self, _: &Environment, id: &TenantId) -> CoreResult<()> {
        self.store.delete_tenant(id, self.clock.now()).await?;
        self.access.invalidate();
        Ok(())
    }

    /// Deletes the caller's own tenant, as [`TenantService::delete`] does.
    pub async fn delete_own(&self, permit: &Permit<DeleteAccount>) -> CoreResult<()> {
        self.store.delete_tenant(permit.tenant()?, self.clock.now()).await?;
        self.access.invalidate();
        Ok(())
    }

    /// The account settings of the tenant in scope (the tenant's profile).
    pub async fn account_settings(&self, permit: &Permit<ReadAccountSettings>) -> CoreResult<Tenant> {
        Ok(self.store.get_tenant(permit.tenant()?).await?)
    }

    /// The public subset of the account settings: any member of the account may read it, no permission needed.
    pub async fn public_account_settings(&self, scope: &TenantScope) -> CoreResult<Tenant> {
        let tenant =
            scope.tenant().ok_or_else(|| CoreError::BadRequest("frontegg-tenant-id header is required".into()))?;
        Ok(self.store.get_tenant(tenant).await?)
    }

    /// Changes the account settings present in `input` (`null` clears one); at least one is required.
    pub async fn update_account_settings(
        &self,
        permit: &Permit<WriteAccountSettings>,
        mut input: AccountSettingsInput,
    ) -> CoreResult<Tenant> {
        (input.status, input.creator_name, input.creator_email) = (Patch::Absent, Patch::Absent, Patch::Absent);
        if input.is_empty() {
            return Err(CoreError::BadRequest("At least one setting is required".into()));
        }
        input.check().map_err(CoreError::BadRequest)?;
        self.change(permit.tenant()?, move |t| input.apply(&mut t.profile)).await
    }

    /// One read-modify-write of a tenant (a rule broken inside it is a 400 and changes nothing).
    async fn change(
        &self,
        id: &TenantId,
        change: impl FnOnce(&mut Tenant) -> Result<(), String> + Send + 'static,
    ) -> CoreResult<Tenant> {
        let mutation = Box::new(move |t: &mut Tenant| change(t).map_err(StoreError::Invalid));
        Ok(self.store.update_tenant(id, mutation, self.clock.now()).await?)
    }
}
