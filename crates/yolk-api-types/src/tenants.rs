//! tenants.json: accounts (tenants), account settings, sub-accounts and the hierarchy.
//!
//! The spec leaves most request schemas empty (`{"type":"object","properties":{}}`); the fields here are the ones
//! Frontegg's tenant object carries and its clients send. A tenant's descriptive fields are the domain's
//! [`TenantProfile`] (flattened); update bodies use [`Patch`] so that an absent field keeps its value and `null`
//! clears it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use yolk_domain::Patch;
use yolk_domain::TenantId;
use yolk_domain::TenantProfile;
use yolk_domain::settings::HierarchySettings;
use yolk_domain::tenant_input::TenantProfilePatch;

/// `POST /resources/tenants/v1` (`CreateTenantRequest`) and `POST /resources/sub-tenants/v1`
/// (`CreateSubTenantRequest`, which requires `tenantId`, `name` and `parentTenantId`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTenantRequest {
    /// Client-chosen tenant id; generated (a UUID) when absent.
    pub tenant_id: Option<TenantId>,
    pub name: Option<String>,
    /// An object, a JSON-encoded string or any other JSON value (stored JSON-encoded).
    pub metadata: Option<Value>,
    pub is_reseller: Option<bool>,
    pub parent_tenant_id: Option<TenantId>,
    /// `status`, `website`, `applicationUrl`, `logo` (base64), `logoUrl`, `address`, `timezone`, `dateFormat`,
    /// `timeFormat`, `currency`, `creatorName`, `creatorEmail`.
    #[serde(flatten)]
    pub profile: TenantProfile,
}

/// `PUT /resources/tenants/v1/{tenantId}` (`UpdateTenantRequest`) and `PUT /resources/tenants/v2/{tenantId}`
/// (`UpdateTenantRequestV2`). At least one field must be present.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTenantRequest {
    #[serde(default)]
    pub name: Patch<String>,
    /// Replaces the whole metadata (use the metadata routes to merge keys).
    #[serde(default)]
    pub metadata: Patch<Value>,
    /// The unique login alias; `null` clears it.
    #[serde(default)]
    pub alias: Patch<String>,
    #[serde(default)]
    pub is_reseller: Patch<bool>,
    #[serde(flatten)]
    pub profile: TenantProfilePatch,
}

/// `POST /resources/tenants/v1/{tenantId}/metadata` (`AddTenantMetadataRequest`).
#[derive(Debug, Default, Deserialize)]
pub struct AddTenantMetadataRequest {
    /// An object, or a string holding a JSON object; its keys are merged into the tenant's metadata.
    pub metadata: Option<Value>,
}

/// A tenant as the accounts API returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDto {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    /// JSON-encoded string (Frontegg's clients require a string, never an object).
    pub metadata: Option<String>,
    pub parent_tenant_id: Option<String>,
    pub alias: Option<String>,
    pub is_reseller: bool,
    pub status: Option<String>,
    pub website: Option<String>,
    pub application_url: Option<String>,
    pub logo: Option<String>,
    pub logo_url: Option<String>,
    pub address: Option<String>,
    pub timezone: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub currency: Option<String>,
    pub creator_name: Option<String>,
    pub creator_email: Option<String>,
    pub vendor_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

/// `GET /resources/hierarchy/v1/tree`: a tenant and, recursively, its sub-accounts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantTreeDto {
    pub tenant_id: String,
    pub name: String,
    pub children: Vec<TenantTreeDto>,
}

/// `PUT /resources/account-settings/v1` (`AccountSettingsUpdateRequest`): the tenant's descriptive settings. At
/// least one must be present; `null` clears one.
pub type AccountSettingsUpdateRequest = TenantProfilePatch;

/// `GET /resources/account-settings/v1`: an account's settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettingsDto {
    /// The tenant's internal id.
    pub id: String,
    pub tenant_id: String,
    pub address: Option<String>,
    pub timezone: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub currency: Option<String>,
    pub logo: Option<String>,
    pub logo_url: Option<String>,
    pub website: Option<String>,
    pub application_url: Option<String>,
}

/// `GET /resources/account-settings/v1/public`: the settings any member may read (branding and where the
/// application lives).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicAccountSettingsDto {
    pub application_url: Option<String>,
    pub logo: Option<String>,
    pub logo_url: Option<String>,
}

/// `PUT /resources/sub-tenants/v1/{tenantId}/management` (`UpdateSubTenantManagementRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubTenantManagementRequest {
    pub is_reseller: Option<bool>,
}

/// The hierarchy settings of an account, as `PUT .../hierarchy-settings` answers them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchySettingsDto {
    pub tenant_id: String,
    #[serde(flatten)]
    pub settings: HierarchySettings,
}

/// `POST` and `DELETE /resources/hierarchy/v1` (`CreateSubTenantRequestDto`, `DeleteSubTenantRequestDto`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyLinkRequest {
    pub parent_tenant_id: Option<TenantId>,
    pub child_tenant_id: Option<TenantId>,
}
