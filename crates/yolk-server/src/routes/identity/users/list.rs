//! User lists: `GET /resources/users/v3`, the legacy `GET /resources/users/v1` and the batched role lookup
//! `GET /resources/users/v3/roles`.

use axum::Json;
use axum::extract::State;
use yolk_api_types::page::Page;
use yolk_api_types::users::{UserDto, UserRoleIdsDto};
use yolk_domain::UserId;
use yolk_domain::fe_permissions::ReadUsers;
use yolk_store::users::{IdentifierKind, UserQuery, UserSort};

use crate::convert::{user_dto, user_role_ids_dto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParam, TenantScope};
use crate::list::{ApiList, ListRoute};
use crate::state::AppState;

/// The user lists (`/users/v3`, `/users/v1`).
pub struct UsersList;

impl ListRoute for UsersList {
    type Sort = UserSort;
    const SORTS: &'static [(&'static str, UserSort)] = &[
        ("createdAt", UserSort::CreatedAt),
        ("name", UserSort::Name),
        ("email", UserSort::Email),
        ("id", UserSort::Id),
        ("verified", UserSort::Verified),
        ("isLocked", UserSort::IsLocked),
        ("provider", UserSort::Provider),
        ("tenantId", UserSort::TenantId),
    ];
}

/// `GET /resources/users/v3`: a page of the users of the tenant in scope (see `crate::list` for paging).
/// Filters: `_filter` (substring of name or email), `_email` (exact, case-insensitive), `_namePrefix`,
/// `_identifier` + `_identifierType` (prefix), `ids` and `_externalIds`, `_tenantId` (environment callers; a
/// member may only name its own tenant). `_includeSubTenants` is accepted and ignored: membership does not follow
/// the tenant hierarchy yet.
pub async fn list_users_v3(
    State(state): State<AppState>,
    scope: TenantScope,
    list: ApiList<UsersList>,
) -> ApiResult<Json<Page<UserDto>>> {
    let permit = scope.require::<ReadUsers>()?;
    let (views, total) = state.services.users.list(&permit, query(&list)?).await?;
    let items = views.iter().map(|v| user_dto(v, &state.client_id)).collect();
    Ok(Json(list.render(items, total)))
}

/// `GET /resources/users/v1?_limit=N&_offset=P` (not in the public spec; a Rust management client uses it): as
/// [`list_users_v3`].
pub async fn list_users_v1(
    state: State<AppState>,
    scope: TenantScope,
    list: ApiList<UsersList>,
) -> ApiResult<Json<Page<UserDto>>> {
    list_users_v3(state, scope, list).await
}

/// The store query a list request asks for; the service applies the caller's scope to it.
fn query(list: &ApiList<UsersList>) -> ApiResult<UserQuery> {
    let identifier = match (list.text("_identifier"), list.text("_identifierType")) {
        (None, None) => None,
        (Some(value), Some(kind)) => Some((identifier_kind(kind)?, value.to_owned())),
        _ => return Err(ApiError::BadRequest("_identifier and _identifierType go together".into())),
    };
    Ok(UserQuery {
        tenant_id: list.text("_tenantId").map(|t| PathParam::parse("_tenantId", t)).transpose()?,
        email: list.text("_email").map(str::to_owned),
        ids: list.parsed("ids")?,
        filter: list.text("_filter").map(str::to_owned),
        name_prefix: list.text("_namePrefix").map(str::to_owned),
        identifier,
        external_ids: list.values("_externalIds")?,
        sort: list.sort,
        descending: list.descending,
        page: list.page_request(),
        include_invisible: false,
    })
}

fn identifier_kind(raw: &str) -> ApiResult<IdentifierKind> {
    match raw {
        "email" => Ok(IdentifierKind::Email),
        "phoneNumber" => Ok(IdentifierKind::PhoneNumber),
        "username" => Ok(IdentifierKind::Username),
        _ => Err(ApiError::BadRequest("_identifierType must be email, phoneNumber or username".into())),
    }
}

/// `GET /resources/users/v3/roles?ids=`: `[{userId, tenantId, roleIds}]` for the named users that are members
/// of the tenant in scope (others are left out). The environment without a tenant gets one entry per
/// membership. At most [`crate::list::MAX_LIST_VALUES`] ids.
pub async fn list_users_roles_v3(
    State(state): State<AppState>,
    scope: TenantScope,
    list: ApiList<UsersList>,
) -> ApiResult<Json<Vec<UserRoleIdsDto>>> {
    let permit = scope.require::<ReadUsers>()?;
    let ids: Vec<UserId> = list.parsed("ids")?.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::BadRequest("ids is required".into()));
    }
    let found = state.services.users.roles_of(&permit, &ids).await?;
    let out = found.into_iter().map(|(id, m)| user_role_ids_dto(id, &m, &state.client_id)).collect();
    Ok(Json(out))
}
