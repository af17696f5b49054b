//! Users.

use yolk_api_types::users::{TaskDto, UserDto, UserRoleIdsDto, UserRolesChangeResponse, UserTenantDto};
use yolk_core::auth::active_tenant;
use yolk_core::users::UserView;
use yolk_domain::{Membership, Role, TenantId, UserId};
use yolk_store::Task;

use super::{role_dto, time};

/// A user in the tenant in context (its roles and `tenantId` refer to it; without one, the user's active tenant),
/// with the memberships the caller may see; `vendor_id` is the environment's client id.
pub fn user_dto(view: &UserView, vendor_id: &str) -> UserDto {
    let (u, memberships) = (&view.user, &view.memberships);
    let context = view
        .tenant
        .clone()
        .or_else(|| active_tenant(u, memberships))
        .or_else(|| memberships.first().map(|m| m.tenant_id.clone()));
    let current = context.as_ref().and_then(|t| memberships.iter().find(|m| &m.tenant_id == t));
    UserDto {
        id: u.id.to_string(),
        sub: u.id.to_string(),
        email: u.email.clone(),
        name: u.name.clone(),
        username: u.username.clone(),
        profile_picture_url: u.profile_picture_url.clone(),
        phone_number: u.phone_number.clone(),
        external_id: u.external_id.clone(),
        provider: u.provider.clone(),
        verified: u.verified,
        is_locked: u.locked,
        mfa_enrolled: false,
        mfa_bypass: false,
        super_user: u.super_user,
        invisible: u.invisible,
        metadata: u.metadata.clone(),
        vendor_metadata: None,
        tenant_id: context.as_ref().map(ToString::to_string),
        tenant_ids: memberships.iter().map(|m| m.tenant_id.to_string()).collect(),
        activated_for_tenant: current.is_some_and(Membership::grants_access),
        roles: current.map(|m| m.roles.iter().map(|r| role_dto(r, vendor_id)).collect()).unwrap_or_default(),
        permissions: Vec::new(),
        tenants: memberships
            .iter()
            .map(|m| UserTenantDto {
                tenant_id: m.tenant_id.to_string(),
                roles: m.roles.iter().map(|r| role_dto(r, vendor_id)).collect(),
                is_disabled: m.disabled,
                created_at: time(m.created_at),
                temporary_expiration_date: u.temporary_expires_at.map(time),
            })
            .collect(),
        sub_account_access_allowed: false,
        managed_by: "frontegg".to_owned(),
        last_login: u.last_login.map(time),
        created_at: time(u.created_at),
        updated_at: time(u.updated_at),
        temporary_expiration_date: u.temporary_expires_at.map(time),
    }
}

/// The roles a role change granted or revoked, for `user` in `tenant`.
pub fn user_roles_change_dto(
    tenant: &TenantId,
    user: UserId,
    roles: &[Role],
    vendor_id: &str,
) -> UserRolesChangeResponse {
    UserRolesChangeResponse {
        tenant_id: tenant.to_string(),
        user_id: user.to_string(),
        roles: roles.iter().map(|r| role_dto(r, vendor_id)).collect(),
    }
}

/// One entry of `GET /users/v3/roles`: the role ids a user holds in one tenant.
pub fn user_role_ids_dto(user: UserId, m: &Membership, vendor_id: &str) -> UserRoleIdsDto {
    UserRoleIdsDto {
        user_id: user.to_string(),
        tenant_id: m.tenant_id.to_string(),
        vendor_id: vendor_id.to_owned(),
        role_ids: m.roles.iter().map(|r| r.id.to_string()).collect(),
    }
}

/// A task on users with its report.
pub fn task_dto(task: &Task) -> TaskDto {
    TaskDto {
        id: task.id.clone(),
        status: task.status.clone(),
        tenant_id: task.tenant_id.to_string(),
        created_at: time(task.created_at),
        updated_at: time(task.updated_at),
        report: task.report.clone(),
    }
}
