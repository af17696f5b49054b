//! The self-service "me" bodies. The mobile SDKs decode these strictly, so fields they require as strings are
//! always strings (CLIENTS.md §3.3).

use yolk_api_types::me::{
    MeAuthorizationDto, MeHierarchyDto, MePermissionDto, MeTenantNodeDto, MeTenantsDto, MeUserDto,
};
use yolk_api_types::tenants::TenantDto;
use yolk_core::users::{MeTenants, Profile, UserView};
use yolk_domain::fe_permissions::is_frontegg_key;
use yolk_domain::{Permission, Tenant, TenantId};

use super::{role_dto, tenant_dto, time, user_dto};

/// A permission as the profile and authorization endpoints show it (`categoryId` an empty string when none:
/// iOS requires a string).
fn me_permission_dto(p: &Permission) -> MePermissionDto {
    MePermissionDto {
        id: p.id.to_string(),
        key: p.key.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        fe_permission: is_frontegg_key(&p.key),
        role_ids: p.role_ids.iter().map(ToString::to_string).collect(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
    }
}

/// The permissions of a profile.
fn permissions_in(profile: &Profile) -> Vec<MePermissionDto> {
    profile.permissions.iter().map(me_permission_dto).collect()
}

/// The caller's roles and permissions in the tenant it acts in.
pub fn me_authorization(profile: &Profile, vendor_id: &str) -> MeAuthorizationDto {
    let roles = profile.roles.iter().map(|r| role_dto(r, vendor_id)).collect();
    MeAuthorizationDto { roles, permissions: permissions_in(profile) }
}

/// The profile body: the user in the tenant it acts in, with permission objects and the strings the mobile SDKs
/// require.
pub fn me_user(profile: Profile, vendor_id: &str) -> MeUserDto {
    let permissions = permissions_in(&profile).iter().map(|p| serde_json::to_value(p).unwrap_or_default()).collect();
    let view = UserView { user: profile.user, memberships: profile.memberships, tenant: Some(profile.tenant) };
    let mut dto = user_dto(&view, vendor_id);
    dto.permissions = permissions;
    MeUserDto { user: dto }
}

/// A tenant as the me endpoints list it: `metadata` always a string (iOS requires it).
fn item(t: &Tenant, vendor_id: &str) -> TenantDto {
    let mut dto = tenant_dto(t, vendor_id);
    if dto.metadata.is_none() {
        dto.metadata = Some("{}".into());
    }
    dto
}

/// `{tenants, activeTenant}`.
pub fn me_tenants(t: &MeTenants, vendor_id: &str) -> MeTenantsDto {
    MeTenantsDto {
        tenants: t.tenants.iter().map(|x| item(x, vendor_id)).collect(),
        active_tenant: t.active.as_ref().map(|x| item(x, vendor_id)),
    }
}

/// The caller's tenants as a forest: a tenant below another of the caller's tenants is nested under the nearest.
pub fn me_hierarchy(t: &MeTenants, vendor_id: &str) -> MeHierarchyDto {
    let roots = t
        .tenants
        .iter()
        .filter(|x| !t.parent_of.contains_key(&x.tenant_id))
        .map(|x| node(x, t, vendor_id, 0))
        .collect();
    MeHierarchyDto { tenants: roots, active_tenant: t.active.as_ref().map(|x| item(x, vendor_id)) }
}

/// How deep the forest is rendered (the parents were found with the same guard against cycles).
const MAX_DEPTH: usize = 32;

fn node(x: &Tenant, all: &MeTenants, vendor_id: &str, depth: usize) -> MeTenantNodeDto {
    let is_child = |c: &&Tenant| all.parent_of.get(&c.tenant_id).is_some_and(|p: &TenantId| *p == x.tenant_id);
    let sub_tenants = if depth >= MAX_DEPTH {
        Vec::new()
    } else {
        all.tenants.iter().filter(is_child).map(|c| node(c, all, vendor_id, depth + 1)).collect()
    };
    MeTenantNodeDto { tenant: item(x, vendor_id), sub_tenants }
}
