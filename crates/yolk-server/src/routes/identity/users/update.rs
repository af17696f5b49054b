//! Updating a user's profile: globally (vendor), as the user in context, and the email.

use axum::Json;
use axum::extract::State;
use yolk_api_types::users::{UpdateUserEmailRequest, UpdateUserRequest, UserDto};
use yolk_domain::values::Email;

use super::common::{member_error, metadata, reject_vendor_metadata, render, user_id};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, UserContext, VendorAuth};
use crate::state::AppState;

/// `PUT /resources/users/v1/{userId}`: a partial update of any user (only the fields present change):
/// `name`, `phoneNumber`, `profilePictureUrl`, `metadata`, `externalId`. `mfaBypass` is accepted and ignored
/// (no MFA yet); a non-empty `vendorMetadata` is refused (not stored yet).
pub async fn update_user_for_vendor(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserDto>> {
    let id = user_id(&id)?;
    reject_vendor_metadata(body.vendor_metadata.as_ref())?;
    apply(&state, id, body, true).await?;
    Ok(Json(render(&state, id, None).await?))
}

/// `PUT /resources/users/v1`: updates the user in context (a user token's own user, or the environment naming
/// it with `frontegg-user-id`): `name`, `phoneNumber`, `profilePictureUrl`, `metadata`. Rendered in the tenant
/// in context.
pub async fn update_user(
    State(state): State<AppState>,
    ctx: UserContext,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserDto>> {
    apply(&state, ctx.user_id, body, false).await?;
    Ok(Json(render(&state, ctx.user_id, Some(&ctx.tenant_id)).await?))
}

async fn apply(state: &AppState, id: uuid::Uuid, body: UpdateUserRequest, vendor: bool) -> ApiResult<()> {
    let metadata = metadata(body.metadata.as_ref())?;
    let now = state.clock.now();
    state
        .store
        .update_user(
            id,
            Box::new(move |u| {
                if let Some(name) = body.name {
                    u.name = Some(name);
                }
                if let Some(phone) = body.phone_number {
                    u.phone_number = Some(phone).filter(|p| !p.is_empty());
                }
                if let Some(picture) = body.profile_picture_url {
                    u.profile_picture_url = Some(picture).filter(|p| !p.is_empty());
                }
                if let Some(m) = metadata {
                    u.metadata = m;
                }
                if vendor && let Some(external) = body.external_id {
                    u.external_id = Some(external).filter(|e| !e.is_empty());
                }
                u.updated_at = now;
                Ok(())
            }),
        )
        .await
        .map_err(member_error)?;
    Ok(())
}

/// `PUT /resources/users/v1/{userId}/email`: changes a user's email everywhere; 409 if another user has it.
/// The user then logs in with the new address.
pub async fn update_user_email(
    State(state): State<AppState>,
    _: VendorAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateUserEmailRequest>,
) -> ApiResult<Json<UserDto>> {
    let id = user_id(&id)?;
    let email = Email::parse(&body.email).map_err(ApiError::BadRequest)?;
    let now = state.clock.now();
    state
        .store
        .update_user(
            id,
            Box::new(move |u| {
                u.email = email.as_str().to_owned();
                u.updated_at = now;
                Ok(())
            }),
        )
        .await
        .map_err(member_error)?;
    Ok(Json(render(&state, id, None).await?))
}
