//! SSO sign-in (the browser SDK's calls, in no spec file): the prelogin that finds the user's IdP, the SAML
//! assertion consumer at `/auth/saml/callback` (the IdP's POST: refresh cookie, then a redirect to the app's
//! `/account/saml/callback`) and its API form `auth/v1/user/saml/postlogin` (the login body). The rules are
//! `yolk_core::sso_login`'s.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use yolk_api_types::sso_login::{OidcPostloginRequest, SamlPostloginRequest, SsoPreloginRequest, SsoPreloginResponse};
use yolk_core::mfa::LoginOutcome;
use yolk_store::sso::SsoKind;

use super::auth::set_refresh_cookie;
use super::mfa::login_response;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;

/// The identity-service routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/auth/v2/user/sso/prelogin", post(prelogin))
        .route("/resources/auth/v1/user/saml/prelogin", post(prelogin))
        .route("/resources/auth/v1/user/saml/postlogin", post(saml_postlogin))
        .route("/resources/auth/v2/user/oidc/postlogin", post(oidc_postlogin))
        .route("/resources/auth/v1/user/oidc/postlogin", post(oidc_postlogin))
}

/// The assertion consumer service, at the root (`acsUrl` = `<public url>/auth/saml/callback`).
pub fn acs_router() -> Router<AppState> {
    Router::new().route("/auth/saml/callback", post(saml_callback))
}

/// `{address, idpType}` for an address under SSO; 404 otherwise (the login box then asks for the password).
async fn prelogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<SsoPreloginRequest>,
) -> ApiResult<Json<SsoPreloginResponse>> {
    let email = body.email.or(body.username).unwrap_or_default();
    if email.trim().is_empty() {
        return Err(ApiError::BadRequest("email is required".into()));
    }
    state.throttle.admit(ip, "sso-prelogin")?;
    match state.services.sso_logins().prelogin(&email, body.tenant_id.as_ref()).await? {
        Some(p) => Ok(Json(SsoPreloginResponse {
            address: p.address,
            idp_type: match p.idp_type {
                SsoKind::Saml => "saml",
                SsoKind::Oidc => "oidc",
            }
            .into(),
        })),
        None => Err(ApiError::NotFound("SSO is not configured for this address".into())),
    }
}

/// The app posts the IdP's answer: the login body and the refresh cookie (or the MFA branch).
async fn saml_postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<SamlPostloginRequest>,
) -> ApiResult<Response> {
    state.throttle.admit(ip, "saml-acs")?;
    let saml = body.saml_response.ok_or_else(|| ApiError::BadRequest("SAMLResponse is required".into()))?;
    let sign_on = state.services.sso_logins().saml_callback(&saml, body.relay_state.as_deref()).await?;
    Ok(login_response(&state, StatusCode::OK, &sign_on.outcome))
}

/// The app posts the OIDC IdP's `code` with the login's state (`RelayState` in v2, `state` in v1): the login body
/// and the refresh cookie (or the MFA branch).
async fn oidc_postlogin(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<OidcPostloginRequest>,
) -> ApiResult<Response> {
    state.throttle.admit(ip, "oidc-postlogin")?;
    let code = body.code.unwrap_or_default();
    let login_state = body.relay_state.or(body.state).unwrap_or_default();
    let sign_on = state.services.sso_logins().oidc_callback(&code, &login_state).await?;
    Ok(login_response(&state, StatusCode::OK, &sign_on.outcome))
}

/// The IdP's POST binding: on success the refresh cookie and a 302 to the app's `/account/saml/callback`, where
/// the SDK refreshes; a sign-on that needs a second factor goes to the app's login page instead.
async fn saml_callback(State(state): State<AppState>, ClientAddr(ip): ClientAddr, body: Bytes) -> ApiResult<Response> {
    state.throttle.admit(ip, "saml-acs")?;
    let form: SamlPostloginRequest = serde_urlencoded::from_bytes(&body)
        .map_err(|_| ApiError::BadRequest("Expected a form with SAMLResponse and RelayState".into()))?;
    let saml = form.saml_response.ok_or_else(|| ApiError::BadRequest("SAMLResponse is required".into()))?;
    let sign_on = state.services.sso_logins().saml_callback(&saml, form.relay_state.as_deref()).await?;
    let app = state.config.app_url();
    let (target, issued) = match &sign_on.outcome {
        LoginOutcome::Session(issued) => (format!("{app}/account/saml/callback"), Some(issued)),
        _ => (format!("{app}/account/login"), None),
    };
    let mut response = StatusCode::FOUND.into_response();
    if let Some(issued) = issued {
        set_refresh_cookie(&state, &mut response, issued);
    }
    if let Ok(v) = HeaderValue::from_str(&target) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}
