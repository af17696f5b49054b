//! Bulk invite: many single invites in one request, and the task's report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use yolk_api_types::users::{BulkInviteRequest, TaskDto};
use yolk_domain::fe_permissions::{ReadUsers, WriteUsers};

use crate::convert::task_dto;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, TenantScope};
use crate::state::AppState;

/// `POST /resources/users/bulk/v1/invite`: invites each user into the tenant in scope as `POST /users/v1` would
/// (see `yolk_core::bulk_invite`); 202 with the task and its per-user report.
pub async fn bulk_invite_users(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(body): ApiJson<BulkInviteRequest>,
) -> ApiResult<(StatusCode, Json<TaskDto>)> {
    let permit = scope.require::<WriteUsers>()?;
    let task = state.services.activation().bulk_invite(&permit, body.users).await?;
    Ok((StatusCode::ACCEPTED, Json(task_dto(&task))))
}

/// `GET /resources/users/bulk/v1/status/{id}`: the bulk invite task of the tenant in scope (404 for another's).
pub async fn get_bulk_invite_status(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TaskDto>> {
    let permit = scope.require::<ReadUsers>()?;
    let task = state.services.activation().bulk_invite_status(&permit, &id).await?;
    Ok(Json(task_dto(&task)))
}
