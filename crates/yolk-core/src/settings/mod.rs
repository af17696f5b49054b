//! Settings documents (see `yolk_domain::settings`): one mechanism for every configuration operation. A request
//! body is merged onto the stored document (RFC 7396: a field sent replaces the stored one, `null` resets it to its
//! default, absent fields stay), the result is parsed and validated, and stored, all inside one store transaction,
//! so concurrent partial updates on any node lose nothing and an invalid request changes nothing.
//!
//! Each document is read here by the path it governs, so a stored setting is always an enforced one: the vendor
//! configuration by login, refresh and sign-up; the password policy by every path that sets a password.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;
use yolk_domain::password_policy::PasswordPolicy;
use yolk_domain::settings::{
    LockoutPolicy, MfaConfig, MfaPolicy, MfaStrategies, SettingsDocument, Stamped, VendorConfig, parse_document,
};
use yolk_domain::{Clock, TenantId};
use yolk_store::{Constraint, Entity, Store, StoreError};

use crate::access::Environment;

/// The public part of the vendor configuration ([`Settings::public_settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSettings {
    pub allow_signups: bool,
    pub allow_not_verified_users_login: bool,
    pub api_tokens_enabled: bool,
    pub force_permissions: bool,
    pub auth_strategy: yolk_domain::settings::AuthStrategy,
    pub machine_to_machine_auth_strategy: yolk_domain::settings::MachineToMachineAuthStrategy,
}
use crate::tokens::TokenSettings;
use crate::{CoreError, CoreResult};

/// Whose document: the environment's, or one tenant's (stored as `<KEY>:<tenantId>`, deleted with the tenant).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Environment,
    Tenant(&'a TenantId),
}

fn key<D: SettingsDocument>(scope: Scope<'_>) -> String {
    match scope {
        Scope::Environment => D::KEY.to_owned(),
        Scope::Tenant(t) => format!("{}:{}", D::KEY, t),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Backend(format!("settings document: {e}")))
}

/// Parses and validates a document from a client's JSON; the message is for the client.
fn checked<D: SettingsDocument>(value: Value) -> Result<D, StoreError> {
    let doc: D = parse_document(value).map_err(StoreError::Invalid)?;
    doc.validate().map_err(StoreError::Invalid)?;
    Ok(doc)
}

/// RFC 7396 JSON merge patch: objects merge recursively, `null` removes a member, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (k, v) in patch {
            if v.is_null() {
                target.remove(k);
            } else {
                merge_patch(target.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The vendor configuration as this node last read it, so the paths that enforce it (every login and refresh) do
/// not read and parse the stored document per request. A reading serves for less than the TTL; every local write of
/// a settings document drops it (and a read that overlapped a write is not kept), so this node sees its own change
/// at once and another node's within the TTL (the access cache's, 2 s by default: the bound revocations have).
struct VendorConfigCache {
    ttl: chrono::Duration,
    /// Bumped by every local write: a read that started before one is not kept.
    writes: AtomicU64,
    reading: Mutex<Option<(VendorConfig, DateTime<Utc>)>>,
}

/// Reads and writes settings documents.
#[derive(Clone)]
pub struct Settings {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    tokens: TokenSettings,
    vendor_config: Arc<VendorConfigCache>,
}

impl Settings {
    /// The settings service; `tokens` gives the server's default token lifetimes; the vendor configuration in
    /// force is cached per node for `cache_ttl_ms` (0: read for every request).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, tokens: TokenSettings, cache_ttl_ms: u64) -> Self {
        let ttl = chrono::Duration::milliseconds(i64::try_from(cache_ttl_ms).unwrap_or(i64::MAX / 4));
        let vendor_config = Arc::new(VendorConfigCache { ttl, writes: AtomicU64::new(0), reading: Mutex::new(None) });
        Self { store, clock, tokens, vendor_config }
    }

    fn cached_vendor_config(&self) -> std::sync::MutexGuard<'_, Option<(VendorConfig, DateTime<Utc>)>> {
        self.vendor_config.reading.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The environment's document (or with `tenant`, that tenant's), if stored. `NotFound(Tenant)` for an
    /// unknown tenant.
    pub async fn document<D: SettingsDocument>(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
    ) -> CoreResult<Option<Stamped<D>>> {
        self.get::<D>(self.scope(tenant).await?).await
    }

    /// Creates the environment's (or `tenant`'s) document from `body`; `Conflict(Setting)` if one exists
    /// (race-free).
    pub async fn create_document<D: SettingsDocument>(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        body: Value,
    ) -> CoreResult<Stamped<D>> {
        self.create::<D>(self.scope(tenant).await?, body).await
    }

    /// Replaces the environment's (or `tenant`'s) document with `body`; `NotFound(Setting)` if there is none.
    pub async fn replace_document<D: SettingsDocument>(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        body: Value,
    ) -> CoreResult<Stamped<D>> {
        self.replace::<D>(self.scope(tenant).await?, body).await
    }

    /// Creates or replaces the environment's (or `tenant`'s) document with `body`.
    pub async fn put_document<D: SettingsDocument>(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        body: Value,
    ) -> CoreResult<Stamped<D>> {
        self.put::<D>(self.scope(tenant).await?, body).await
    }

    /// Merges `patch` onto the environment's (or `tenant`'s) document (or its default).
    pub async fn merge_document_in<D: SettingsDocument + Default>(
        &self,
        _: &Environment,
        tenant: Option<&TenantId>,
        patch: Value,
    ) -> CoreResult<Stamped<D>> {
        self.merge::<D>(self.scope(tenant).await?, patch).await
    }

    /// The environment's user emails policy (email change allowed until set).
    pub async fn user_emails_policy(&self) -> CoreResult<yolk_domain::settings::UserEmailsPolicy> {
        self.get_or_default(Scope::Environment).await
    }

    /// The scope a management call names: the environment, or an existing tenant.
    async fn scope<'a>(&self, tenant: Option<&'a TenantId>) -> CoreResult<Scope<'a>> {
        match tenant {
            Some(t) => {
                self.store.get_tenant(t).await?;
                Ok(Scope::Tenant(t))
            }
            None => Ok(Scope::Environment),
        }
    }

    /// How many wrong passwords in a row lock a user whose active tenant is `tenant`: that tenant's lockout
    /// policy if it has one, else the environment's; `None` when the policy in force is off or absent.
    pub(crate) async fn lockout_limit(&self, tenant: Option<&TenantId>) -> CoreResult<Option<i64>> {
        if let Some(t) = tenant
            && let Some(p) = self.get::<LockoutPolicy>(Scope::Tenant(t)).await?
        {
            return Ok(p.doc.limit());
        }
        Ok(self.get::<LockoutPolicy>(Scope::Environment).await?.and_then(|p| p.doc.limit()))
    }

    /// The MFA policy in force for a user of `tenant`: that tenant's if it has one, else the environment's, else
    /// the default (nobody forced).
    pub(crate) async fn mfa_policy(&self, tenant: Option<&TenantId>) -> CoreResult<MfaPolicy> {
        if let Some(t) = tenant
            && let Some(p) = self.get::<MfaPolicy>(Scope::Tenant(t)).await?
        {
            return Ok(p.doc);
        }
        self.get_or_default::<MfaPolicy>(Scope::Environment).await
    }

    /// The environment's MFA strategies (the authenticator app alone until set).
    pub async fn mfa_strategies(&self) -> CoreResult<MfaStrategies> {
        self.get_or_default::<MfaStrategies>(Scope::Environment).await
    }

    /// Turns one MFA strategy on or off.
    pub async fn set_mfa_strategy(
        &self,
        _: &Environment,
        strategy: yolk_domain::settings::MfaStrategy,
        is_active: bool,
    ) -> CoreResult<MfaStrategies> {
        let stored = self
            .write::<MfaStrategies>(Scope::Environment, move |stored, now| {
                let (id, created_at, mut doc) = match stored {
                    Some(s) => (s.id, s.created_at, s.doc),
                    None => (Uuid::new_v4(), now, MfaStrategies::default()),
                };
                doc.set(strategy, is_active).map_err(StoreError::Invalid)?;
                Ok(Stamped { id, created_at, updated_at: now, doc })
            })
            .await?;
        Ok(stored.doc)
    }

    /// The environment's MFA configuration (every factor on, 5-minute codes, until set).
    pub async fn mfa_config(&self) -> CoreResult<MfaConfig> {
        self.get_or_default::<MfaConfig>(Scope::Environment).await
    }

    /// Merges `patch` onto the environment's document (or its default).
    pub async fn merge_document<D: SettingsDocument + Default>(
        &self,
        _: &Environment,
        patch: Value,
    ) -> CoreResult<Stamped<D>> {
        self.merge::<D>(Scope::Environment, patch).await
    }

    /// The stored document, if any.
    pub(crate) async fn get<D: SettingsDocument>(&self, scope: Scope<'_>) -> CoreResult<Option<Stamped<D>>> {
        match self.store.get_setting(&key::<D>(scope)).await? {
            Some(v) => {
                Ok(Some(serde_json::from_value(v).map_err(|e| CoreError::Internal(format!("stored {}: {e}", D::KEY)))?))
            }
            None => Ok(None),
        }
    }

    /// The stored document, or its default.
    pub(crate) async fn get_or_default<D: SettingsDocument + Default>(&self, scope: Scope<'_>) -> CoreResult<D> {
        Ok(self.get::<D>(scope).await?.map(|s| s.doc).unwrap_or_default())
    }

    /// Merges `patch` (a JSON object) onto the stored document (or the default) and stores the result if it
    /// parses and validates; otherwise a 400 and nothing changes.
    pub(crate) async fn merge<D: SettingsDocument + Default>(
        &self,
        scope: Scope<'_>,
        patch: Value,
    ) -> CoreResult<Stamped<D>> {
        if !patch.is_object() {
            return Err(CoreError::BadRequest("The body must be a JSON object".into()));
        }
        self.write::<D>(scope, move |stored, now| {
            let (id, created_at, mut doc) = match stored {
                Some(s) => (s.id, s.created_at, to_json(&s.doc)?),
                None => (Uuid::new_v4(), now, to_json(&D::default())?),
            };
            merge_patch(&mut doc, &patch);
            Ok(Stamped { id, created_at, updated_at: now, doc: checked::<D>(doc)? })
        })
        .await
    }

    /// Creates the document from `body`; `Conflict(Setting)` if one exists (race-free).
    pub(crate) async fn create<D: SettingsDocument>(&self, scope: Scope<'_>, body: Value) -> CoreResult<Stamped<D>> {
        self.write::<D>(scope, move |stored, now| match stored {
            Some(_) => Err(StoreError::Conflict(Constraint::Setting)),
            None => Ok(Stamped { id: Uuid::new_v4(), created_at: now, updated_at: now, doc: checked::<D>(body)? }),
        })
        .await
    }

    /// Replaces the document's fields with `body` (keeping its id and creation time); `NotFound(Setting)` if
    /// there is none.
    pub(crate) async fn replace<D: SettingsDocument>(&self, scope: Scope<'_>, body: Value) -> CoreResult<Stamped<D>> {
        self.write::<D>(scope, move |stored, now| match stored {
            Some(s) => Ok(Stamped { id: s.id, created_at: s.created_at, updated_at: now, doc: checked::<D>(body)? }),
            None => Err(StoreError::NotFound(Entity::Setting)),
        })
        .await
    }

    /// Creates or replaces the document with `body`.
    pub(crate) async fn put<D: SettingsDocument>(&self, scope: Scope<'_>, body: Value) -> CoreResult<Stamped<D>> {
        self.write::<D>(scope, move |stored, now| {
            let (id, created_at) = stored.map_or((Uuid::new_v4(), now), |s| (s.id, s.created_at));
            Ok(Stamped { id, created_at, updated_at: now, doc: checked::<D>(body)? })
        })
        .await
    }

    /// One read-modify-write of a document inside the store's transaction.
    async fn write<D: SettingsDocument>(
        &self,
        scope: Scope<'_>,
        change: impl FnOnce(Option<Stamped<D>>, chrono::DateTime<chrono::Utc>) -> Result<Stamped<D>, StoreError>
        + Send
        + 'static,
    ) -> CoreResult<Stamped<D>> {
        let now = self.clock.now();
        // Whatever happens below, the cached vendor configuration may be stale: drop it before and after.
        self.vendor_config.writes.fetch_add(1, Ordering::AcqRel);
        self.cached_vendor_config().take();
        let written = self.write_stored::<D>(scope, change, now).await;
        self.vendor_config.writes.fetch_add(1, Ordering::AcqRel);
        self.cached_vendor_config().take();
        written
    }

    async fn write_stored<D: SettingsDocument>(
        &self,
        scope: Scope<'_>,
        change: impl FnOnce(Option<Stamped<D>>, chrono::DateTime<chrono::Utc>) -> Result<Stamped<D>, StoreError>
        + Send
        + 'static,
        now: DateTime<Utc>,
    ) -> CoreResult<Stamped<D>> {
        let stored = self
            .store
            .update_setting(
                &key::<D>(scope),
                Box::new(move |doc| {
                    let current = match doc.take() {
                        Some(v) => Some(
                            serde_json::from_value::<Stamped<D>>(v)
                                .map_err(|e| StoreError::Backend(format!("stored {}: {e}", D::KEY)))?,
                        ),
                        None => None,
                    };
                    *doc = Some(to_json(&change(current, now)?)?);
                    Ok(())
                }),
                now,
            )
            .await?;
        let stored = stored.ok_or_else(|| CoreError::Internal(format!("{} vanished while written", D::KEY)))?;
        serde_json::from_value(stored).map_err(|e| CoreError::Internal(format!("stored {}: {e}", D::KEY)))
    }

    /// The vendor configuration in force, as the environment reads it.
    pub async fn vendor_config(&self, _: &Environment) -> CoreResult<VendorConfig> {
        self.vendor_config_in_force().await
    }

    /// What any page may read before sign-in (the login box's page load): the part of the vendor configuration
    /// that shapes the sign-in screens, nothing else.
    pub async fn public_settings(&self) -> CoreResult<PublicSettings> {
        let c = self.vendor_config_in_force().await?;
        Ok(PublicSettings {
            allow_signups: c.allow_signups,
            allow_not_verified_users_login: c.allow_not_verified_users_login,
            api_tokens_enabled: c.api_tokens_enabled,
            force_permissions: c.force_permissions,
            auth_strategy: c.auth_strategy,
            machine_to_machine_auth_strategy: c.machine_to_machine_auth_strategy,
        })
    }

    /// The vendor configuration in force: the stored one with unset token lifetimes resolved to the server's.
    /// What every enforcing path reads.
    /// Cached per node (see `VendorConfigCache`).
    pub(crate) async fn vendor_config_in_force(&self) -> CoreResult<VendorConfig> {
        let now = self.clock.now();
        let cache = &self.vendor_config;
        if let Some((c, read_at)) = self.cached_vendor_config().as_ref()
            && *read_at <= now
            && now - *read_at < cache.ttl
        {
            return Ok(c.clone());
        }
        let writes = cache.writes.load(Ordering::Acquire);
        let mut c = self.get_or_default::<VendorConfig>(Scope::Environment).await?;
        self.resolve(&mut c);
        let mut reading = self.cached_vendor_config();
        if cache.writes.load(Ordering::Acquire) == writes && cache.ttl > chrono::Duration::zero() {
            *reading = Some((c.clone(), now));
        }
        Ok(c)
    }

    /// Merges a `POST /configurations/v1` body into the vendor configuration; answers the configuration in force.
    pub async fn update_vendor_config(&self, _: &Environment, patch: Value) -> CoreResult<VendorConfig> {
        let mut c = self.merge::<VendorConfig>(Scope::Environment, patch).await?.doc;
        self.resolve(&mut c);
        Ok(c)
    }

    fn resolve(&self, c: &mut VendorConfig) {
        c.default_token_expiration.get_or_insert(self.tokens.access_ttl_secs);
        c.default_refresh_token_expiration.get_or_insert(self.tokens.refresh_ttl_secs);
    }

    /// The password policy in force (Frontegg's default until one is stored).
    pub async fn password_policy(&self) -> CoreResult<PasswordPolicy> {
        self.get_or_default::<PasswordPolicy>(Scope::Environment).await
    }
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({ "a": 1, "b": { "c": 2, "d": 3 }, "e": [1] });
        merge_patch(&mut doc, &json!({ "a": null, "b": { "c": 9 }, "e": [2], "f": "x" }));
        assert_eq!(doc, json!({ "b": { "c": 9, "d": 3 }, "e": [2], "f": "x" }));
    }
}
