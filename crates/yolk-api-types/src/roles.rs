//! Roles and permissions.

use serde::Serialize;

/// `RoleResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    pub id: String,
    pub vendor_id: String,
    pub tenant_id: Option<String>,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub is_default: bool,
    pub first_user_role: bool,
    pub level: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Permission ids.
    pub permissions: Vec<String>,
}
