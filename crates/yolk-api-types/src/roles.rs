//! Roles (`Roles` and `Account roles` tags).

use serde::{Deserialize, Serialize};
use yolk_domain::{Patch, PermissionId, RoleId, TenantId};

/// `RoleResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    pub id: String,
    pub vendor_id: String,
    /// The tenant a tenant's own role belongs to; absent for an environment-wide role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub key: String,
    pub name: String,
    /// `""` when the role has none (the spec requires a string).
    #[serde(serialize_with = "crate::ser::or_empty")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_role_omits_tenant_id_and_renders_an_empty_description() {
        let role = RoleDto {
            id: "r".into(),
            vendor_id: "v".into(),
            tenant_id: None,
            key: "admin".into(),
            name: "Admin".into(),
            description: None,
            is_default: false,
            first_user_role: false,
            level: 0,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            permissions: Vec::new(),
        };
        let v = serde_json::to_value(&role).unwrap();
        assert!(v.get("tenantId").is_none(), "{v}");
        assert_eq!(v["description"], "");
        let v = serde_json::to_value(RoleDto { tenant_id: Some("t".into()), description: Some("d".into()), ..role })
            .unwrap();
        assert_eq!((v["tenantId"].as_str(), v["description"].as_str()), (Some("t"), Some("d")));
    }
}
