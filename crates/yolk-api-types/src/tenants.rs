//! Tenants (accounts).

use serde::Serialize;

/// A tenant as the accounts API returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDto {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
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
