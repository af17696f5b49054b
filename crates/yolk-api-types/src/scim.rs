//! SCIM configurations (`/directory/resources/v1/configurations/scim2`, scim.json) and the SDK's user count. The
//! SCIM 2.0 protocol's own resources (RFC 7643) are JSON the service reads and the server renders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use yolk_domain::time::rfc3339_millis;

/// `Scim2CreateConnectionConfigRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateScimConnectionRequest {
    /// `frontegg`, `okta`, `azure-ad` or `other`.
    pub source: String,
    pub connection_name: Option<String>,
    pub sync_to_user_management: Option<bool>,
}

/// `Scim2PatchConnectionConfigRequest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchScimConnectionRequest {
    pub sync_to_user_management: bool,
}

/// The optional body of a delete: `{deleteAll}` (also accepted as a query parameter).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteScimConnectionRequest {
    pub delete_all: Option<bool>,
}

/// `Scim2ConnectionConfigResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimConnectionDto {
    pub id: String,
    pub tenant_id: String,
    pub connection_name: String,
    pub source: String,
    pub sync_to_user_management: bool,
    /// RFC 3339 (`yolk_domain::time::rfc3339`), or `null` before the first sync.
    pub last_sync: Option<String>,
    #[serde(with = "rfc3339_millis")]
    pub created_at: DateTime<Utc>,
}

/// `Scim2CreateConnectionConfigResponse`: the bearer token, shown this once.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimConnectionCreatedDto {
    pub id: String,
    pub connection_name: String,
    pub token: String,
}

/// `GET /directory/resources/scim/temp/{id}/Users/count`.
#[derive(Debug, Clone, Serialize)]
pub struct ScimUsersCountDto {
    pub count: u64,
}
