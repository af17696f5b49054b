//! identity.json "me" routes (tag User management): the caller's own profile, tenants and authorization, and the
//! tenant switch. The login box calls these right after every login (CLIENTS.md §3.2/§3.3). Every route acts as
//! the [`UserContext`]: a user token, or an environment token naming the user in `frontegg-user-id`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, put};
use yolk_api_types::me::{MeAuthorizationDto, MeHierarchyDto, MeTenantsDto, MeUserDto, SwitchTenantRequest};
use yolk_api_types::tenants::TenantDto;
use yolk_api_types::users::UpdateUserRequest;

use crate::convert::{me_authorization, me_hierarchy, me_tenants, me_user};
use crate::error::ApiResult;
use crate::extract::{ApiJson, UserContext};
use crate::state::AppState;

/// Me routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/users/v2/me", get(get_profile).put(update_profile))
        .route("/resources/users/v3/me", get(get_profile))
        .route("/resources/users/v1/me/tenants", get(get_tenants_with_active))
        .route("/resources/users/v2/me/tenants", get(get_tenants))
        .route("/resources/users/v3/me/tenants", get(get_tenants_with_active))
        .route("/resources/users/v2/me/hierarchy", get(get_hierarchy))
        .route("/resources/users/v1/me/authorization", get(get_authorization))
        .route("/resources/users/v1/tenant", put(switch_tenant))
}

/// `GET /users/v2/me` and `/users/v3/me`: the caller in the tenant it acts in.
async fn get_profile(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeUserDto>> {
    let profile = state.services.users.profile(&ctx).await?;
    Ok(Json(me_user(profile, &state.client_id)))
}

/// `PUT /users/v2/me`: the caller changes its own name, phone number, picture or metadata (the same rules as
/// `PUT /users/v1`). Email, roles and everything else are not self-service; such fields are ignored.
async fn update_profile(
    State(state): State<AppState>,
    ctx: UserContext,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<MeUserDto>> {
    let profile = state.services.users.update_profile(&ctx, body).await?;
    Ok(Json(me_user(profile, &state.client_id)))
}

/// `GET /users/v1/me/authorization`: the caller's roles and permissions in the tenant it acts in.
async fn get_authorization(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeAuthorizationDto>> {
    let profile = state.services.users.profile(&ctx).await?;
    Ok(Json(me_authorization(&profile, &state.client_id)))
}

/// `PUT /users/v1/tenant`: makes another of the caller's (enabled) tenants its active one; the next refresh
/// issues a token for it.
async fn switch_tenant(
    State(state): State<AppState>,
    ctx: UserContext,
    ApiJson(body): ApiJson<SwitchTenantRequest>,
) -> ApiResult<Json<MeUserDto>> {
    let profile = state.services.users.switch_tenant(&ctx, &body.tenant_id).await?;
    Ok(Json(me_user(profile, &state.client_id)))
}

/// `GET /users/v1/me/tenants` and `/users/v3/me/tenants`: `{tenants, activeTenant}`.
async fn get_tenants_with_active(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeTenantsDto>> {
    let tenants = state.services.users.my_tenants(&ctx, false).await?;
    Ok(Json(me_tenants(&tenants, &state.client_id)))
}

/// `GET /users/v2/me/tenants`: the caller's tenants as an array.
async fn get_tenants(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<Vec<TenantDto>>> {
    let tenants = state.services.users.my_tenants(&ctx, false).await?;
    Ok(Json(me_tenants(&tenants, &state.client_id).tenants))
}

/// `GET /users/v2/me/hierarchy`: the caller's tenants as a forest; a tenant below another of the caller's tenants
/// (at any depth) is nested under the nearest one.
async fn get_hierarchy(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeHierarchyDto>> {
    let tenants = state.services.users.my_tenants(&ctx, true).await?;
    Ok(Json(me_hierarchy(&tenants, &state.client_id)))
}
