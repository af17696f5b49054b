//! Creating users: in a tenant (`POST /resources/users/v1`, `v2`, invite semantics) and vendor-only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;
use yolk_api_types::users::{CreateUserRequest, UserDto};
use yolk_core::settings::password_policy;
use yolk_domain::User;
use yolk_domain::values::Email;
use yolk_store::StoreError;
use yolk_store::users::NewUser;

use super::WRITE_USERS;
use super::common::{
    load, member_roles, metadata, reject_vendor_metadata, require_tenant, tenant_only, visible_memberships,
};
use crate::convert::user_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, TenantScope, VendorAuth};
use crate::state::AppState;

/// The `provider` values the spec's `CreateUserDto` enumerates.
const PROVIDERS: &[&str] = &["local", "saml", "google", "github", "facebook", "microsoft", "scim2", "slack", "apple"];

/// What the caller may see of the created user: a tenant user sees only the tenant it acts in (an existing
/// user added by email must not reveal its other tenants).
#[derive(Debug, Clone, Copy)]
struct View {
    tenant_only: bool,
}

impl View {
    async fn render(self, state: &AppState, id: Uuid, tenant: &str) -> ApiResult<UserDto> {
        let (user, mut memberships) = load(state, id, Some(tenant)).await?;
        visible_memberships(&mut memberships, Some(tenant), self.tenant_only);
        Ok(user_dto(&user, &memberships, Some(tenant), &state.client_id))
    }
}

/// How a create treats an email that already belongs to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Add that user to the tenant (invite semantics).
    AddToTenant,
    /// Refuse with 409.
    Conflict,
}

/// `POST /resources/users/v1`: creates a user in the tenant in scope (see [`create_user_v2`]).
pub async fn create_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    scope.require(WRITE_USERS)?;
    let tenant = scope.tenant()?.to_owned();
    let view = View { tenant_only: tenant_only(&scope) };
    create(&state, &tenant, body, Existing::AddToTenant, false, view).await
}

/// `POST /resources/users/v2` (invite user): creates an unverified user in the tenant in scope with the given
/// roles (or the default ones). An email that already belongs to a user adds that user to the tenant instead,
/// leaving its profile and password as they are; 409 if it is already a member. `tenantId` in the body is
/// ignored: the tenant comes from the scope.
pub async fn create_user_v2(
    state: State<AppState>,
    scope: TenantScope,
    body: ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    create_user(state, scope, body).await
}

/// `POST /resources/vendor-only/users/v1`: creates a verified user in `tenantId` (required). 409 when the email
/// or username is taken, 404 for an unknown tenant or role.
pub async fn create_user_vendor_only(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let tenant = body
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::BadRequest("tenantId is required".into()))?
        .to_owned();
    create(&state, &tenant, body, Existing::Conflict, true, View { tenant_only: false }).await
}

async fn create(
    state: &AppState,
    tenant: &str,
    body: CreateUserRequest,
    existing: Existing,
    verified: bool,
    view: View,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    if body.expiration_in_seconds.is_some() {
        return Err(ApiError::BadRequest("Temporary users (expirationInSeconds) are not supported".into()));
    }
    reject_vendor_metadata(body.vendor_metadata.as_ref())?;
    let email = match body.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(Email::parse(e).map_err(ApiError::BadRequest)?),
        None => None,
    };
    let username = body.username.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
    if let Some(u) = &username {
        let valid = u.len() <= 255 && u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(ApiError::BadRequest("username must match ^[a-zA-Z0-9._-]+$".into()));
        }
    }
    if email.is_none() && username.is_none() {
        return Err(ApiError::BadRequest("email or username is required".into()));
    }
    let provider = body.provider.as_deref().unwrap_or("local");
    if !PROVIDERS.contains(&provider) {
        return Err(ApiError::BadRequest(format!("provider must be one of {}", PROVIDERS.join(", "))));
    }
    let metadata = metadata(body.metadata.as_ref())?.flatten();
    require_tenant(state, tenant).await?;
    let role_ids = member_roles(state, tenant, body.role_ids.as_deref()).await?;

    if existing == Existing::AddToTenant
        && let Some(e) = &email
    {
        match state.store.get_user_by_email(e.normalized()).await {
            Ok(user) => return add_existing(state, tenant, user.id, &role_ids, view).await,
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }

    let password_hash = match body.password.as_deref() {
        Some(p) => {
            password_policy(state.store.as_ref()).await?.check(p).map_err(ApiError::BadRequest)?;
            Some(state.auth.passwords().hash(p).await?)
        }
        None => None,
    };
    let now = state.clock.now();
    let user = User {
        id: Uuid::new_v4(),
        email: email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        name: body.name.clone(),
        username,
        phone_number: body.phone_number.clone(),
        profile_picture_url: body.profile_picture_url.clone(),
        metadata,
        external_id: body.external_id.clone(),
        provider: provider.to_owned(),
        verified,
        locked: false,
        super_user: false,
        invisible: false,
        active_tenant_id: Some(tenant.to_owned()),
        last_login: None,
        created_at: now,
        updated_at: now,
    };
    let new = NewUser { user, password_hash, tenant_id: Some(tenant.to_owned()), role_ids, new_tenant: None };
    let user = state.store.create_user(&new).await?;
    Ok((StatusCode::CREATED, Json(view.render(state, user.id, tenant).await?)))
}

/// Adds an existing user to the tenant; 409 if already a member.
async fn add_existing(
    state: &AppState,
    tenant: &str,
    user_id: Uuid,
    role_ids: &[Uuid],
    view: View,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    state.store.add_membership(user_id, tenant, role_ids).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::Conflict("User already exists".into()),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(view.render(state, user_id, tenant).await?)))
}
