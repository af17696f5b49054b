//! team/sso.json wire shapes. Request bodies are the spec's (`CreateSSOConfigurationRequestDto` is also the
//! PATCH body: every field optional, as the SDK's `Partial<...>`); responses are `@frontegg/rest-api`'s types (the
//! spec leaves every SSO response undocumented).

use serde::{Deserialize, Serialize};
use yolk_domain::RoleId;

/// `CreateSSOConfigurationRequestDto` (create and PATCH).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoConfigurationRequest {
    pub enabled: Option<bool>,
    pub sso_endpoint: Option<String>,
    pub public_certificate: Option<String>,
    pub sign_request: Option<bool>,
    pub acs_url: Option<String>,
    pub sp_entity_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_secret: Option<String>,
    pub config_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub override_active_tenant: Option<bool>,
    pub sub_account_access_limit: Option<f64>,
    pub idp_client_id: Option<String>,
    pub idp_client_secret: Option<String>,
}

/// `UpdateSSOConfigurationByMetadataRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoMetadataRequest {
    pub metadata: String,
}

/// The SDK's `{url, configMetadata?}` (`.../metadata-url`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoMetadataUrlRequest {
    pub url: String,
    pub config_metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `CreateSSODomainRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoDomainRequest {
    pub domain: String,
}

/// `SetSSODefaultRoles`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoRolesRequest {
    pub role_ids: Vec<RoleId>,
}

/// `CreateSSOGroupRequestDto` / `UpdateSSOGroupRequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoGroupRequest {
    pub group: String,
    pub role_ids: Vec<RoleId>,
}

/// `ExcludeEmailFromSSORequestDto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoExcludedEmailRequest {
    pub email: String,
}

/// `ISSODomain`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoDomainDto {
    pub id: String,
    pub domain: String,
    pub validated: bool,
    pub txt_record: String,
}

/// A group mapping: `{id, group, roleIds}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoGroupDto {
    pub id: String,
    pub group: String,
    pub role_ids: Vec<String>,
}

/// `ISSOConfiguration`. `oidcSecret` is answered (Frontegg does; the tenant admin who set it reads it back);
/// `idpClientSecret` never is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoConfigurationDto {
    pub id: String,
    pub enabled: bool,
    pub generated_verification: String,
    pub sso_endpoint: String,
    pub public_certificate: String,
    pub sign_request: bool,
    pub created_at: String,
    pub updated_at: String,
    pub acs_url: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub sp_entity_id: String,
    pub oidc_client_id: String,
    pub oidc_secret: String,
    pub config_metadata: serde_json::Value,
    pub override_active_tenant: bool,
    pub sub_account_access_limit: i64,
    pub idp_client_id: String,
    pub domains: Vec<SsoDomainDto>,
    pub role_ids: Vec<String>,
    pub groups: Vec<SsoGroupDto>,
    pub skip_email_domain_validation: bool,
}

/// An excluded email.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoExcludedEmailDto {
    pub email: String,
    pub created_at: String,
}

/// `vendor-config`: the SAML service provider's settings in force.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SamlVendorConfigDto {
    pub acs_url: String,
    pub sp_entity_id: String,
}

/// The legacy single-SAML API's body (`POST /resources/sso/v1/saml/configurations`): a configuration and its
/// domain.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacySamlRequest {
    #[serde(flatten)]
    pub config: SsoConfigurationRequest,
    pub domain: Option<String>,
}
