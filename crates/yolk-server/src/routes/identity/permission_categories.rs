//! identity.json tag Permissions categories (management API): display groups of permissions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use yolk_api_types::permissions::{CategoryDto, CreateCategoryRequest, UpdateCategoryRequest};
use yolk_domain::CategoryId;

use crate::convert::category_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, VendorAuth};
use crate::state::AppState;

/// `/resources/permissions/v1/categories...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/permissions/v1/categories", get(list_categories).post(create_category))
        .route("/resources/permissions/v1/categories/{categoryId}", patch(update_category).delete(delete_category))
}

/// Every category with its permissions.
async fn list_categories(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryDto>>> {
    let categories = state.services.roles.categories(&env).await?;
    Ok(Json(categories.iter().map(|(c, ps)| category_dto(c, Some(ps))).collect()))
}

/// Creates a category, with the client's id (a UUID) if it gives one.
async fn create_category(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateCategoryRequest>,
) -> ApiResult<(StatusCode, Json<CategoryDto>)> {
    let created = state.services.roles.create_category(&env, body).await?;
    Ok((StatusCode::CREATED, Json(category_dto(&created, None))))
}

/// Renames or re-describes a category.
async fn update_category(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CategoryId>,
    ApiJson(body): ApiJson<UpdateCategoryRequest>,
) -> ApiResult<Json<CategoryDto>> {
    let updated = state.services.roles.update_category(&env, id, body).await?;
    Ok(Json(category_dto(&updated, None)))
}

/// Deletes a category; its permissions stay, without a category.
async fn delete_category(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CategoryId>,
) -> ApiResult<StatusCode> {
    state.services.roles.delete_category(&env, id).await?;
    Ok(StatusCode::OK)
}
