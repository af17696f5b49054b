//! tenants.json tag Account settings: an account's descriptive settings (address, time zone, date and time
//! formats, currency, logo, website, application URL).
//!
//! The settings are the tenant's own profile fields, not a separate document: what account settings show and
//! what the accounts API returns for the tenant can then never disagree. The account is the user token's tenant,
//! or `frontegg-tenant-id` with an environment token.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use yolk_api_types::tenants::{AccountSettingsDto, AccountSettingsUpdateRequest, PublicAccountSettingsDto};
use yolk_domain::{Tenant, TenantProfile};

use super::input::patch_text;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantScope};
use crate::state::AppState;

/// Permission a user needs to read the account settings.
const READ: &str = "fe.account-settings.read";
/// Permission a user needs to change them.
const WRITE: &str = "fe.account-settings.write";

/// Account settings routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/account-settings/v1", get(get_account_settings).put(update_account_settings))
        .route("/resources/account-settings/v1/public", get(get_public_account_settings))
}

fn settings_dto(t: &Tenant) -> AccountSettingsDto {
    let p = &t.profile;
    AccountSettingsDto {
        id: t.id.to_string(),
        tenant_id: t.tenant_id.clone(),
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

/// The account's settings; a user needs `fe.account-settings.read`. 404 for an unknown tenant.
async fn get_account_settings(
    scope: TenantScope,
    State(state): State<AppState>,
) -> ApiResult<Json<AccountSettingsDto>> {
    scope.require(READ)?;
    let tenant = state.store.get_tenant(scope.tenant()?).await?;
    Ok(Json(settings_dto(&tenant)))
}

/// Changes the settings present in the body (`null` clears one); at least one is required. A user needs
/// `fe.account-settings.write`.
async fn update_account_settings(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AccountSettingsUpdateRequest>,
) -> ApiResult<Json<AccountSettingsDto>> {
    scope.require(WRITE)?;
    let tenant_id = scope.tenant()?;
    let b = &body;
    let sent = [
        b.address.is_present(),
        b.timezone.is_present(),
        b.date_format.is_present(),
        b.time_format.is_present(),
        b.currency.is_present(),
        b.logo.is_present(),
        b.logo_url.is_present(),
        b.website.is_present(),
        b.application_url.is_present(),
    ];
    if !sent.contains(&true) {
        return Err(ApiError::BadRequest("At least one setting is required".into()));
    }
    // Validate on a scratch profile first so the store transaction cannot fail on input.
    apply(&mut TenantProfile::default(), &body)?;
    let now = state.clock.now();
    let updated = state
        .store
        .update_tenant(
            tenant_id,
            Box::new(move |t| {
                apply(&mut t.profile, &body).map_err(|e| e.to_string())?;
                t.updated_at = now;
                Ok(())
            }),
        )
        .await?;
    Ok(Json(settings_dto(&updated)))
}

fn apply(p: &mut TenantProfile, b: &AccountSettingsUpdateRequest) -> Result<(), ApiError> {
    patch_text(&mut p.address, &b.address, "address")?;
    patch_text(&mut p.timezone, &b.timezone, "timezone")?;
    patch_text(&mut p.date_format, &b.date_format, "dateFormat")?;
    patch_text(&mut p.time_format, &b.time_format, "timeFormat")?;
    patch_text(&mut p.currency, &b.currency, "currency")?;
    patch_text(&mut p.logo, &b.logo, "logo")?;
    patch_text(&mut p.logo_url, &b.logo_url, "logoUrl")?;
    patch_text(&mut p.website, &b.website, "website")?;
    patch_text(&mut p.application_url, &b.application_url, "applicationUrl")
}

/// The public subset (application URL and logo): any member of the account may read it, no permission needed.
async fn get_public_account_settings(
    scope: TenantScope,
    State(state): State<AppState>,
) -> ApiResult<Json<PublicAccountSettingsDto>> {
    let tenant = state.store.get_tenant(scope.tenant()?).await?;
    let p = tenant.profile;
    Ok(Json(PublicAccountSettingsDto { application_url: p.application_url, logo: p.logo, logo_url: p.logo_url }))
}
