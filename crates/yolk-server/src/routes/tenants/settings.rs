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
use yolk_domain::fe_permissions::{ReadAccountSettings, WriteAccountSettings};

use crate::convert::{account_settings_dto, public_account_settings_dto};
use crate::error::ApiResult;
use crate::extract::{ApiJson, TenantScope};
use crate::state::AppState;

/// Account settings routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/account-settings/v1", get(get_account_settings).put(update_account_settings))
        .route("/resources/account-settings/v1/public", get(get_public_account_settings))
}

/// The account's settings; a member needs `fe.account-settings.read`. 404 for an unknown tenant.
async fn get_account_settings(
    scope: TenantScope,
    State(state): State<AppState>,
) -> ApiResult<Json<AccountSettingsDto>> {
    let permit = scope.require::<ReadAccountSettings>()?;
    Ok(Json(account_settings_dto(&state.services.tenants.account_settings(&permit).await?)))
}

/// Changes the settings present in the body (`null` clears one); at least one is required. A member needs
/// `fe.account-settings.write`.
async fn update_account_settings(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AccountSettingsUpdateRequest>,
) -> ApiResult<Json<AccountSettingsDto>> {
    let permit = scope.require::<WriteAccountSettings>()?;
    Ok(Json(account_settings_dto(&state.services.tenants.update_account_settings(&permit, body).await?)))
}

/// The public subset (application URL and logo): any member of the account may read it, no permission needed.
async fn get_public_account_settings(
    scope: TenantScope,
    State(state): State<AppState>,
) -> ApiResult<Json<PublicAccountSettingsDto>> {
    Ok(Json(public_account_settings_dto(&state.services.tenants.public_account_settings(&scope).await?)))
}
