//! identity.json tag User management: a user's addresses (`users/emails/v1`) and the change of its login address
//! (`users/v1/email/me`). The rules are `yolk_core::identifiers`'s.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use yolk_api_types::identifiers::{EmailCodeRequest, EmailRequest, UserEmailResponse, VendorEmailRequest};
use yolk_api_types::page::Page;
use yolk_domain::{UserEmailId, UserId};
use yolk_store::identifiers::EmailQuery;

use crate::convert::user_email_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantHeader, UserContext, VendorAuth};
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// User email routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/users/emails/v1", get(list_user_emails).post(create_user_email))
        .route("/resources/users/emails/v1/verify", post(verify_user_email))
        .route("/resources/users/emails/v1/me", get(get_own_emails))
        .route("/resources/users/emails/v1/me/primary", post(mark_primary_email_me))
        .route("/resources/users/emails/v1/{emailId}", delete(delete_user_email))
        .route("/resources/users/emails/v1/vendor/{userId}", post(create_user_email_vendor))
        .route("/resources/users/emails/v1/vendor/{userId}/primary", post(mark_primary_email_vendor))
        .route("/resources/users/emails/v1/vendor/{userId}/{emailId}", delete(delete_user_email_vendor))
        .route("/resources/users/v1/email/me", post(update_email_me))
        .route("/resources/users/v1/email/me/verify", post(verify_email_me))
}

/// `GET /resources/users/emails/v1`'s list rules.
pub struct UserEmailsList;

impl ListRoute for UserEmailsList {
    type Sort = ();
    const SORTS: &'static [(&'static str, ())] = &[("createdAt", ())];
}

/// `GET /resources/users/emails/v1`: every user's addresses (the environment; `frontegg-tenant-id` narrows to
/// that tenant's members, `_email` to addresses containing the text, `userIds` to those users).
pub async fn list_user_emails(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    TenantHeader(tenant): TenantHeader,
    list: ApiList<UserEmailsList>,
) -> ApiResult<Json<Page<UserEmailResponse>>> {
    let q = EmailQuery {
        user_ids: list.parsed::<UserId>("userIds")?,
        email: list.text("_email").map(str::to_owned),
        tenant,
    };
    let (items, total) = state.services.identifiers().list_emails(&env, &q, list.page_request()).await?;
    Ok(Json(list.render(items.iter().map(user_email_dto).collect(), total)))
}

/// `POST /resources/users/emails/v1`: the caller adds an address; a code goes to it.
pub async fn create_user_email(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<EmailRequest>,
) -> ApiResult<(StatusCode, Json<UserEmailResponse>)> {
    let added = state.services.identifiers().add_email(&who, &body.email).await?;
    Ok((StatusCode::CREATED, Json(user_email_dto(&added))))
}

/// `POST /resources/users/emails/v1/verify`: the caller proves an added address with its code.
pub async fn verify_user_email(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<EmailCodeRequest>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().verify_email(&who, &body).await?;
    Ok(StatusCode::OK)
}

/// `GET /resources/users/emails/v1/me`: the caller's addresses, the login address first.
pub async fn get_own_emails(
    State(state): State<AppState>,
    UserContext(who): UserContext,
) -> ApiResult<Json<Vec<UserEmailResponse>>> {
    let emails = state.services.identifiers().own_emails(&who).await?;
    Ok(Json(emails.iter().map(user_email_dto).collect()))
}

/// `POST /resources/users/emails/v1/me/primary`: one of the caller's verified addresses becomes its login address.
pub async fn mark_primary_email_me(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<EmailRequest>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().make_primary(&who, &body.email).await?;
    Ok(StatusCode::OK)
}

/// `DELETE /resources/users/emails/v1/{emailId}`: the caller deletes one of its addresses (not its login one).
pub async fn delete_user_email(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiPath(id): ApiPath<UserEmailId>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().delete_email(&who, id).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/emails/v1/vendor/{userId}`: the environment adds an address to a user (verified at once
/// with `isVerified: true`, else a code goes to it).
pub async fn create_user_email_vendor(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(user): ApiPath<UserId>,
    ApiJson(body): ApiJson<VendorEmailRequest>,
) -> ApiResult<(StatusCode, Json<UserEmailResponse>)> {
    let added = state.services.identifiers().vendor_add_email(&env, user, &body).await?;
    Ok((StatusCode::CREATED, Json(user_email_dto(&added))))
}

/// `POST /resources/users/emails/v1/vendor/{userId}/primary`: the environment switches a user's login address.
pub async fn mark_primary_email_vendor(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(user): ApiPath<UserId>,
    ApiJson(body): ApiJson<EmailRequest>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().vendor_make_primary(&env, user, &body.email).await?;
    Ok(StatusCode::OK)
}

/// `DELETE /resources/users/emails/v1/vendor/{userId}/{emailId}`: the environment deletes a user's address.
pub async fn delete_user_email_vendor(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath((user, id)): ApiPath<(UserId, UserEmailId)>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().vendor_delete_email(&env, user, id).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/v1/email/me`: the caller asks to change its login address; a code goes to the new one.
pub async fn update_email_me(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<EmailRequest>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().request_email_change(&who, &body.email).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/v1/email/me/verify`: the code of the new address changes the login address.
pub async fn verify_email_me(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<EmailCodeRequest>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().verify_email_change(&who, &body).await?;
    Ok(StatusCode::OK)
}
