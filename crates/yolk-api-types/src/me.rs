//! The self-service "me" endpoints: the caller's profile, tenants and authorization.
//!
//! The mobile SDKs decode these strictly (iOS `User`, `Tenant`, `UserRolePermission`), so fields they require as
//! strings are always strings here: a tenant's `metadata`, a permission's `categoryId`, the profile's `name` and
//! `profilePictureUrl` (CLIENTS.md §3.3).

use serde::{Deserialize, Serialize};
use yolk_domain::TenantId;

use crate::roles::RoleDto;
use crate::tenants::TenantDto;
use crate::users::UserDto;

/// `PermissionResponse` as the profile and authorization endpoints return it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MePermissionDto {
    pub id: String,
    pub key: String,
    pub name: String,
    /// `""` when the permission has none (the spec requires a string).
    #[serde(serialize_with = "crate::ser::or_empty")]
    pub description: Option<String>,
    /// The category id, or an empty string for an uncategorized permission (iOS requires a string).
    pub category_id: String,
    /// Whether it is one of Frontegg's own `fe.` permissions.
    pub fe_permission: bool,
    /// Ids of the roles granting it.
    pub role_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `UserDto` of `GET /users/v2/me` (and v3, and the tenant switch): the user in the caller's tenant, with role
/// objects and permission objects.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeUserDto {
    #[serde(flatten)]
    pub user: UserDto,
}

/// `MeAuthorizationResponseDto`: the caller's roles and permissions in its tenant.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeAuthorizationDto {
    pub roles: Vec<RoleDto>,
    pub permissions: Vec<MePermissionDto>,
}

/// `GET /users/v1/me/tenants` and `/users/v3/me/tenants`: the caller's tenants and the one it acts in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeTenantsDto {
    pub tenants: Vec<TenantDto>,
    /// Absent (null) only for a user without any enabled membership.
    pub active_tenant: Option<TenantDto>,
}

/// One node of `GET /users/v2/me/hierarchy`: a tenant with the caller's tenants below it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeTenantNodeDto {
    #[serde(flatten)]
    pub tenant: TenantDto,
    /// The caller's tenants whose nearest ancestor among the caller's tenants is this one.
    pub sub_tenants: Vec<MeTenantNodeDto>,
}

/// `GET /users/v2/me/hierarchy`: the caller's tenants as a forest. A tenant below another of the caller's
/// tenants is listed under it instead of at the top.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeHierarchyDto {
    pub tenants: Vec<MeTenantNodeDto>,
    pub active_tenant: Option<TenantDto>,
}

/// `PUT /users/v1/tenant` body (`UpdateUserTenantDto`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchTenantRequest {
    pub tenant_id: TenantId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserDto {
        UserDto {
            id: "u".into(),
            sub: "u".into(),
            email: "a@b.io".into(),
            name: None,
            username: None,
            profile_picture_url: None,
            phone_number: None,
            external_id: None,
            provider: "local".into(),
            verified: true,
            is_locked: false,
            mfa_enrolled: false,
            mfa_bypass: false,
            super_user: false,
            invisible: false,
            metadata: None,
            vendor_metadata: None,
            tenant_id: Some("t".into()),
            tenant_ids: vec!["t".into()],
            activated_for_tenant: true,
            roles: Vec::new(),
            permissions: Vec::new(),
            tenants: Vec::new(),
            sub_account_access_allowed: false,
            managed_by: "frontegg".into(),
            last_login: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            temporary_expiration_date: None,
        }
    }

    #[test]
    fn profile_keys_appear_once() {
        let me = MeUserDto { user: user() };
        let text = serde_json::to_string(&me).unwrap();
        assert_eq!(text.matches("\"managedBy\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"subAccountAccessAllowed\"").count(), 1, "{text}");
    }

    #[test]
    fn a_user_without_optional_values_renders_required_strings_and_omits_the_rest() {
        let v = serde_json::to_value(user()).unwrap();
        assert_eq!(v["name"], "");
        assert_eq!(v["profilePictureUrl"], "");
        assert_eq!(v["metadata"], "{}");
        assert_eq!(v["vendorMetadata"], "{}");
        for absent in ["phoneNumber", "externalId", "username", "lastLogin"] {
            assert!(v.get(absent).is_none(), "{absent} in {v}");
        }
        let v = serde_json::to_value(UserDto { metadata: Some(r#"{"a":1}"#.into()), ..user() }).unwrap();
        assert_eq!(v["metadata"], r#"{"a":1}"#);
    }
}
