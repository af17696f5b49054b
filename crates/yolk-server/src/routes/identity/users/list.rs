//! User lists: `GET /resources/users/v3`, the legacy `GET /resources/users/v1` and the batched role lookup
//! `GET /resources/users/v3/roles`. Each page costs one count, one select and one memberships load (no N+1).

use axum::Json;
use axum::extract::State;
use uuid::Uuid;
use yolk_api_types::users::{Page, PageLinks, PageMetadata, UserDto, UserRoleIdsDto};
use yolk_store::users::{IdentifierKind, UserQuery, UserSort};

use super::READ_USERS;
use super::common::{tenant_only, visible_memberships};
use crate::convert::user_dto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Actor, ApiQuery, TenantScope, parse_uuid};
use crate::state::AppState;

/// Page size when `_limit` is absent.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page; a larger `_limit` is served as this.
pub const MAX_LIMIT: u64 = 200;
/// Most ids one `GET /resources/users/v3/roles` may name.
pub const MAX_ROLE_LOOKUP_IDS: usize = 250;

/// Query pairs as sent: repeated keys (`ids=a&ids=b`) are kept.
type Pairs = Vec<(String, String)>;

/// `GET /resources/users/v3`: `{items, _metadata: {totalItems, totalPages}, _links}`. `_offset` is a page index
/// (Frontegg's meaning), `_limit` defaults to 50 and is capped at 200. Filters: `_filter` (substring of name or
/// email), `_email` (exact, case-insensitive), `_namePrefix`, `_identifier` + `_identifierType` (prefix),
/// `ids` and `_externalIds` (comma-separated or repeated), `_tenantId` (environment callers; a user caller may
/// only name its own tenant). Sorting: `_sortBy` (`createdAt` default) and `_order` (`ASC` default).
/// `_includeSubTenants` is accepted and ignored: membership does not follow the tenant hierarchy yet.
pub async fn list_users_v3(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(pairs): ApiQuery<Pairs>,
) -> ApiResult<Json<Page<UserDto>>> {
    scope.require(READ_USERS)?;
    let (items, total, limit, page) = query_page(&state, &scope, &pairs).await?;
    let (metadata, links) = paging(total, limit, page);
    Ok(Json(Page { items, metadata, links: Some(links) }))
}

/// `GET /resources/users/v1?_limit=N&_offset=P` (not in the public spec; a Rust management client uses it):
/// `{items, _metadata: {totalPages, totalItems}}` with `_offset` a page index. Same filters as v3.
pub async fn list_users_v1(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(pairs): ApiQuery<Pairs>,
) -> ApiResult<Json<Page<UserDto>>> {
    scope.require(READ_USERS)?;
    let (items, total, limit, page) = query_page(&state, &scope, &pairs).await?;
    let (metadata, _) = paging(total, limit, page);
    Ok(Json(Page { items, metadata, links: None }))
}

/// `GET /resources/users/v3/roles?ids=`: `[{userId, tenantId, roleIds}]` for the named users that are members
/// of the tenant in scope (others are left out). The environment without a tenant gets one entry per
/// membership. At most 250 ids.
pub async fn list_users_roles_v3(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(pairs): ApiQuery<Pairs>,
) -> ApiResult<Json<Vec<UserRoleIdsDto>>> {
    scope.require(READ_USERS)?;
    let ids = uuid_list(&pairs, "ids")?.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::BadRequest("ids is required".into()));
    }
    if ids.len() > MAX_ROLE_LOOKUP_IDS {
        return Err(ApiError::BadRequest(format!("ids may name at most {MAX_ROLE_LOOKUP_IDS} users")));
    }
    let memberships = state.store.memberships(&ids).await?;
    let tenant = scope.tenant_id.as_deref();
    let out = ids
        .iter()
        .filter_map(|id| memberships.get(id).map(|ms| (id, ms)))
        .flat_map(|(id, ms)| {
            ms.iter().filter(|m| tenant.is_none_or(|t| t == m.tenant_id)).map(move |m| UserRoleIdsDto {
                user_id: id.to_string(),
                tenant_id: m.tenant_id.clone(),
                role_ids: m.roles.iter().map(|r| r.id.to_string()).collect(),
            })
        })
        .collect();
    Ok(Json(out))
}

/// Runs the list query; returns the page's users, the total, the limit and the page index.
async fn query_page(state: &AppState, scope: &TenantScope, pairs: &Pairs) -> ApiResult<(Vec<UserDto>, u64, u64, u64)> {
    let limit = number(pairs, "_limit")?.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let page = number(pairs, "_offset")?.unwrap_or(0);
    let is_user = matches!(scope.actor, Actor::User { .. });
    let tenant = match (scope.tenant_id.as_deref(), text(pairs, "_tenantId")) {
        (Some(scoped), Some(asked)) if scoped != asked => {
            return Err(if is_user {
                ApiError::Forbidden("Token is not valid for this tenant".into())
            } else {
                ApiError::BadRequest("_tenantId does not match frontegg-tenant-id".into())
            });
        }
        (scoped, asked) => scoped.or(asked).map(str::to_owned),
    };
    let identifier = match (text(pairs, "_identifier"), text(pairs, "_identifierType")) {
        (None, None) => None,
        (Some(value), Some(kind)) => Some((identifier_kind(kind)?, value.to_owned())),
        _ => return Err(ApiError::BadRequest("_identifier and _identifierType go together".into())),
    };
    let query = UserQuery {
        tenant_id: tenant.clone(),
        email: text(pairs, "_email").map(str::to_lowercase),
        ids: uuid_list(pairs, "ids")?,
        filter: text(pairs, "_filter").map(str::to_owned),
        name_prefix: text(pairs, "_namePrefix").map(str::to_owned),
        identifier,
        external_ids: list(pairs, "_externalIds"),
        sort: sort_key(text(pairs, "_sortBy"))?,
        descending: order_descending(text(pairs, "_order"))?,
        limit,
        offset: page.saturating_mul(limit),
        include_invisible: !is_user,
    };
    let (users, total) = state.store.list_users(&query).await?;
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut memberships = state.store.memberships(&ids).await?;
    let items = users
        .iter()
        .map(|u| {
            let mut ms = memberships.remove(&u.id).unwrap_or_default();
            visible_memberships(&mut ms, tenant.as_deref(), tenant_only(scope));
            user_dto(u, &ms, tenant.as_deref(), &state.client_id)
        })
        .collect();
    Ok((items, total, limit, page))
}

/// `_metadata` and `_links` for a page.
fn paging(total: u64, limit: u64, page: u64) -> (PageMetadata, PageLinks) {
    let total_pages = total.div_ceil(limit);
    let link = |p: u64| format!("?_limit={limit}&_offset={p}");
    let last = total_pages.saturating_sub(1);
    let links = PageLinks {
        next: if page + 1 < total_pages { link(page + 1) } else { String::new() },
        prev: if page > 0 { link((page - 1).min(last)) } else { String::new() },
        first: link(0),
        last: link(last),
    };
    (PageMetadata { total_items: total, total_pages }, links)
}

/// The last non-empty value of `key`.
fn text<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim())
}

/// A non-negative integer parameter.
fn number(pairs: &Pairs, key: &str) -> ApiResult<Option<u64>> {
    text(pairs, key)
        .map(|v| v.parse::<u64>().map_err(|_| ApiError::BadRequest(format!("{key} must be a non-negative integer"))))
        .transpose()
}

/// Every value of `key`, split on commas (both `ids=a,b` and `ids=a&ids=b`); `None` when absent.
fn list(pairs: &Pairs, key: &str) -> Option<Vec<String>> {
    let values: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    (!values.is_empty()).then_some(values)
}

fn uuid_list(pairs: &Pairs, key: &str) -> ApiResult<Option<Vec<Uuid>>> {
    list(pairs, key).map(|vs| vs.iter().map(|v| parse_uuid(v, key)).collect()).transpose()
}

fn sort_key(raw: Option<&str>) -> ApiResult<UserSort> {
    Ok(match raw {
        None | Some("createdAt") => UserSort::CreatedAt,
        Some("name") => UserSort::Name,
        Some("email") => UserSort::Email,
        Some("id") => UserSort::Id,
        Some("verified") => UserSort::Verified,
        Some("isLocked") => UserSort::IsLocked,
        Some("provider") => UserSort::Provider,
        Some("tenantId") => UserSort::TenantId,
        Some(other) => return Err(ApiError::BadRequest(format!("_sortBy {other} is not supported"))),
    })
}

fn order_descending(raw: Option<&str>) -> ApiResult<bool> {
    match raw.map(str::to_ascii_uppercase).as_deref() {
        None | Some("ASC") => Ok(false),
        Some("DESC") => Ok(true),
        Some(_) => Err(ApiError::BadRequest("_order must be ASC or DESC".into())),
    }
}

fn identifier_kind(raw: &str) -> ApiResult<IdentifierKind> {
    match raw {
        "email" => Ok(IdentifierKind::Email),
        "phoneNumber" => Ok(IdentifierKind::PhoneNumber),
        "username" => Ok(IdentifierKind::Username),
        _ => Err(ApiError::BadRequest("_identifierType must be email, phoneNumber or username".into())),
    }
}
