//! Users. One shape serves the v1, v2 and v3 user endpoints (`UserV3Dto` plus the v1/v2 fields): clients ignore
//! fields they do not know, and each version's required fields are all present.

use serde::Serialize;

use crate::roles::RoleDto;

/// A user's membership in a tenant (`UserTenantDto`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTenantDto {
    pub tenant_id: String,
    pub roles: Vec<RoleDto>,
    pub is_disabled: bool,
    pub created_at: String,
}

/// A user.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: String,
    pub sub: String,
    pub email: String,
    pub name: Option<String>,
    pub username: Option<String>,
    pub profile_picture_url: Option<String>,
    pub phone_number: Option<String>,
    pub external_id: Option<String>,
    pub provider: String,
    pub verified: bool,
    pub is_locked: bool,
    pub mfa_enrolled: bool,
    pub mfa_bypass: bool,
    pub super_user: bool,
    pub invisible: bool,
    /// JSON-encoded string.
    pub metadata: Option<String>,
    /// The tenant in context (the caller's, or the user's active tenant).
    pub tenant_id: Option<String>,
    pub tenant_ids: Vec<String>,
    pub activated_for_tenant: bool,
    /// Roles in the tenant in context.
    pub roles: Vec<RoleDto>,
    /// Permission keys in the tenant in context (filled where the endpoint returns them).
    pub permissions: Vec<serde_json::Value>,
    pub tenants: Vec<UserTenantDto>,
    pub last_login: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}
