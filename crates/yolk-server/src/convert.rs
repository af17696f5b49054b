//! Domain → wire mapping, in one place so every endpoint renders an entity the same way.

use chrono::{DateTime, SecondsFormat, Utc};
use yolk_api_types::roles::RoleDto;
use yolk_api_types::tenants::TenantDto;
use yolk_api_types::users::{UserDto, UserTenantDto};
use yolk_domain::{Membership, Role, Tenant, User};

/// RFC 3339 with milliseconds and `Z`, as Frontegg renders times.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A role; `vendor_id` is the environment's client id.
pub fn role_dto(r: &Role, vendor_id: &str) -> RoleDto {
    RoleDto {
        id: r.id.to_string(),
        vendor_id: vendor_id.to_owned(),
        tenant_id: r.tenant_id.clone(),
        key: r.key.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        is_default: r.is_default,
        first_user_role: r.first_user_role,
        level: r.level,
        created_at: time(r.created_at),
        updated_at: time(r.updated_at),
        permissions: r.permission_ids.iter().map(ToString::to_string).collect(),
    }
}

/// A tenant.
pub fn tenant_dto(t: &Tenant, vendor_id: &str) -> TenantDto {
    let p = &t.profile;
    TenantDto {
        id: t.id.to_string(),
        tenant_id: t.tenant_id.clone(),
        name: t.name.clone(),
        metadata: t.metadata.clone(),
        parent_tenant_id: t.parent_tenant_id.clone(),
        alias: t.alias.clone(),
        is_reseller: t.is_reseller,
        status: p.status.clone(),
        website: p.website.clone(),
        application_url: p.application_url.clone(),
        logo: p.logo.clone(),
        logo_url: p.logo_url.clone(),
        address: p.address.clone(),
        timezone: p.timezone.clone(),
        date_format: p.date_format.clone(),
        time_format: p.time_format.clone(),
        currency: p.currency.clone(),
        creator_name: p.creator_name.clone(),
        creator_email: p.creator_email.clone(),
        vendor_id: vendor_id.to_owned(),
        created_at: time(t.created_at),
        updated_at: time(t.updated_at),
        deleted_at: None,
    }
}

/// A user with its memberships; `tenant_id` is the tenant in context (roles and `tenantId` refer to it; when
/// `None`, the user's active tenant is used).
pub fn user_dto(u: &User, memberships: &[Membership], tenant_id: Option<&str>, vendor_id: &str) -> UserDto {
    let context = tenant_id
        .map(str::to_owned)
        .or_else(|| yolk_core::auth::active_tenant(u, memberships))
        .or_else(|| memberships.first().map(|m| m.tenant_id.clone()));
    let current = context.as_deref().and_then(|t| memberships.iter().find(|m| m.tenant_id == t));
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
        tenant_id: context.clone(),
        tenant_ids: memberships.iter().map(|m| m.tenant_id.clone()).collect(),
        activated_for_tenant: current.is_some_and(|m| !m.disabled),
        roles: current.map(|m| m.roles.iter().map(|r| role_dto(r, vendor_id)).collect()).unwrap_or_default(),
        permissions: Vec::new(),
        tenants: memberships
            .iter()
            .map(|m| UserTenantDto {
                tenant_id: m.tenant_id.clone(),
                roles: m.roles.iter().map(|r| role_dto(r, vendor_id)).collect(),
                is_disabled: m.disabled,
                created_at: time(m.created_at),
            })
            .collect(),
        sub_account_access_allowed: false,
        managed_by: "frontegg".to_owned(),
        last_login: u.last_login.map(time),
        created_at: time(u.created_at),
        updated_at: time(u.updated_at),
    }
}
