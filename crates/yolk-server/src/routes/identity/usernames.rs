//! identity.json tags User management (usernames) and Users (phone numbers set by the environment). The rules are
//! `yolk_core::identifiers`'s.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use yolk_api_types::identifiers::{PhoneNumberRequest, UsernameRequest, UsernameResponse};
use yolk_api_types::page::Page;
use yolk_domain::{PhoneNumberId, UserId};
use yolk_store::identifiers::UsernameQuery;

use crate::convert::username_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, UserContext, VendorAuth};
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// Username and phone number routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/usernames/v1", get(list_usernames).post(create_username))
        .route("/resources/usernames/v1/me", get(get_own_username))
        .route("/resources/usernames/v1/{username}", delete(delete_username))
        .route("/resources/users/phone-numbers/v1/vendor/{userId}", post(create_phone_number_vendor))
        .route("/resources/users/phone-numbers/v1/vendor/{userId}/{phoneId}", delete(delete_phone_number_vendor))
}

/// `GET /resources/usernames/v1`'s list rules.
pub struct UsernamesList;

impl ListRoute for UsernamesList {
    type Sort = ();
    const SORTS: &'static [(&'static str, ())] = &[("username", ())];
}

/// `GET /resources/usernames/v1`: usernames by username (the environment; `_usernamePrefix`, `userIds`,
/// `usernames` narrow it).
pub async fn list_usernames(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    list: ApiList<UsernamesList>,
) -> ApiResult<Json<Page<UsernameResponse>>> {
    let q = UsernameQuery {
        prefix: list.text("_usernamePrefix").map(str::to_owned),
        user_ids: list.parsed::<UserId>("userIds")?,
        usernames: list.values("usernames")?,
    };
    let (items, total) = state.services.identifiers().list_usernames(&env, &q, list.page_request()).await?;
    Ok(Json(list.render(items.iter().map(username_dto).collect(), total)))
}

/// `POST /resources/usernames/v1`: the caller sets its login username.
pub async fn create_username(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<UsernameRequest>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().set_username(&who, &body.username).await?;
    Ok(StatusCode::CREATED)
}

/// `GET /resources/usernames/v1/me`: the caller's username (404 when it has none).
pub async fn get_own_username(
    State(state): State<AppState>,
    UserContext(who): UserContext,
) -> ApiResult<Json<UsernameResponse>> {
    let entry = state.services.identifiers().own_username(&who).await?;
    Ok(Json(username_dto(&entry)))
}

/// `DELETE /resources/usernames/v1/{username}`: the environment removes a username from its user.
pub async fn delete_username(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(username): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().delete_username(&env, &username).await?;
    Ok(StatusCode::OK)
}

/// `POST /resources/users/phone-numbers/v1/vendor/{userId}`: the environment gives a user a verified number.
pub async fn create_phone_number_vendor(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(user): ApiPath<UserId>,
    ApiJson(body): ApiJson<PhoneNumberRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let id = state.services.identifiers().vendor_add_phone(&env, user, &body.phone_number).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": id.to_string(), "phoneNumber": body.phone_number.trim() })),
    ))
}

/// `DELETE /resources/users/phone-numbers/v1/vendor/{userId}/{phoneId}`: the environment removes a user's number.
pub async fn delete_phone_number_vendor(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath((user, id)): ApiPath<(UserId, PhoneNumberId)>,
) -> ApiResult<StatusCode> {
    state.services.identifiers().vendor_delete_phone(&env, user, id).await?;
    Ok(StatusCode::OK)
}
