//! `GET /resources/tenants/users/v1/statuses`: the named users' standing in each of their tenants (environment).

use axum::Json;
use axum::extract::State;
use yolk_api_types::users::{TenantStatusDto, UserTenantStatusesResponse};
use yolk_core::users::TenantUserStatus;
use yolk_domain::UserId;

use crate::error::ApiResult;
use crate::extract::VendorAuth;
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// The query of the statuses route (list-valued parameters only; no page).
pub struct StatusesQuery;

impl ListRoute for StatusesQuery {
    type Sort = ();
    const SORTS: &'static [(&'static str, ())] = &[];
}

/// `GET /resources/tenants/users/v1/statuses?userIds=&userTenantStatuses=`: `[{userId, tenantsStatuses: [{tenantId,
/// status}]}]` for the known users among `userIds` (at most 200).
pub async fn get_users_tenant_statuses(
    State(state): State<AppState>,
    env: VendorAuth,
    list: ApiList<StatusesQuery>,
) -> ApiResult<Json<Vec<UserTenantStatusesResponse>>> {
    let ids: Vec<UserId> = list.parsed("userIds")?.unwrap_or_default();
    let only = list
        .values("userTenantStatuses")?
        .unwrap_or_default()
        .iter()
        .map(|s| TenantUserStatus::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let found = state.services.users.tenant_statuses(&env, &ids, &only).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|u| UserTenantStatusesResponse {
                user_id: u.user_id.to_string(),
                tenants_statuses: u
                    .statuses
                    .into_iter()
                    .map(|(t, s)| TenantStatusDto { tenant_id: t.to_string(), status: s.as_str().to_owned() })
                    .collect(),
            })
            .collect(),
    ))
}
