//! identity.json, Account invitations / Account invitations settings: tenant invitation links, the activation and
//! invitation strategies, and the code variants of activation and invitation acceptance. The rules are
//! `yolk_core::tenant_invites`' and `yolk_core::activation`'s.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::Value;
use yolk_api_types::activation::{
    AcceptInvitationWithCodeRequest, ActivateUserWithCodeRequest, CreateInviteTokenRequest, InviteTokenDto,
    ResetAllInvitationsRequest, UserInviteTokenRequest, VerifyInviteTokenRequest,
};
use yolk_domain::UserId;
use yolk_domain::fe_permissions::{DeleteTenantInvites, ReadTenantInvites, WriteTenantInvites};
use yolk_domain::settings::{ActivationStrategy, InvitationStrategy};
use yolk_store::TenantInvite;

use super::mfa::login_response;
use crate::convert::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ClientAddr, TenantScope, VendorAuth, header};
use crate::state::AppState;

/// Tenant invitation links, strategies and code routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/tenants/invites/v1", post(create_tenant_invite))
        .route("/resources/tenants/invites/v1/all", get(get_all_invites))
        .route("/resources/tenants/invites/v1/token/{id}", delete(delete_tenant_invite))
        .route(
            "/resources/tenants/invites/v1/user",
            get(get_tenant_invite_for_user)
                .post(create_tenant_invite_for_user)
                .patch(update_tenant_invite_for_user)
                .delete(delete_tenant_invite_for_user),
        )
        .route("/resources/tenants/invites/v2/user", post(create_tenant_invite_for_user_v2))
        .route("/resources/tenants/invites/v1/verify", post(verify_tenant_invite))
        .route(
            "/resources/configurations/v1/activation/strategies",
            get(get_activation_strategy).post(set_activation_strategy),
        )
        .route(
            "/resources/configurations/v1/invitation/strategies",
            get(get_invitation_strategy).post(set_invitation_strategy),
        )
        .route("/resources/users/v1/activate/code", post(activate_user_with_code))
        .route("/resources/users/v1/invitation/accept/code", post(accept_invitation_with_code))
        .route("/resources/users/v1/invitation/reset/all", post(reset_all_invitations))
}

fn invite_dto(state: &AppState, i: &TenantInvite, name: Option<String>) -> InviteTokenDto {
    InviteTokenDto {
        id: i.id.clone(),
        vendor_id: state.client_id.to_string(),
        tenant_id: i.tenant_id.to_string(),
        user_id: i.user_id.map(|u| u.to_string()),
        token: i.token.clone(),
        expires: time(i.expires_at),
        should_send_email: i.should_send_email,
        name,
        role_ids: i.role_ids.iter().map(ToString::to_string).collect(),
    }
}

/// The member the environment names in `frontegg-user-id` (a member's own token ignores it).
fn named_user(headers: &HeaderMap) -> ApiResult<Option<UserId>> {
    header(headers, "frontegg-user-id")
        .map(|raw| UserId::parse(raw).map_err(|_| ApiError::BadRequest("frontegg-user-id must be a UUID".into())))
        .transpose()
}

/// `POST /tenants/invites/v1` (environment): a new link into `tenantId` (201).
async fn create_tenant_invite(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiJson(body): ApiJson<CreateInviteTokenRequest>,
) -> ApiResult<(StatusCode, Json<InviteTokenDto>)> {
    let invite = state.services.activation().create_tenant_invite(&env, body).await?;
    Ok((StatusCode::CREATED, Json(invite_dto(&state, &invite, None))))
}

/// `GET /tenants/invites/v1/all` (environment): every link, newest first.
async fn get_all_invites(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
) -> ApiResult<Json<Vec<InviteTokenDto>>> {
    let invites = state.services.activation().tenant_invites(&env).await?;
    Ok(Json(invites.iter().map(|i| invite_dto(&state, i, None)).collect()))
}

/// `DELETE /tenants/invites/v1/token/{id}` (environment): the link stops working (200); 404 for an unknown id.
async fn delete_tenant_invite(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.services.activation().delete_tenant_invite(&env, &id).await?;
    Ok(StatusCode::OK)
}

/// `GET /tenants/invites/v1/user` (`fe.secure.read.tenantInvites`): the member's own link; 404 when none.
async fn get_tenant_invite_for_user(
    State(state): State<AppState>,
    scope: TenantScope,
    headers: HeaderMap,
) -> ApiResult<Json<InviteTokenDto>> {
    let permit = scope.require::<ReadTenantInvites>()?;
    let invite = state.services.activation().user_tenant_invite(&permit, named_user(&headers)?).await?;
    Ok(Json(invite_dto(&state, &invite, None)))
}

/// `POST /tenants/invites/v1/user` (`fe.secure.write.tenantInvites`): a new link of the member's own (201).
async fn create_tenant_invite_for_user(
    State(state): State<AppState>,
    scope: TenantScope,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<UserInviteTokenRequest>,
) -> ApiResult<(StatusCode, Json<InviteTokenDto>)> {
    let permit = scope.require::<WriteTenantInvites>()?;
    body.role_ids = None; // v1 takes no roles
    let invite = state.services.activation().create_user_tenant_invite(&permit, named_user(&headers)?, body).await?;
    Ok((StatusCode::CREATED, Json(invite_dto(&state, &invite, None))))
}

/// `POST /tenants/invites/v2/user` (`fe.secure.write.tenantInvites`; `roleIds` need
/// `fe.secure.write.usersRoles`): a new link of the member's own with roles (201).
async fn create_tenant_invite_for_user_v2(
    State(state): State<AppState>,
    scope: TenantScope,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UserInviteTokenRequest>,
) -> ApiResult<(StatusCode, Json<InviteTokenDto>)> {
    let permit = scope.require::<WriteTenantInvites>()?;
    let invite = state.services.activation().create_user_tenant_invite(&permit, named_user(&headers)?, body).await?;
    Ok((StatusCode::CREATED, Json(invite_dto(&state, &invite, None))))
}

/// `PATCH /tenants/invites/v1/user` (`fe.secure.write.tenantInvites`): a new expiry and/or email flag.
async fn update_tenant_invite_for_user(
    State(state): State<AppState>,
    scope: TenantScope,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<UserInviteTokenRequest>,
) -> ApiResult<Json<InviteTokenDto>> {
    let permit = scope.require::<WriteTenantInvites>()?;
    body.role_ids = None;
    let invite = state.services.activation().update_user_tenant_invite(&permit, named_user(&headers)?, body).await?;
    Ok(Json(invite_dto(&state, &invite, None)))
}

/// `DELETE /tenants/invites/v1/user` (`fe.secure.delete.tenantInvites`): the member's own link stops working.
async fn delete_tenant_invite_for_user(
    State(state): State<AppState>,
    scope: TenantScope,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<DeleteTenantInvites>()?;
    state.services.activation().delete_user_tenant_invite(&permit, named_user(&headers)?).await?;
    Ok(StatusCode::OK)
}

/// `POST /tenants/invites/v1/verify` `{token}` (public, rate-limited): the link with its tenant's `name` when it
/// works; an unknown, expired or deleted link is one 400.
async fn verify_tenant_invite(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<VerifyInviteTokenRequest>,
) -> ApiResult<Json<InviteTokenDto>> {
    // Failures count against the address (a shared identifier would let one client lock every other out).
    let identifier = format!("tenant-invite-verify:{}", ip.map(|a| a.to_string()).unwrap_or_default());
    state.throttle.admit(ip, &identifier)?;
    let result = state.services.activation().verify_tenant_invite(&body.token).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    let v = result?;
    Ok(Json(invite_dto(&state, &v.invite, Some(v.tenant.name.clone()))))
}

/// `GET /configurations/v1/activation/strategies` (environment): `{strategy, codeExpiration}`.
async fn get_activation_strategy(
    State(state): State<AppState>,
    VendorAuth(_env): VendorAuth,
) -> ApiResult<Json<ActivationStrategy>> {
    Ok(Json(state.services.activation().activation_strategy_in_force().await?))
}

/// `POST /configurations/v1/activation/strategies` (environment): merges `{strategy, codeExpiration}` (200).
async fn set_activation_strategy(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<StatusCode> {
    state.services.settings.merge_document::<ActivationStrategy>(&env, body).await?;
    Ok(StatusCode::OK)
}

/// `GET /configurations/v1/invitation/strategies` (environment): `{strategy, codeExpiration}`.
async fn get_invitation_strategy(
    State(state): State<AppState>,
    VendorAuth(_env): VendorAuth,
) -> ApiResult<Json<InvitationStrategy>> {
    Ok(Json(state.services.activation().invitation_strategy_in_force().await?))
}

/// `POST /configurations/v1/invitation/strategies` (environment): merges `{codeExpiration, strategy?}` (200; the
/// spec's body names only `codeExpiration`, yolk also takes `strategy`).
async fn set_invitation_strategy(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<StatusCode> {
    state.services.settings.merge_document::<InvitationStrategy>(&env, body).await?;
    Ok(StatusCode::OK)
}

/// A user id from a link: anything but a UUID is the same answer as a wrong token.
fn link_user(raw: &str, what: &str) -> ApiResult<UserId> {
    UserId::parse(raw.trim()).map_err(|_| ApiError::BadRequest(format!("The {what} link is invalid or has expired")))
}

/// `POST /users/v1/activate/code` `{userId, token, code, password?}`: like `activate`, with the emailed code too.
async fn activate_user_with_code(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<ActivateUserWithCodeRequest>,
) -> ApiResult<Response> {
    let identifier = format!("activate:{}", body.user_id.trim());
    state.throttle.admit(ip, &identifier)?;
    let user = link_user(&body.user_id, "activation")?;
    let activation = state.services.activation();
    let result = activation.activate_with_code(user, &body.token, &body.code, body.password.as_deref()).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    Ok(login_response(&state, StatusCode::OK, &result?))
}

/// `POST /users/v1/invitation/accept/code` `{userId, token, code}`: like `invitation/accept`, with the emailed
/// code too (200, no body).
async fn accept_invitation_with_code(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<AcceptInvitationWithCodeRequest>,
) -> ApiResult<StatusCode> {
    let identifier = format!("invitation:{}", body.user_id.trim());
    state.throttle.admit(ip, &identifier)?;
    let user = link_user(&body.user_id, "invitation")?;
    let result = state.services.activation().accept_invitation_with_code(user, &body.token, &body.code).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::OK)
}

/// `POST /users/v1/invitation/reset/all` `{email}` (environment): a new invitation email for every tenant the user
/// is still invited to (200); 404 when there is none.
async fn reset_all_invitations(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiJson(body): ApiJson<ResetAllInvitationsRequest>,
) -> ApiResult<StatusCode> {
    state.services.activation().resend_all_invitations(&env, &body.email).await?;
    Ok(StatusCode::OK)
}
