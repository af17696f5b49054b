//! The SCIM 2.0 service (RFC 7644) at `/directory/resources/scim/v2`: the "Provisioning URL" an identity provider
//! is given, with a connection's token as its bearer token. It answers SCIM's own bodies (`application/scim+json`,
//! errors as `urn:ietf:params:scim:api:messages:2.0:Error`), not Frontegg's. The rules are `yolk_core::scim`'s.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};
use yolk_core::scim::{MAX_RESULTS, ScimClient, ScimError, ScimPage, ScimResource};

use crate::convert::scim::{scim_group_json, scim_user_json};
use crate::extract::{ApiPath, bearer_token};
use crate::state::AppState;

/// Where the service is mounted (under the `/directory` prefix).
const BASE: &str = "/directory/resources/scim/v2";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SCIM_JSON: &str = "application/scim+json";

/// SCIM protocol routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/scim/v2/ServiceProviderConfig", get(service_provider_config).fallback(method_not_allowed))
        .route("/resources/scim/v2/Schemas", get(schemas).fallback(method_not_allowed))
        .route("/resources/scim/v2/Schemas/{id}", get(schema).fallback(method_not_allowed))
        .route("/resources/scim/v2/ResourceTypes", get(resource_types).fallback(method_not_allowed))
        .route("/resources/scim/v2/ResourceTypes/{id}", get(resource_type).fallback(method_not_allowed))
        .route("/resources/scim/v2/Users", get(list_users).post(create_user).fallback(method_not_allowed))
        .route("/resources/scim/v2/Users/.search", post(search_users).fallback(method_not_allowed))
        .route(
            "/resources/scim/v2/Users/{id}",
            get(get_user).put(replace_user).patch(patch_user).delete(delete_user).fallback(method_not_allowed),
        )
        .route("/resources/scim/v2/Groups", get(list_groups).post(create_group).fallback(method_not_allowed))
        .route("/resources/scim/v2/Groups/.search", post(search_groups).fallback(method_not_allowed))
        .route(
            "/resources/scim/v2/Groups/{id}",
            get(get_group).put(replace_group).patch(patch_group).delete(delete_group).fallback(method_not_allowed),
        )
        .route("/resources/scim/v2/.search", post(search_all).fallback(method_not_allowed))
        .route("/resources/scim/v2", any(unknown_endpoint))
        .route("/resources/scim/v2/{*rest}", any(unknown_endpoint))
}

/// A method the endpoint does not support: 405 with a SCIM error.
async fn method_not_allowed() -> ScimApiError {
    ScimApiError(ScimError {
        status: 405,
        scim_type: None,
        detail: "Method not allowed".into(),
        retry_after_secs: None,
    })
}

/// `POST /.search`: every resource type at once (users, then groups).
async fn search_all(State(state): State<AppState>, ScimAuth(client): ScimAuth, body: Bytes) -> ScimResult<Response> {
    let p = search_params(&body)?;
    let ScimPage { items, total, start_index } = state
        .services
        .scim()
        .search_all(&client, p.get("filter").map(String::as_str), int_param(&p, "startIndex")?, int_param(&p, "count")?)
        .await?;
    let base = base_url(&state);
    let resources = items
        .iter()
        .map(|r| match r {
            ScimResource::User(u) => project(scim_user_json(u, &base), &p),
            ScimResource::Group(g) => project(scim_group_json(g, &base), &p),
        })
        .collect();
    Ok(list_response(total, start_index, resources))
}

/// A path under the service that names no endpoint: 404 with a SCIM error.
async fn unknown_endpoint() -> ScimApiError {
    ScimApiError(ScimError::not_found("No such SCIM endpoint"))
}

/// A SCIM error response.
pub struct ScimApiError(pub ScimError);

impl From<ScimError> for ScimApiError {
    fn from(e: ScimError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ScimApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let detail = if e.status >= 500 && e.status != 503 {
            tracing::error!(error = %e.detail, "internal error");
            "Internal server error".to_owned()
        } else {
            e.detail
        };
        let mut body = json!({"schemas": [ERROR_SCHEMA], "status": e.status.to_string(), "detail": detail});
        if let Some(t) = e.scim_type {
            body["scimType"] = Value::String(t.into());
        }
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = scim_json(status, &body);
        if let Some(secs) = e.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if e.status == 401 {
            // RFC 6750: the scheme the client must use.
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

type ScimResult<T> = Result<T, ScimApiError>;

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    r
}

/// A request carrying a live connection's bearer token; otherwise 401 with a SCIM error body.
pub struct ScimAuth(pub ScimClient);

impl FromRequestParts<AppState> for ScimAuth {
    type Rejection = ScimApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(state.services.scim().authenticate(bearer_token(&parts.headers)).await?))
    }
}

/// A JSON body (any content type: SCIM clients send `application/scim+json`); malformed JSON is `invalidSyntax`.
fn json_body(body: &Bytes) -> ScimResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ScimApiError(ScimError::bad_request("invalidSyntax", format!("The body is not valid JSON: {e}"))))
}

/// The service's public base URL (`meta.location`): the configured public URL, never the request's `Host`.
fn base_url(state: &AppState) -> String {
    format!("{}{BASE}", state.config.issuer().trim_end_matches('/'))
}

/// The query's parameters (a malformed query string is `invalidValue`).
fn params(
    q: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> ScimResult<HashMap<String, String>> {
    q.map(|Query(m)| m).map_err(|e| ScimApiError(ScimError::bad_request("invalidValue", e.body_text())))
}

fn int_param(p: &HashMap<String, String>, name: &str) -> ScimResult<Option<i64>> {
    p.get(name)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ScimApiError(ScimError::bad_request("invalidValue", format!("{name} must be an integer"))))
        })
        .transpose()
}

/// Applies `attributes` / `excludedAttributes` (top-level names, with or without the core schema's URN) to a
/// resource; `id` and `schemas` are always returned.
fn project(mut resource: Value, p: &HashMap<String, String>) -> Value {
    let names = |raw: &str| -> Vec<String> {
        raw.split(',')
            .map(|a| {
                let a = a.trim();
                let lower = a.to_ascii_lowercase();
                let a = ["urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"]
                    .iter()
                    .find(|u| lower.starts_with(*u))
                    .map_or(a, |u| &a[u.len()..]);
                a.split('.').next().unwrap_or(a).to_ascii_lowercase()
            })
            .filter(|a| !a.is_empty())
            .collect()
    };
    let Some(obj) = resource.as_object_mut() else { return resource };
    if let Some(keep) = p.get("attributes").map(|a| names(a)).filter(|k| !k.is_empty()) {
        obj.retain(|k, _| k == "id" || k == "schemas" || keep.contains(&k.to_ascii_lowercase()));
    }
    if let Some(drop) = p.get("excludedAttributes").map(|a| names(a)) {
        obj.retain(|k, _| k == "id" || k == "schemas" || !drop.contains(&k.to_ascii_lowercase()));
    }
    resource
}

fn list_response(page_total: u64, start_index: u64, resources: Vec<Value>) -> Response {
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": page_total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    scim_json(StatusCode::OK, &body)
}

fn created(resource: Value) -> Response {
    let location = resource["meta"]["location"].as_str().map(str::to_owned);
    let mut r = scim_json(StatusCode::CREATED, &resource);
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}

// ----- Users -----

/// `GET /Users`.
pub async fn list_users(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    q: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> ScimResult<Response> {
    let p = params(q)?;
    let ScimPage { items, total, start_index } = state
        .services
        .scim()
        .list_users(&client, p.get("filter").map(String::as_str), int_param(&p, "startIndex")?, int_param(&p, "count")?)
        .await?;
    let base = base_url(&state);
    Ok(list_response(total, start_index, items.iter().map(|u| project(scim_user_json(u, &base), &p)).collect()))
}

/// `POST /Users` → 201.
pub async fn create_user(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    body: Bytes,
) -> ScimResult<Response> {
    let u = state.services.scim().create_user(&client, &json_body(&body)?).await?;
    Ok(created(scim_user_json(&u, &base_url(&state))))
}

/// `GET /Users/{id}`.
pub async fn get_user(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
    q: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> ScimResult<Response> {
    let p = params(q)?;
    let u = state.services.scim().get_user(&client, &id).await?;
    Ok(scim_json(StatusCode::OK, &project(scim_user_json(&u, &base_url(&state)), &p)))
}

/// `PUT /Users/{id}`.
pub async fn replace_user(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let u = state.services.scim().replace_user(&client, &id, &json_body(&body)?).await?;
    Ok(scim_json(StatusCode::OK, &scim_user_json(&u, &base_url(&state))))
}

/// `PATCH /Users/{id}` → 200 with the resource.
pub async fn patch_user(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let u = state.services.scim().patch_user(&client, &id, &json_body(&body)?).await?;
    Ok(scim_json(StatusCode::OK, &scim_user_json(&u, &base_url(&state))))
}

/// `DELETE /Users/{id}` → 204.
pub async fn delete_user(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
) -> ScimResult<StatusCode> {
    state.services.scim().delete_user(&client, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A `SearchRequest` body (RFC 7644 §3.4.3) as the query parameters a `GET` list takes.
fn search_params(body: &Bytes) -> ScimResult<HashMap<String, String>> {
    let v = json_body(body)?;
    let Value::Object(m) = v else {
        return Err(ScimApiError(ScimError::bad_request("invalidSyntax", "The body must be a JSON object")));
    };
    let mut p = HashMap::new();
    for (k, v) in m {
        let text = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
            _ => continue,
        };
        p.insert(k, text);
    }
    Ok(p)
}

/// `POST /Users/.search`.
pub async fn search_users(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    body: Bytes,
) -> ScimResult<Response> {
    let p = search_params(&body)?;
    let ScimPage { items, total, start_index } = state
        .services
        .scim()
        .list_users(&client, p.get("filter").map(String::as_str), int_param(&p, "startIndex")?, int_param(&p, "count")?)
        .await?;
    let base = base_url(&state);
    Ok(list_response(total, start_index, items.iter().map(|u| project(scim_user_json(u, &base), &p)).collect()))
}

/// `POST /Groups/.search`.
pub async fn search_groups(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    body: Bytes,
) -> ScimResult<Response> {
    let p = search_params(&body)?;
    let ScimPage { items, total, start_index } = state
        .services
        .scim()
        .list_groups(
            &client,
            p.get("filter").map(String::as_str),
            int_param(&p, "startIndex")?,
            int_param(&p, "count")?,
        )
        .await?;
    let base = base_url(&state);
    Ok(list_response(total, start_index, items.iter().map(|g| project(scim_group_json(g, &base), &p)).collect()))
}

// ----- Groups -----

/// `GET /Groups`.
pub async fn list_groups(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    q: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> ScimResult<Response> {
    let p = params(q)?;
    let ScimPage { items, total, start_index } = state
        .services
        .scim()
        .list_groups(
            &client,
            p.get("filter").map(String::as_str),
            int_param(&p, "startIndex")?,
            int_param(&p, "count")?,
        )
        .await?;
    let base = base_url(&state);
    Ok(list_response(total, start_index, items.iter().map(|g| project(scim_group_json(g, &base), &p)).collect()))
}

/// `POST /Groups` → 201.
pub async fn create_group(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    body: Bytes,
) -> ScimResult<Response> {
    let g = state.services.scim().create_group(&client, &json_body(&body)?).await?;
    Ok(created(scim_group_json(&g, &base_url(&state))))
}

/// `GET /Groups/{id}`.
pub async fn get_group(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
    q: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> ScimResult<Response> {
    let p = params(q)?;
    let g = state.services.scim().get_group(&client, &id).await?;
    Ok(scim_json(StatusCode::OK, &project(scim_group_json(&g, &base_url(&state)), &p)))
}

/// `PUT /Groups/{id}`.
pub async fn replace_group(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let g = state.services.scim().replace_group(&client, &id, &json_body(&body)?).await?;
    Ok(scim_json(StatusCode::OK, &scim_group_json(&g, &base_url(&state))))
}

/// `PATCH /Groups/{id}` → 200 with the resource.
pub async fn patch_group(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let g = state.services.scim().patch_group(&client, &id, &json_body(&body)?).await?;
    Ok(scim_json(StatusCode::OK, &scim_group_json(&g, &base_url(&state))))
}

/// `DELETE /Groups/{id}` → 204.
pub async fn delete_group(
    State(state): State<AppState>,
    ScimAuth(client): ScimAuth,
    ApiPath(id): ApiPath<String>,
) -> ScimResult<StatusCode> {
    state.services.scim().delete_group(&client, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- discovery (RFC 7644 §4; no token needed) -----

/// `GET /ServiceProviderConfig`.
pub async fn service_provider_config() -> Response {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/yolk-identity/yolk",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The token of the tenant's SCIM configuration",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")},
    });
    scim_json(StatusCode::OK, &body)
}

fn attr(name: &str, kind: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Some(a), Value::Object(extra)) = (a.as_object_mut(), extra) {
        a.extend(extra);
    }
    a
}

fn user_schema() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": yolk_core::scim::resource::USER_SCHEMA,
        "name": "User",
        "description": "User Account",
        "attributes": [
            attr("userName", "string", json!({"required": true, "uniqueness": "server"})),
            attr("name", "complex", json!({"subAttributes": [
                attr("formatted", "string", json!({})),
                attr("familyName", "string", json!({})),
                attr("givenName", "string", json!({})),
            ]})),
            attr("displayName", "string", json!({})),
            attr("active", "boolean", json!({})),
            attr("emails", "complex", json!({"multiValued": true, "subAttributes": [
                attr("value", "string", json!({})),
                attr("type", "string", json!({"canonicalValues": ["work", "home", "other"]})),
                attr("primary", "boolean", json!({})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{}", yolk_core::scim::resource::USER_SCHEMA)},
    })
}

fn group_schema() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": yolk_core::scim::resource::GROUP_SCHEMA,
        "name": "Group",
        "description": "Group",
        "attributes": [
            attr("displayName", "string", json!({"required": true})),
            attr("members", "complex", json!({"multiValued": true, "subAttributes": [
                attr("value", "string", json!({"mutability": "immutable"})),
                attr("$ref", "reference", json!({"mutability": "immutable", "referenceTypes": ["User"]})),
                attr("type", "string", json!({"mutability": "immutable", "canonicalValues": ["User"]})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{}", yolk_core::scim::resource::GROUP_SCHEMA)},
    })
}

fn not_found() -> ScimApiError {
    ScimApiError(ScimError::not_found("Resource not found"))
}

/// `GET /Schemas`.
pub async fn schemas() -> Response {
    let all = vec![user_schema(), group_schema()];
    list_response(2, 1, all)
}

/// `GET /Schemas/{id}`.
pub async fn schema(ApiPath(id): ApiPath<String>) -> ScimResult<Response> {
    [user_schema(), group_schema()]
        .into_iter()
        .find(|s| s["id"].as_str() == Some(id.as_str()))
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(not_found)
}

fn resource_type_list() -> Vec<Value> {
    let rt = |id: &str, endpoint: &str, schema: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": id,
            "name": id,
            "endpoint": endpoint,
            "description": id,
            "schema": schema,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/{id}")},
        })
    };
    vec![
        rt("User", "/Users", yolk_core::scim::resource::USER_SCHEMA),
        rt("Group", "/Groups", yolk_core::scim::resource::GROUP_SCHEMA),
    ]
}

/// `GET /ResourceTypes`.
pub async fn resource_types() -> Response {
    list_response(2, 1, resource_type_list())
}

/// `GET /ResourceTypes/{id}`.
pub async fn resource_type(ApiPath(id): ApiPath<String>) -> ScimResult<Response> {
    resource_type_list()
        .into_iter()
        .find(|r| r["id"].as_str() == Some(id.as_str()))
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(not_found)
}
