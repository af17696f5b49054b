//! Reading one user: by id (tenant-scoped or vendor-only), by email, and the vendor-only password check.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use yolk_api_types::users::{UserDto, VerifyPasswordRequest, VerifyPasswordResponse};
use yolk_store::users::LoginIdentifier;

use super::READ_USERS;
use super::common::{member_error, render, render_in_scope, user_id};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, TenantScope, VendorAuth};
use crate::state::AppState;

/// `GET /resources/users/v1/{id}`: a user of the tenant in scope, with its roles there. The environment without
/// `frontegg-tenant-id` reads any user (in its active tenant's context). A user outside the tenant is a 404.
pub async fn get_user(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<UserDto>> {
    scope.require(READ_USERS)?;
    let id = user_id(&id)?;
    Ok(Json(render_in_scope(&state, id, &scope).await?))
}

/// `GET /resources/vendor-only/users/v1/{userId}`: any user, with every membership and its roles.
pub async fn get_user_vendor_only(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(render(&state, user_id(&id)?, None).await?))
}

/// Query of `GET /resources/users/v1/email`.
#[derive(Debug, Deserialize)]
pub struct EmailQuery {
    email: Option<String>,
}

/// `GET /resources/users/v1/email?email=`: the user with this email (case-insensitive). Scoped like
/// [`get_user`]: a user outside the tenant in scope is a 404.
pub async fn get_user_by_email(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(q): ApiQuery<EmailQuery>,
) -> ApiResult<Json<UserDto>> {
    scope.require(READ_USERS)?;
    let email = q.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let email = email.ok_or_else(|| ApiError::BadRequest("email is required".into()))?;
    let user = state.store.get_user_by_email(&email.to_lowercase()).await.map_err(member_error)?;
    Ok(Json(render_in_scope(&state, user.id, &scope).await?))
}

/// `POST /resources/vendor-only/users/v1/passwords/verify`: `{"valid": bool}`. An unknown email, a user without a
/// password and a wrong password all answer `false` after the same hashing work (no enumeration).
pub async fn verify_user_password(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiJson(body): ApiJson<VerifyPasswordRequest>,
) -> ApiResult<Json<VerifyPasswordResponse>> {
    let ident = LoginIdentifier::Email(body.email.trim().to_lowercase());
    let candidate = state.store.login_candidate(&ident).await?;
    let hash = candidate.as_ref().and_then(|(_, h)| h.as_deref());
    let valid = state.auth.passwords().verify(&body.password, hash).await?;
    Ok(Json(VerifyPasswordResponse { valid }))
}
