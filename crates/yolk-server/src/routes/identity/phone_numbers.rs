//! identity.json tag SMS: a user's own phone numbers (`users/phone-numbers/v1`), added unverified and proved by a
//! texted code, deleted with one; the environment's lists. The rules are `yolk_core::phone_numbers`'s.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use yolk_api_types::identifiers::{
    CreatePhoneNumberRequest, PhoneCodeRequest, PhoneNumberCreatedResponse, PhoneNumberDeleteCodeResponse,
    PhoneNumberRequest, UserPhoneNumberResponse,
};
use yolk_api_types::page::Page;
use yolk_domain::{PhoneNumberId, UserId};
use yolk_store::identifiers::{PhoneQuery, PhoneSort};

use crate::convert::phone_number_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, UserContext, VendorAuth};
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// Phone number routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/users/phone-numbers/v1", get(list_phone_numbers).post(create_phone_number))
        .route("/resources/users/phone-numbers/v1/preverify", post(preverify_phone_number))
        .route("/resources/users/phone-numbers/v1/verify", post(verify_phone_number))
        .route("/resources/users/phone-numbers/v1/me", get(get_own_phone_numbers))
        .route("/resources/users/phone-numbers/v1/{id}", delete(delete_phone_number))
        .route("/resources/users/phone-numbers/v1/{id}/delete/verify", post(verify_delete_phone_number))
        .route("/resources/users/phone-numbers/v2", get(list_phone_numbers_v2))
}

const SORTS: &[(&str, PhoneSort)] = &[("userId", PhoneSort::UserId), ("phoneNumber", PhoneSort::PhoneNumber)];

/// `GET /resources/users/phone-numbers/v1`'s list rules.
pub struct PhoneNumbersList;

impl ListRoute for PhoneNumbersList {
    type Sort = PhoneSort;
    const SORTS: &'static [(&'static str, PhoneSort)] = SORTS;
}

/// `GET /resources/users/phone-numbers/v2`'s list rules (the spec's `_limit` maximum is 250).
pub struct PhoneNumbersListV2;

impl ListRoute for PhoneNumbersListV2 {
    const MAX_LIMIT: u64 = 250;
    type Sort = PhoneSort;
    const SORTS: &'static [(&'static str, PhoneSort)] = SORTS;
}

/// `GET /resources/users/phone-numbers/v1`: every user's numbers (the environment), by user or by number;
/// `_phoneNumber` narrows to one number.
pub async fn list_phone_numbers(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    list: ApiList<PhoneNumbersList>,
) -> ApiResult<Json<Page<UserPhoneNumberResponse>>> {
    let q = PhoneQuery {
        user_ids: None,
        phone_number: list.text("_phoneNumber").map(str::to_owned),
        sort: list.sort,
        descending: list.descending,
    };
    let (items, total) = state.services.phone_numbers().list(&env, &q, list.page_request()).await?;
    Ok(Json(list.render(items.iter().map(phone_number_dto).collect(), total)))
}

/// `GET /resources/users/phone-numbers/v2`: as v1, and `userIds` narrows to those users.
pub async fn list_phone_numbers_v2(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    list: ApiList<PhoneNumbersListV2>,
) -> ApiResult<Json<Page<UserPhoneNumberResponse>>> {
    let q = PhoneQuery {
        user_ids: list.parsed::<UserId>("userIds")?,
        phone_number: list.text("_phoneNumber").map(str::to_owned),
        sort: list.sort,
        descending: list.descending,
    };
    let (items, total) = state.services.phone_numbers().list(&env, &q, list.page_request()).await?;
    Ok(Json(list.render(items.iter().map(phone_number_dto).collect(), total)))
}

/// `POST /resources/users/phone-numbers/v1`: the caller adds a number; a code is texted to it unless
/// `verify: false`.
pub async fn create_phone_number(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<CreatePhoneNumberRequest>,
) -> ApiResult<(StatusCode, Json<PhoneNumberCreatedResponse>)> {
    let added = state.services.phone_numbers().add(&who, &body.phone_number, body.verify).await?;
    let body = PhoneNumberCreatedResponse {
        id: Some(added.phone.id.to_string()),
        phone_number: Some(added.phone.phone_number),
        verified: Some(added.phone.verified),
        otc_token: added.otc_token,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST /resources/users/phone-numbers/v1/preverify`: a code is texted to a number the caller does not have yet.
pub async fn preverify_phone_number(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<PhoneNumberRequest>,
) -> ApiResult<Json<PhoneNumberCreatedResponse>> {
    let otc_token = state.services.phone_numbers().preverify(&who, &body.phone_number).await?;
    Ok(Json(PhoneNumberCreatedResponse { otc_token: Some(otc_token), ..Default::default() }))
}

/// `POST /resources/users/phone-numbers/v1/verify`: the texted code makes the number verified and the caller's.
pub async fn verify_phone_number(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiJson(body): ApiJson<PhoneCodeRequest>,
) -> ApiResult<StatusCode> {
    state.services.phone_numbers().verify(&who, &body.otc_token, &body.code).await?;
    Ok(StatusCode::OK)
}

/// `GET /resources/users/phone-numbers/v1/me`: the caller's numbers, verified or not.
pub async fn get_own_phone_numbers(
    State(state): State<AppState>,
    UserContext(who): UserContext,
) -> ApiResult<Json<Vec<UserPhoneNumberResponse>>> {
    let phones = state.services.phone_numbers().own(&who).await?;
    Ok(Json(phones.iter().map(phone_number_dto).collect()))
}

/// `DELETE /resources/users/phone-numbers/v1/{id}`: a code is texted to the caller's verified number to confirm
/// its deletion; an unverified number is deleted at once.
pub async fn delete_phone_number(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiPath(id): ApiPath<PhoneNumberId>,
) -> ApiResult<Json<PhoneNumberDeleteCodeResponse>> {
    let otc_token = state.services.phone_numbers().delete(&who, id).await?;
    Ok(Json(PhoneNumberDeleteCodeResponse { otc_token }))
}

/// `POST /resources/users/phone-numbers/v1/{id}/delete/verify`: the texted code deletes the caller's number.
pub async fn verify_delete_phone_number(
    State(state): State<AppState>,
    UserContext(who): UserContext,
    ApiPath(id): ApiPath<PhoneNumberId>,
    ApiJson(body): ApiJson<PhoneCodeRequest>,
) -> ApiResult<StatusCode> {
    state.services.phone_numbers().verify_delete(&who, id, &body.otc_token, &body.code).await?;
    Ok(StatusCode::OK)
}
