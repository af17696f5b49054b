//! Users. One shape serves the v1, v2 and v3 user endpoints (`UserV3Dto` plus the v1/v2 fields): clients ignore
//! fields they do not know, and each version's required fields are all present.

use serde::{Deserialize, Serialize};
use yolk_domain::{Patch, RoleId, TenantId};

use crate::roles::RoleDto;

/// A user's membership in a tenant (`UserTenantDto`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTenantDto {
    pub tenant_id: String,
    pub roles: Vec<RoleDto>,
    pub is_disabled: bool,
    pub created_at: String,
    /// A temporary user's expiry (the user's, the same in every tenant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_expiration_date: Option<String>,
}

/// A user.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: String,
    pub sub: String,
    pub email: String,
    /// Required by the spec and by the iOS SDK as a string: `""` when the user has none.
    #[serde(serialize_with = "crate::ser::or_empty")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Required by the spec and by the iOS SDK as a string: `""` when the user has none.
    #[serde(serialize_with = "crate::ser::or_empty")]
    pub profile_picture_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub provider: String,
    pub verified: bool,
    pub is_locked: bool,
    pub mfa_enrolled: bool,
    pub mfa_bypass: bool,
    pub super_user: bool,
    pub invisible: bool,
    /// JSON-encoded string; `"{}"` when the user has none.
    #[serde(serialize_with = "crate::ser::or_empty_json")]
    pub metadata: Option<String>,
    /// Vendor-only metadata (JSON-encoded string); yolk does not store it yet, so always `"{}"`.
    #[serde(serialize_with = "crate::ser::or_empty_json")]
    pub vendor_metadata: Option<String>,
    /// The tenant in context (the caller's, or the user's active tenant); absent only for a user without any
    /// membership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub tenant_ids: Vec<String>,
    pub activated_for_tenant: bool,
    /// Roles in the tenant in context.
    pub roles: Vec<RoleDto>,
    /// Permission keys in the tenant in context (filled where the endpoint returns them).
    pub permissions: Vec<serde_json::Value>,
    pub tenants: Vec<UserTenantDto>,
    /// Sub-account access (account hierarchy); not granted by yolk.
    pub sub_account_access_allowed: bool,
    /// Who manages the user: always `frontegg` (no SCIM provisioning yet).
    pub managed_by: String,
    /// Absent until the user's first login (the spec requires it, but there is no truthful value before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// A temporary user's expiry: from then on it cannot log in or refresh. Absent for a permanent user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_expiration_date: Option<String>,
}

/// A new user's fields, as `CreateUserDto`, `CreateUserDtoVendorOnly` and the sign-up bodies carry them.
/// `metadata` may be an object or a JSON-encoded string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUserFields {
    pub email: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub password: Option<String>,
    pub phone_number: Option<String>,
    pub provider: Option<String>,
    pub metadata: Option<serde_json::Value>,
    /// Roles in the tenant joined; none means the default roles.
    pub role_ids: Option<Vec<RoleId>>,
    /// Makes the new user temporary: it expires this many seconds after creation (at least 300; only while the
    /// temporary users configuration is enabled).
    pub expiration_in_seconds: Option<f64>,
    /// Vendor-only.
    pub vendor_metadata: Option<serde_json::Value>,
    /// Vendor-only.
    pub external_id: Option<String>,
}

/// `CreateUserDto` (tenant-scoped, v1 and v2) and `CreateUserDtoVendorOnly` (which adds `tenantId` and the
/// vendor fields).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    #[serde(flatten)]
    pub user: NewUserFields,
    pub skip_invite_email: Option<bool>,
    pub email_metadata: Option<serde_json::Value>,
    /// Vendor-only: the tenant the user joins.
    pub tenant_id: Option<TenantId>,
    /// Vendor-only; accepted and ignored (no MFA yet).
    pub mfa_bypass: Option<bool>,
}

/// `UserCreatedResponse` is served as [`UserDto`], which carries all its fields.
pub type UserCreatedResponse = UserDto;

/// `UpdateUserDto` (the user itself: `PUT /users/v1`, `PUT /users/v2/me`) and `UpdateVendorUserDto` (the
/// environment: `PUT /users/v1/{userId}`): each field absent (unchanged), `null` (cleared, where allowed) or a value.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateUserRequest {
    pub name: Patch<String>,
    pub phone_number: Patch<String>,
    pub profile_picture_url: Patch<String>,
    /// An object or a JSON-encoded string.
    pub metadata: Patch<serde_json::Value>,
    /// Vendor only.
    pub vendor_metadata: Patch<serde_json::Value>,
    /// Vendor only; accepted and ignored (no MFA yet).
    pub mfa_bypass: Option<bool>,
    /// Vendor only.
    pub external_id: Patch<String>,
}

/// `UpdateUserEmailDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserEmailRequest {
    pub email: String,
}

/// `AssignUserToRolesDto` / `UnassignUserFromRolesDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRoleIdsRequest {
    pub role_ids: Vec<RoleId>,
}

/// `AssignUserToRolesResponseDto` / `DeleteUserToRolesResponseDto`: the roles that were assigned or removed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRolesChangeResponse {
    pub tenant_id: String,
    pub user_id: String,
    pub roles: Vec<RoleDto>,
}

/// One entry of `GET /resources/users/v3/roles`: the roles a user holds in the tenant in scope.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRoleIdsDto {
    pub user_id: String,
    pub tenant_id: String,
    /// The environment's client id.
    pub vendor_id: String,
    pub role_ids: Vec<String>,
}

/// `UpdateUserSuperuserDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetSuperUserRequest {
    pub super_user: bool,
}

/// `UpdateUserInvisibleDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetInvisibleRequest {
    pub invisible: bool,
}

/// `AddUserToTenantRequest` (plus optional `roleIds`) and `UpdateUserTenantWithValidationDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTenantRequest {
    pub tenant_id: TenantId,
    pub validate_tenant_exist: Option<bool>,
    pub skip_invite_email: Option<bool>,
    pub role_ids: Option<Vec<RoleId>>,
}

/// `MigrateUsersFromTenantToTenantRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrateUsersRequest {
    pub src_tenant_id: TenantId,
    pub target_tenant_id: TenantId,
}

/// `ValidateUserPasswordRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPasswordRequest {
    pub email: String,
    pub password: String,
}

/// `ValidateUserPasswordResponse`: `{"valid": bool}`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyPasswordResponse {
    pub valid: bool,
}

/// `UsersBulkInviteRequestDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkInviteRequest {
    pub users: Vec<BulkInviteUser>,
}

/// `UserBulkInviteRequestDto`: one user of a bulk invite, as a single invite's body (`CreateUserDto`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkInviteUser {
    #[serde(flatten)]
    pub user: NewUserFields,
    pub skip_invite_email: Option<bool>,
    pub email_metadata: Option<serde_json::Value>,
    /// Creating the user already verified (not offered by a bulk invite: each new user activates).
    pub verified: Option<bool>,
}

/// A task on users and its report (`TaskContext` of the bulk invite; the status routes answer it too).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDto {
    pub id: String,
    /// `InProgress`, `Completed` or `CompletedWithErrors`.
    pub status: String,
    pub tenant_id: String,
    pub created_at: String,
    pub updated_at: String,
    /// The per-item results.
    pub report: serde_json::Value,
}

/// `UnlockUserRequestDto`: the token of the unlock link the lockout policy emailed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnlockUserRequest {
    pub token: String,
}

/// `TemporaryUserDto`: a temporary user's time limit, from now.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryUserRequest {
    pub expiration_in_seconds: f64,
}

/// `UserTenantStatusesResponse`: one user's standing in each of its tenants.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTenantStatusesResponse {
    pub user_id: String,
    pub tenants_statuses: Vec<TenantStatusDto>,
}

/// `TenantStatus`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantStatusDto {
    pub tenant_id: String,
    /// `PendingInvitation`, `PendingLogin`, `Activated` or `NotActivated`.
    pub status: String,
}

/// `BulkUpdateUserRolesRequestDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkUpdateUserRolesRequest {
    pub add_role_ids: Option<Vec<RoleId>>,
    pub remove_role_ids: Option<Vec<RoleId>>,
    /// Only these of the user's tenants (all of them when absent).
    pub tenant_ids: Option<Vec<TenantId>>,
}

/// `BulkUpdateUserRolesSyncResponseDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkUpdateUserRolesResponse {
    pub user_id: String,
    pub affected_tenants: usize,
    pub roles_added: Vec<String>,
    pub roles_removed: Vec<String>,
}
