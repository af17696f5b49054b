//! identity.json, User management / Users: activation links, invitation acceptance, and the links the environment
//! generates itself. The rules are `yolk_core::activation`'s.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use yolk_api_types::activation::{
    AcceptInvitationRequest, ActivateUserRequest, ActivationStrategyQuery, ActivationStrategyResponse,
    GeneratedLinkResponse, InvitationConfigurationResponse, ResetActivationRequest, ResetInvitationRequest,
};
use yolk_core::activation::GeneratedLink;
use yolk_domain::UserId;
use yolk_domain::fe_permissions::WriteUsers;
use yolk_domain::values::normalize_email;

use super::mfa::login_response;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, TenantScope, VendorAuth};
use crate::state::AppState;

/// Activation and invitation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/users/v1/activate", post(activate_user))
        .route("/resources/users/v1/activate/strategy", get(get_activation_strategy))
        .route("/resources/users/v1/activate/reset", post(reset_activation_token))
        .route("/resources/users/v1/invitation/accept", post(accept_invitation))
        .route("/resources/users/v1/invitation/reset", post(reset_invitation))
        .route("/resources/tenants/invites/v1/configuration", get(get_invitation_configuration))
        .route("/resources/users/v1/{userId}/links/generate-activation-token", post(generate_activation_link))
        .route("/resources/users/v1/{userId}/links/generate-password-reset-token", post(generate_password_reset_link))
}

/// A user id from a link: anything but a UUID is the same answer as a wrong token.
fn link_user(raw: &str, what: &str) -> ApiResult<UserId> {
    UserId::parse(raw.trim()).map_err(|_| ApiError::BadRequest(format!("The {what} link is invalid or has expired")))
}

/// Runs a token check counted against the client address and the link's user (rate limit), noting a failure.
fn throttled(state: &AppState, ip: Option<std::net::IpAddr>, kind: &str, user: &str) -> ApiResult<String> {
    let identifier = format!("{kind}:{}", user.trim());
    state.throttle.admit(ip, &identifier)?;
    Ok(identifier)
}

/// `GET /users/v1/activate/strategy?userId&token`: `{shouldSetPassword}`. A wrong token is a 400.
async fn get_activation_strategy(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiQuery(q): ApiQuery<ActivationStrategyQuery>,
) -> ApiResult<Json<ActivationStrategyResponse>> {
    let identifier = throttled(&state, ip, "activate", &q.user_id)?;
    let user = link_user(&q.user_id, "activation")?;
    let result = state.services.activation().activation_strategy(user, &q.token).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    Ok(Json(ActivationStrategyResponse { should_set_password: result? }))
}

/// `POST /users/v1/activate` `{userId, token, password?}`: verifies the user, sets the password, spends the token
/// and answers the login body with the refresh cookie (200). A wrong, spent or expired token is a 400.
async fn activate_user(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<ActivateUserRequest>,
) -> ApiResult<Response> {
    let identifier = throttled(&state, ip, "activate", &body.user_id)?;
    let user = link_user(&body.user_id, "activation")?;
    let result = state.services.activation().activate(user, &body.token, body.password.as_deref()).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    Ok(login_response(&state, StatusCode::OK, &result?))
}

/// `POST /users/v1/activate/reset` `{email}`: `201` with no body, the same for every address; an unverified user
/// with it gets a new activation link.
async fn reset_activation_token(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<ResetActivationRequest>,
) -> ApiResult<StatusCode> {
    state.throttle.admit(ip, &format!("activate-reset:{}", normalize_email(&body.email)))?;
    state.services.activation().resend_activation(&body.email)?;
    Ok(StatusCode::CREATED)
}

/// `POST /users/v1/invitation/accept` `{userId, token}`: lets the user into the invitation's tenant (`201`, no
/// body). A wrong, spent or expired token is a 400.
async fn accept_invitation(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<AcceptInvitationRequest>,
) -> ApiResult<StatusCode> {
    let identifier = throttled(&state, ip, "invitation", &body.user_id)?;
    let user = link_user(&body.user_id, "invitation")?;
    let result = state.services.activation().accept_invitation(user, &body.token).await;
    if result.is_err() {
        state.throttle.failed(&identifier);
    }
    result?;
    Ok(StatusCode::CREATED)
}

/// `POST /users/v1/invitation/reset` `{email}` (the environment or a tenant admin with `fe.secure.write.users`, in
/// the tenant in scope): emails a new invitation link to a pending member (`200`, no body); 404 when the address has
/// no pending invitation in that tenant.
async fn reset_invitation(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(body): ApiJson<ResetInvitationRequest>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<WriteUsers>()?;
    state.services.activation().resend_invitation(&permit, &body.email).await?;
    Ok(StatusCode::OK)
}

/// `GET /tenants/invites/v1/configuration` (the environment or a signed-in member): `{tenantInvitationsAllowed,
/// emailsEnabled}`.
async fn get_invitation_configuration(
    State(state): State<AppState>,
    _scope: TenantScope,
) -> ApiResult<Json<InvitationConfigurationResponse>> {
    let c = state.services.activation().tenant_invites_configuration().await?;
    Ok(Json(InvitationConfigurationResponse {
        tenant_invitations_allowed: c.tenant_invitations_allowed,
        emails_enabled: c.emails_enabled,
    }))
}

fn link_body(link: GeneratedLink) -> (StatusCode, Json<GeneratedLinkResponse>) {
    let body = GeneratedLinkResponse { link: link.link, token: link.token, user_id: link.user_id.to_string() };
    (StatusCode::CREATED, Json(body))
}

/// `POST /users/v1/{userId}/links/generate-activation-token` (environment): `{link, token, userId}`, no email.
async fn generate_activation_link(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(user): ApiPath<UserId>,
) -> ApiResult<(StatusCode, Json<GeneratedLinkResponse>)> {
    Ok(link_body(state.services.activation().generate_activation_link(&env, user).await?))
}

/// `POST /users/v1/{userId}/links/generate-password-reset-token` (environment): `{link, token, userId}`, no email.
async fn generate_password_reset_link(
    State(state): State<AppState>,
    VendorAuth(env): VendorAuth,
    ApiPath(user): ApiPath<UserId>,
) -> ApiResult<(StatusCode, Json<GeneratedLinkResponse>)> {
    Ok(link_body(state.services.activation().generate_password_reset_link(&env, user).await?))
}
