//! identity.json tag Permissions categories (management API): display groups of permissions.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use uuid::Uuid;
use yolk_api_types::permissions::{CategoryDto, CreateCategoryRequest, PermissionDto, UpdateCategoryRequest};
use yolk_domain::PermissionCategory;
use yolk_store::StoreError;

use super::permissions::permission_dto;
use super::roles::{MAX_NAME, description, required_text};
use crate::convert::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, VendorAuth, parse_uuid};
use crate::state::AppState;

/// `/resources/permissions/v1/categories...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/permissions/v1/categories", get(list_categories).post(create_category))
        .route("/resources/permissions/v1/categories/{categoryId}", patch(update_category).delete(delete_category))
}

/// A category on the wire, with its permissions where given.
pub fn category_dto(c: &PermissionCategory, permissions: Option<Vec<PermissionDto>>) -> CategoryDto {
    CategoryDto {
        id: c.id.to_string(),
        name: c.name.clone(),
        description: c.description.clone(),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
        fe_category: c.fe_category,
        permissions,
    }
}

/// Every category with its permissions.
async fn list_categories(_: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryDto>>> {
    let categories = state.store.list_categories().await?;
    let mut by_category: HashMap<Uuid, Vec<PermissionDto>> = HashMap::new();
    for p in state.store.list_permissions().await? {
        if let Some(c) = p.category_id {
            by_category.entry(c).or_default().push(permission_dto(&p));
        }
    }
    let body =
        categories.iter().map(|c| category_dto(c, Some(by_category.remove(&c.id).unwrap_or_default()))).collect();
    Ok(Json(body))
}

/// Creates a category, with the client's id (a UUID) if it gives one.
async fn create_category(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateCategoryRequest>,
) -> ApiResult<Response> {
    let id = match body.id.as_deref() {
        Some(id) => parse_uuid(id, "id")?,
        None => Uuid::new_v4(),
    };
    let now = state.clock.now();
    let category = PermissionCategory {
        id,
        name: required_text("name", &body.name, MAX_NAME)?,
        description: description(body.description.as_deref())?,
        fe_category: false,
        created_at: now,
        updated_at: now,
    };
    let created = state.store.create_category(&category).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::Conflict("Category with this id already exists".into()),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(category_dto(&created, None))).into_response())
}

/// Renames or re-describes a category.
async fn update_category(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(category_id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateCategoryRequest>,
) -> ApiResult<Json<CategoryDto>> {
    let id = parse_uuid(&category_id, "categoryId")?;
    let name = body.name.as_deref().map(|n| required_text("name", n, MAX_NAME)).transpose()?;
    let desc = description(body.description.as_deref())?;
    let now = state.clock.now();
    let change = Box::new(move |c: &mut PermissionCategory| {
        if let Some(n) = name {
            c.name = n;
        }
        if desc.is_some() {
            c.description = desc;
        }
        c.updated_at = now;
        Ok(())
    });
    let updated = state.store.update_category(id, change).await?;
    Ok(Json(category_dto(&updated, None)))
}

/// Deletes a category; its permissions stay, without a category.
async fn delete_category(
    _: VendorAuth,
    State(state): State<AppState>,
    ApiPath(category_id): ApiPath<String>,
) -> ApiResult<Response> {
    state.store.delete_category(parse_uuid(&category_id, "categoryId")?).await?;
    Ok(StatusCode::OK.into_response())
}
