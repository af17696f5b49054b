//! Extractors. Authorization shows in a handler's signature: [`VendorAuth`] (environment token only),
//! [`UserContext`] (self-service: a user token, or an environment token naming the user in headers) and
//! [`TenantScope`] (management that a tenant admin may also do with a user token). Each wraps the proof
//! `yolk_core::access` hands out, which the service methods take. Our own [`ApiJson`], [`ApiQuery`] and
//! [`ApiPath`] render extractor rejections as `{"errors":[...]}`, and [`ApiPath`] parses typed ids.

use std::ops::Deref;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use yolk_core::access;
use yolk_domain::{CategoryId, PermissionId, PhoneNumberId, RoleId, TenantId, UserEmailId, UserId};
use yolk_domain::{SsoConfigurationId, SsoDomainId, SsoGroupId};

use crate::error::ApiError;
use crate::state::AppState;

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

/// One path (or header) parameter, parsed from its (percent-decoded) text; `name` is the route's spelling, for the
/// message.
pub trait PathParam: Sized {
    fn parse(name: &str, value: &str) -> Result<Self, ApiError>;
}

macro_rules! typed_path_params {
    ($($t:ty),*) => {$(
        impl PathParam for $t {
            fn parse(name: &str, value: &str) -> Result<Self, ApiError> {
                <$t>::parse(value).map_err(|e| ApiError::BadRequest(format!("{name} {}", e.expectation())))
            }
        }
    )*};
}

typed_path_params!(UserId, RoleId, PermissionId, CategoryId, TenantId, UserEmailId, PhoneNumberId);
typed_path_params!(SsoConfigurationId, SsoDomainId, SsoGroupId);

impl PathParam for String {
    fn parse(_: &str, value: &str) -> Result<Self, ApiError> {
        Ok(value.to_owned())
    }
}

/// The path parameters of a route, in order: one typed value, or a tuple of them.
pub trait FromPathParams: Sized {
    fn from_params(params: &[(&str, &str)]) -> Result<Self, ApiError>;
}

fn param<T: PathParam>(params: &[(&str, &str)], i: usize) -> Result<T, ApiError> {
    let (name, value) = params.get(i).ok_or_else(|| ApiError::Internal("route has fewer path parameters".into()))?;
    T::parse(name, value)
}

impl<T: PathParam> FromPathParams for T {
    fn from_params(params: &[(&str, &str)]) -> Result<Self, ApiError> {
        param(params, 0)
    }
}

impl<A: PathParam, B: PathParam> FromPathParams for (A, B) {
    fn from_params(params: &[(&str, &str)]) -> Result<Self, ApiError> {
        Ok((param(params, 0)?, param(params, 1)?))
    }
}

/// Path parameters as typed values (`ApiPath<UserId>`, `ApiPath<(TenantId, String)>`); a malformed one is a 400
/// naming the parameter (`userId must be a UUID`).
pub struct ApiPath<T>(pub T);

impl<T: FromPathParams, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("Invalid path parameter: {}", e.body_text())))?;
        let params: Vec<(&str, &str)> = raw.iter().collect();
        T::from_params(&params).map(Self)
    }
}

/// The extractors below wrap a proof; they read as the proof itself.
macro_rules! derefs_to_proof {
    ($($wrapper:ident => $proof:ty),*) => {$(
        impl Deref for $wrapper {
            type Target = $proof;
            fn deref(&self) -> &$proof {
                &self.0
            }
        }
    )*};
}

derefs_to_proof!(VendorAuth => access::Environment, UserContext => access::UserContext, TenantScope => access::TenantScope);

/// The bearer token of a request: `x-access-token`, else `Authorization: Bearer`.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(t) = header(headers, "x-access-token") {
        return Some(t);
    }
    let auth = header(headers, axum::http::header::AUTHORIZATION.as_str())?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of the first non-empty cookie whose name, compared by `matches`, is the one wanted.
pub fn cookie(headers: &HeaderMap, matches: impl Fn(&str) -> bool) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| matches(name) && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// A request header's value, trimmed; absent, empty or not text is `None`.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// A caller holding a valid environment token of the credential in force (Management APIs); anything else is 401
/// `Failed to verify vendor JWT`.
#[derive(Debug, Clone)]
pub struct VendorAuth(pub access::Environment);

impl FromRequestParts<AppState> for VendorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(state.services.gate.environment(bearer_token(&parts.headers)).await?))
    }
}

/// The optional `frontegg-tenant-id` header of an environment call: the tenant it addresses (400 if malformed).
pub struct TenantHeader(pub Option<TenantId>);

impl<S: Send + Sync> FromRequestParts<S> for TenantHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        header(&parts.headers, "frontegg-tenant-id")
            .map(|raw| <TenantId as PathParam>::parse("frontegg-tenant-id", raw))
            .transpose()
            .map(Self)
    }
}

/// The user a self-service call acts as, and the tenant it acts in.
#[derive(Debug, Clone)]
pub struct UserContext(pub access::UserContext);

impl FromRequestParts<AppState> for UserContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = state
            .services
            .gate
            .user_context(
                bearer_token(&parts.headers),
                header(&parts.headers, "frontegg-user-id"),
                header(&parts.headers, "frontegg-tenant-id"),
            )
            .await?;
        Ok(Self(ctx))
    }
}

/// A tenant-scoped management call: the environment (tenant from `frontegg-tenant-id`, optional) or a tenant
/// member (tenant from its token). `scope.require::<P>()?` is the handler's first statement.
#[derive(Debug, Clone)]
pub struct TenantScope(pub access::TenantScope);

impl FromRequestParts<AppState> for TenantScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let scope = state
            .services
            .gate
            .tenant_scope(bearer_token(&parts.headers), header(&parts.headers, "frontegg-tenant-id"))
            .await?;
        Ok(Self(scope))
    }
}

/// The client's address, when the server knows it (the serve loop attaches it to every request; an in-process
/// router called directly has none).
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Self(peer.map(|c| c.0.ip())))
    }
}
