//! Extractors. Authorization shows in a handler's signature: [`VendorAuth`] (environment token only),
//! [`UserContext`] (self-service: a user token, or an environment token naming the user in headers) and
//! [`TenantScope`] (management that a tenant admin may also do with a user token). Our own [`ApiJson`],
//! [`ApiQuery`] and [`ApiPath`] render extractor rejections as `{"errors":[...]}`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use yolk_core::tokens::{UserClaims, VerifiedToken};

use crate::error::ApiError;
use crate::state::AppState;

/// The message Frontegg gives for anything but a valid environment token on a management route.
pub const VENDOR_JWT_ERROR: &str = "Failed to verify vendor JWT";

/// A JSON body; rejections become 400 (or 413 for an oversize body) with a clear message.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(r: &JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge("Request body is too large".into());
    }
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::BadRequest("Expected a JSON body (Content-Type: application/json)".into())
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest("Malformed JSON body".into()),
        JsonRejection::JsonDataError(e) => ApiError::BadRequest(data_error_message(&e.body_text())),
        _ => ApiError::BadRequest(r.body_text()),
    }
}

/// serde's message names the field and the expectation; keep that part, drop the byte position.
fn data_error_message(text: &str) -> String {
    let text = text.strip_prefix("Failed to deserialize the JSON body into the target type: ").unwrap_or(text);
    let text = text.split(" at line ").next().unwrap_or(text);
    format!("Invalid body: {text}")
}

/// Query parameters; a rejection is a 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::BadRequest(format!("Invalid query: {}", e.body_text())))
    }
}

/// Path parameters; a rejection (say, a malformed UUID) is a 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| ApiError::BadRequest(format!("Invalid path parameter: {}", e.body_text())))
    }
}

/// Parses a UUID from a path or body value with a 400 naming the field.
pub fn parse_uuid(value: &str, field: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value).map_err(|_| ApiError::BadRequest(format!("{field} must be a UUID")))
}

/// The bearer token of a request: `x-access-token`, else `Authorization: Bearer`.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    if let Some(t) = parts.headers.get("x-access-token").and_then(|v| v.to_str().ok()) {
        return Some(t.trim());
    }
    let auth = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// A caller holding a valid environment token (Management APIs).
#[derive(Debug, Clone)]
pub struct VendorAuth;

impl FromRequestParts<AppState> for VendorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(|| ApiError::Unauthorized(VENDOR_JWT_ERROR.into()))?;
        state.tokens.verify_vendor_token(token).map_err(|_| ApiError::Unauthorized(VENDOR_JWT_ERROR.into()))?;
        Ok(Self)
    }
}

/// The user a self-service call acts as, and the tenant it acts in.
#[derive(Debug, Clone)]
pub struct UserContext {
    pub user_id: Uuid,
    pub tenant_id: String,
    /// The verified claims when the caller used a user token.
    pub claims: Option<UserClaims>,
}

impl UserContext {
    /// The session id of the user token, if any.
    pub fn session_id(&self) -> Option<Uuid> {
        self.claims.as_ref().and_then(|c| Uuid::parse_str(&c.sid).ok())
    }
}

impl FromRequestParts<AppState> for UserContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(|| ApiError::Unauthorized("Unauthorized".into()))?;
        let claims = match state.tokens.verify_any(token)? {
            VerifiedToken::User(claims) => *claims,
            VerifiedToken::Vendor(_) => return Self::for_named_user(parts, state).await,
        };
        let user_id = parse_uuid(&claims.sub, "sub").map_err(|_| ApiError::Unauthorized("Unauthorized".into()))?;
        Ok(Self { user_id, tenant_id: claims.tenant_id.clone(), claims: Some(claims) })
    }
}

impl UserContext {
    /// The user an environment token names in `frontegg-user-id`, acting in `frontegg-tenant-id` (which must be
    /// an enabled membership) or else in the user's active tenant.
    async fn for_named_user(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        let user_id = header(parts, "frontegg-user-id")
            .ok_or_else(|| ApiError::BadRequest("frontegg-user-id header is required".into()))?;
        let user_id = parse_uuid(user_id, "frontegg-user-id")?;
        let user = state.store.get_user(user_id).await?;
        let memberships = state.store.memberships(&[user_id]).await?.remove(&user_id).unwrap_or_default();
        let tenant_id = match header(parts, "frontegg-tenant-id") {
            Some(t) => match memberships.iter().find(|m| m.tenant_id == t) {
                Some(m) if m.disabled => {
                    return Err(ApiError::Forbidden("User is disabled in this tenant".into()));
                }
                Some(_) => t.to_owned(),
                None => return Err(ApiError::NotFound("User is not a member of this tenant".into())),
            },
            None => yolk_core::auth::active_tenant(&user, &memberships)
                .ok_or_else(|| ApiError::BadRequest("frontegg-tenant-id header is required".into()))?,
        };
        Ok(Self { user_id, tenant_id, claims: None })
    }
}

/// Who acts on a tenant-scoped management route.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The environment (full rights).
    Vendor,
    /// A tenant member, with the permission keys of its token.
    User { user_id: Uuid, permissions: Vec<String> },
}

/// A tenant-scoped management call: the environment (tenant from `frontegg-tenant-id`, optional) or a user
/// token (tenant from its claims; the header cannot widen it).
#[derive(Debug, Clone)]
pub struct TenantScope {
    pub tenant_id: Option<String>,
    pub actor: Actor,
}

impl TenantScope {
    /// The tenant in scope, or a 400 saying the header is missing.
    pub fn tenant(&self) -> Result<&str, ApiError> {
        self.tenant_id.as_deref().ok_or_else(|| ApiError::BadRequest("frontegg-tenant-id header is required".into()))
    }

    /// Requires a permission of a user caller (the environment holds all). Call it first in the handler.
    pub fn require(&self, permission: &str) -> Result<(), ApiError> {
        match &self.actor {
            Actor::Vendor => Ok(()),
            Actor::User { permissions, .. } if permissions.iter().any(|p| p == permission) => Ok(()),
            Actor::User { .. } => Err(ApiError::Forbidden(format!("Missing permission {permission}"))),
        }
    }
}

impl FromRequestParts<AppState> for TenantScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(|| ApiError::Unauthorized("Unauthorized".into()))?;
        let claims = match state.tokens.verify_any(token)? {
            VerifiedToken::User(claims) => *claims,
            VerifiedToken::Vendor(_) => {
                return Ok(Self {
                    tenant_id: header(parts, "frontegg-tenant-id").map(str::to_owned),
                    actor: Actor::Vendor,
                });
            }
        };
        let user_id = parse_uuid(&claims.sub, "sub").map_err(|_| ApiError::Unauthorized("Unauthorized".into()))?;
        if let Some(h) = header(parts, "frontegg-tenant-id")
            && h != claims.tenant_id
        {
            return Err(ApiError::Forbidden("Token is not valid for this tenant".into()));
        }
        Ok(Self { tenant_id: Some(claims.tenant_id), actor: Actor::User { user_id, permissions: claims.permissions } })
    }
}
