//! Tenants, their account settings and the hierarchy tree.

use yolk_api_types::tenants::{AccountSettingsDto, PublicAccountSettingsDto, TenantDto, TenantTreeDto};
use yolk_core::tenants::TenantTree;
use yolk_domain::Tenant;

use super::time;

/// A tenant.
pub fn tenant_dto(t: &Tenant, vendor_id: &str) -> TenantDto {
    let p = &t.profile;
    TenantDto {
        id: t.id.to_string(),
        tenant_id: t.tenant_id.to_string(),
        name: t.name.clone(),
        metadata: t.metadata.clone(),
        parent_tenant_id: t.parent_tenant_id.as_ref().map(ToString::to_string),
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

/// A tenant's account settings (its descriptive profile fields).
pub fn account_settings_dto(t: &Tenant) -> AccountSettingsDto {
    let p = &t.profile;
    AccountSettingsDto {
        id: t.id.to_string(),
        tenant_id: t.tenant_id.to_string(),
        address: p.address.clone(),
        timezone: p.timezone.clone(),
        date_format: p.date_format.clone(),
        time_format: p.time_format.clone(),
        currency: p.currency.clone(),
        logo: p.logo.clone(),
        logo_url: p.logo_url.clone(),
        website: p.website.clone(),
        application_url: p.application_url.clone(),
    }
}

/// The public subset of a tenant's account settings.
pub fn public_account_settings_dto(t: &Tenant) -> PublicAccountSettingsDto {
    let p = &t.profile;
    PublicAccountSettingsDto {
        application_url: p.application_url.clone(),
        logo: p.logo.clone(),
        logo_url: p.logo_url.clone(),
    }
}

/// A hierarchy tree as `{tenantId, name, children:[...]}`.
pub fn tree_dto(t: &TenantTree) -> TenantTreeDto {
    TenantTreeDto {
        tenant_id: t.tenant.tenant_id.to_string(),
        name: t.tenant.name.clone(),
        children: t.children.iter().map(tree_dto).collect(),
    }
}
