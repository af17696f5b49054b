//! Roles (`Roles` and `Account roles` tags).

use serde::{Deserialize, Serialize};
use yolk_domain::{Patch, PermissionId, RoleId, TenantId};

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

/// `AddRoleRequest`, one element of `POST /resources/roles/v1`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddRoleRequest {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub is_default: Option<bool>,
    /// With `isDefault`, also assign the role to every existing user of its scope.
    pub migrate_role: Option<bool>,
    pub first_user_role: Option<bool>,
    pub level: i64,
}

/// `UpdateRoleRequest` (`PATCH /resources/roles/v1/{roleId}`): absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRoleRequest {
    pub key: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_default: Option<bool>,
    pub first_user_role: Option<bool>,
    pub migrate_role: Option<bool>,
    pub level: Option<i64>,
}

/// `AddPermissionToRoleRequest` (`PUT /resources/roles/v1/{roleId}/permissions`): the role's new permission set.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRolePermissionsRequest {
    pub permission_ids: Vec<PermissionId>,
}

/// `UpdateRoleTenantRequest`: `tenantId` is required and may be `null` (back to an environment role).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRoleTenantRequest {
    /// Required: a tenant id, or `null` for the environment.
    #[serde(default)]
    pub tenant_id: Patch<TenantId>,
}

/// `AddRoleWithPermissionsRequest` (`POST /resources/roles/v2`): a tenant's own role.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddRoleWithPermissionsRequest {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub is_default: Option<bool>,
    /// The role this one is modelled on; the new role takes its level.
    pub base_role_id: RoleId,
    pub permission_ids: Vec<PermissionId>,
}
