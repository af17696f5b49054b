//! tenants.json: accounts (tenants), account settings, sub-accounts and the hierarchy.
//!
//! The spec leaves most request schemas empty (`{"type":"object","properties":{}}`); the fields here are the ones
//! Frontegg's tenant object carries and its clients send. Update bodies use [`Patch`] so that an absent field
//! keeps its value and `null` clears it.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A field of a partial update: absent (keep), `null` (clear) or a value (set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// The field was not sent.
    #[default]
    Absent,
    /// The field was sent as `null`.
    Null,
    /// The field was sent with a value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the field was sent at all.
    pub fn is_present(&self) -> bool {
        !matches!(self, Self::Absent)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called for a field that is present (absent fields take `Default`).
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

/// `POST /resources/tenants/v1` (`CreateTenantRequest`) and `POST /resources/sub-tenants/v1`
/// (`CreateSubTenantRequest`, which requires `tenantId`, `name` and `parentTenantId`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTenantRequest {
    /// Client-chosen tenant id; generated (a UUID) when absent.
    pub tenant_id: Option<String>,
    pub name: Option<String>,
    /// An object, a JSON-encoded string or any other JSON value (stored JSON-encoded).
    pub metadata: Option<Value>,
    pub status: Option<String>,
    pub website: Option<String>,
    pub application_url: Option<String>,
    /// Base64-encoded image.
    pub logo: Option<String>,
    pub logo_url: Option<String>,
    pub address: Option<String>,
    pub timezone: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub currency: Option<String>,
    pub creator_name: Option<String>,
    pub creator_email: Option<String>,
    pub is_reseller: Option<bool>,
    pub parent_tenant_id: Option<String>,
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
    #[serde(default)]
    pub status: Patch<String>,
    #[serde(default)]
    pub website: Patch<String>,
    #[serde(default)]
    pub application_url: Patch<String>,
    #[serde(default)]
    pub logo: Patch<String>,
    #[serde(default)]
    pub logo_url: Patch<String>,
    #[serde(default)]
    pub address: Patch<String>,
    #[serde(default)]
    pub timezone: Patch<String>,
    #[serde(default)]
    pub date_format: Patch<String>,
    #[serde(default)]
    pub time_format: Patch<String>,
    #[serde(default)]
    pub currency: Patch<String>,
    #[serde(default)]
    pub creator_name: Patch<String>,
    #[serde(default)]
    pub creator_email: Patch<String>,
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

/// Paging facts of a `GET /resources/tenants/v2` page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMetadataDto {
    pub total_items: u64,
    pub total_pages: u64,
}

/// `GET /resources/tenants/v2`: one page of tenants.
#[derive(Debug, Clone, Serialize)]
pub struct TenantsPageDto {
    pub items: Vec<TenantDto>,
    #[serde(rename = "_metadata")]
    pub metadata: PageMetadataDto,
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
/// least one field must be present; `null` clears a field.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettingsUpdateRequest {
    #[serde(default)]
    pub address: Patch<String>,
    #[serde(default)]
    pub timezone: Patch<String>,
    #[serde(default)]
    pub date_format: Patch<String>,
    #[serde(default)]
    pub time_format: Patch<String>,
    #[serde(default)]
    pub currency: Patch<String>,
    #[serde(default)]
    pub logo: Patch<String>,
    #[serde(default)]
    pub logo_url: Patch<String>,
    #[serde(default)]
    pub website: Patch<String>,
    #[serde(default)]
    pub application_url: Patch<String>,
}

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

/// How users of an account reach its sub-accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubAccountAccessType {
    /// Access is off unless turned on per user.
    DefaultOff,
    /// Access is on unless turned off per user.
    DefaultOn,
    /// Every user has access; it cannot be turned off.
    AlwaysOn,
}

/// `PUT /resources/sub-tenants/v1/{tenantId}/hierarchy-settings` (`UpdateSubTenantHierarchySettingsRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchySettingsRequest {
    pub sub_account_access_type: Option<SubAccountAccessType>,
}

/// The hierarchy settings of an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchySettingsDto {
    pub tenant_id: String,
    pub sub_account_access_type: SubAccountAccessType,
}

/// `POST` and `DELETE /resources/hierarchy/v1` (`CreateSubTenantRequestDto`, `DeleteSubTenantRequestDto`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyLinkRequest {
    pub parent_tenant_id: Option<String>,
    pub child_tenant_id: Option<String>,
}
