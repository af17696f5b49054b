//! identity.json "me" routes (tag User management): the caller's own profile, tenants and authorization, and the
//! tenant switch. The login box calls these right after every login (CLIENTS.md §3.2/§3.3). Every route acts as
//! the [`UserContext`]: a user token, or an environment token naming the user in `frontegg-user-id`.

mod tenants;

use std::collections::BTreeSet;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, put};
use uuid::Uuid;
use yolk_api_types::me::{MeAuthorizationDto, MePermissionDto, MeUserDto, SwitchTenantRequest, UpdateMeRequest};
use yolk_domain::values::metadata_to_string;
use yolk_domain::{Membership, Permission, User};

use crate::convert::{role_dto, time, user_dto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, UserContext};
use crate::state::AppState;

/// The longest `profilePictureUrl` the spec allows.
const MAX_PICTURE_URL: usize = 4095;

/// Me routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/users/v2/me", get(get_profile).put(update_profile))
        .route("/resources/users/v3/me", get(get_profile))
        .route("/resources/users/v1/me/tenants", get(tenants::tenants_with_active))
        .route("/resources/users/v2/me/tenants", get(tenants::tenants_list))
        .route("/resources/users/v3/me/tenants", get(tenants::tenants_with_active))
        .route("/resources/users/v2/me/hierarchy", get(tenants::hierarchy))
        .route("/resources/users/v1/me/authorization", get(authorization))
        .route("/resources/users/v1/tenant", put(switch_tenant))
}

/// The caller's user row and memberships.
async fn load(state: &AppState, ctx: &UserContext) -> ApiResult<(User, Vec<Membership>)> {
    let user = state.store.get_user(ctx.user_id).await?;
    let memberships = state.store.memberships(&[ctx.user_id]).await?.remove(&ctx.user_id).unwrap_or_default();
    Ok((user, memberships))
}

/// `GET /users/v2/me` and `/users/v3/me`: the caller in the tenant it acts in.
async fn get_profile(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeUserDto>> {
    let (user, memberships) = load(&state, &ctx).await?;
    Ok(Json(profile(&state, &user, &memberships, &ctx.tenant_id).await?))
}

/// `PUT /users/v2/me`: the caller changes its own name, phone number, picture or metadata. Email, roles and
/// everything else are not self-service; such fields are ignored.
async fn update_profile(
    State(state): State<AppState>,
    ctx: UserContext,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> ApiResult<Json<MeUserDto>> {
    let change = ProfileChange::parse(body)?;
    let now = state.clock.now();
    let user = state
        .store
        .update_user(
            ctx.user_id,
            Box::new(move |u| {
                change.apply(u);
                u.updated_at = now;
                Ok(())
            }),
        )
        .await?;
    let memberships = state.store.memberships(&[ctx.user_id]).await?.remove(&ctx.user_id).unwrap_or_default();
    Ok(Json(profile(&state, &user, &memberships, &ctx.tenant_id).await?))
}

/// A validated profile change: `None` leaves a field as it is, `Some(None)` clears it.
struct ProfileChange {
    name: Option<String>,
    phone_number: Option<Option<String>>,
    profile_picture_url: Option<Option<String>>,
    metadata: Option<Option<String>>,
}

impl ProfileChange {
    fn parse(body: UpdateMeRequest) -> ApiResult<Self> {
        let name = match body.name {
            None => None,
            Some(n) => {
                let n = n.as_deref().map(str::trim).unwrap_or_default();
                if n.is_empty() {
                    return Err(ApiError::BadRequest("name must not be empty".into()));
                }
                Some(n.to_owned())
            }
        };
        let phone_number = match body.phone_number {
            None => None,
            Some(p) => match p.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => Some(None),
                Some(p) if valid_phone(p) => Some(Some(p.to_owned())),
                Some(_) => {
                    return Err(ApiError::BadRequest(
                        "phoneNumber must be in international format, e.g. +14155552671".into(),
                    ));
                }
            },
        };
        let profile_picture_url = match body.profile_picture_url {
            None => None,
            Some(u) => match u.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                None => Some(None),
                Some(u) if u.len() <= MAX_PICTURE_URL => Some(Some(u.to_owned())),
                Some(_) => {
                    return Err(ApiError::BadRequest(format!(
                        "profilePictureUrl must be at most {MAX_PICTURE_URL} characters"
                    )));
                }
            },
        };
        let metadata = match body.metadata {
            None => None,
            Some(None) => Some(None),
            Some(Some(v)) => Some(metadata_to_string(&v).map_err(ApiError::BadRequest)?),
        };
        Ok(Self { name, phone_number, profile_picture_url, metadata })
    }

    fn apply(self, u: &mut User) {
        if let Some(name) = self.name {
            u.name = Some(name);
        }
        if let Some(phone) = self.phone_number {
            u.phone_number = phone;
        }
        if let Some(url) = self.profile_picture_url {
            u.profile_picture_url = url;
        }
        if let Some(metadata) = self.metadata {
            u.metadata = metadata;
        }
    }
}

/// The spec's pattern `^\+[1-9]{1}(\-?)(([0-9])(\-?)){5,13}(([0-9]$){1})`: a `+`, then 7 to 15 digits, the first
/// not 0, optionally separated by single dashes, ending in a digit.
fn valid_phone(p: &str) -> bool {
    let Some(rest) = p.strip_prefix('+') else { return false };
    let bytes = rest.as_bytes();
    if !matches!(bytes.first(), Some(b'1'..=b'9')) || !bytes.last().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut digits = 0;
    let mut after_dash = false;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                after_dash = false;
            }
            b'-' if !after_dash => after_dash = true,
            _ => return false,
        }
    }
    (7..=15).contains(&digits)
}

/// `GET /users/v1/me/authorization`: the caller's roles and permissions in the tenant it acts in.
async fn authorization(State(state): State<AppState>, ctx: UserContext) -> ApiResult<Json<MeAuthorizationDto>> {
    let (_, memberships) = load(&state, &ctx).await?;
    let membership = memberships.iter().find(|m| m.tenant_id == ctx.tenant_id);
    let roles = membership.map(|m| m.roles.iter().map(|r| role_dto(r, &state.client_id)).collect()).unwrap_or_default();
    let permissions = permissions_in(&state, &memberships, &ctx.tenant_id).await?;
    Ok(Json(MeAuthorizationDto { roles, permissions }))
}

/// `PUT /users/v1/tenant`: makes another of the caller's tenants its active one. The next refresh issues a token
/// for it. Only an enabled membership can be switched to; otherwise nothing changes.
async fn switch_tenant(
    State(state): State<AppState>,
    ctx: UserContext,
    ApiJson(body): ApiJson<SwitchTenantRequest>,
) -> ApiResult<Json<MeUserDto>> {
    let tenant_id = body.tenant_id.trim().to_owned();
    if tenant_id.is_empty() {
        return Err(ApiError::BadRequest("tenantId must not be empty".into()));
    }
    let (_, memberships) = load(&state, &ctx).await?;
    // One answer for "no such tenant" and "not a member": the caller learns nothing about other tenants.
    let membership = memberships
        .iter()
        .find(|m| m.tenant_id == tenant_id)
        .ok_or_else(|| ApiError::NotFound("User is not a member of this tenant".into()))?;
    if membership.disabled {
        return Err(ApiError::Forbidden("User is disabled in this tenant".into()));
    }
    let now = state.clock.now();
    let active = tenant_id.clone();
    let user = state
        .store
        .update_user(
            ctx.user_id,
            Box::new(move |u| {
                u.active_tenant_id = Some(active);
                u.updated_at = now;
                Ok(())
            }),
        )
        .await?;
    Ok(Json(profile(&state, &user, &memberships, &tenant_id).await?))
}

/// The profile body: `user_dto` in `tenant_id`, with permission objects and the strings the mobile SDKs require.
async fn profile(state: &AppState, user: &User, memberships: &[Membership], tenant_id: &str) -> ApiResult<MeUserDto> {
    let mut dto = user_dto(user, memberships, Some(tenant_id), &state.client_id);
    // iOS decodes `name` and `profilePictureUrl` as non-optional strings.
    dto.name = Some(dto.name.unwrap_or_default());
    dto.profile_picture_url = Some(dto.profile_picture_url.unwrap_or_default());
    dto.permissions = permissions_in(state, memberships, tenant_id)
        .await?
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::Internal(format!("permission to json: {e}")))?;
    Ok(MeUserDto { user: dto, sub_account_access_allowed: false, managed_by: "frontegg".into() })
}

/// The permissions the user's roles in `tenant_id` grant, by key.
async fn permissions_in(
    state: &AppState,
    memberships: &[Membership],
    tenant_id: &str,
) -> ApiResult<Vec<MePermissionDto>> {
    let Some(m) = memberships.iter().find(|m| m.tenant_id == tenant_id) else {
        return Ok(Vec::new());
    };
    let ids: Vec<Uuid> =
        m.roles.iter().flat_map(|r| r.permission_ids.iter().copied()).collect::<BTreeSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut permissions = state.store.permissions_by_ids(&ids).await?;
    permissions.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(permissions.iter().map(permission_dto).collect())
}

fn permission_dto(p: &Permission) -> MePermissionDto {
    MePermissionDto {
        id: p.id.to_string(),
        key: p.key.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        fe_permission: p.key.starts_with("fe."),
        role_ids: p.role_ids.iter().map(ToString::to_string).collect(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_phone;

    #[test]
    fn phone_numbers_follow_the_spec_pattern() {
        for ok in ["+14155552671", "+972-54-1234567", "+1234567", "+123456789012345", "+1-2-3-4-5-6-7"] {
            assert!(valid_phone(ok), "{ok}");
        }
        for bad in [
            "14155552671",
            "+04155552671",
            "+123456",
            "+1234567890123456",
            "+1--234567",
            "+1234567-",
            "+-1234567",
            "+1 415 555",
        ] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }
}
