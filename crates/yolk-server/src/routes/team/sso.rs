//! team/sso.json: SSO configurations (per tenant: `fe.secure.read.samlConfig` / `fe.secure.write.samlConfig` for a
//! member, the environment with `frontegg-tenant-id`), the environment's SSO settings, excluded emails and the SAML
//! service provider; plus the SDK's calls outside the spec (`metadata-url`, the v1 `validate`). Rules live in
//! `yolk_core::sso`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};
use yolk_api_types::sso::{
    LegacySamlRequest, SamlVendorConfigDto, SsoConfigurationDto, SsoConfigurationRequest, SsoDomainDto,
    SsoDomainRequest, SsoExcludedEmailDto, SsoExcludedEmailRequest, SsoGroupDto, SsoGroupRequest, SsoMetadataRequest,
    SsoMetadataUrlRequest, SsoRolesRequest,
};
use yolk_domain::fe_permissions::{ReadSso, WriteSso};
use yolk_domain::settings::SettingsDocument;
use yolk_domain::sso_settings::{MultipleSsoPerDomain, OidcSettings, SsoDomainPolicy};
use yolk_domain::{SsoConfigurationId, SsoDomainId, SsoGroupId};

use crate::convert::{sso_configuration_dto, sso_domain_dto, sso_excluded_email_dto, sso_group_dto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, TenantScope, VendorAuth};
use crate::state::AppState;

const V1: &str = "/resources/sso/v1/configurations";

/// The SSO routes (paths relative to `/team`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/sso/v1/saml/configurations/vendor-config", get(get_vendor_config))
        .route("/resources/sso/v1/saml/configurations/sp-certificate", get(get_sp_certificate))
        .route("/resources/sso/v1/saml/configurations/sp-metadata", get(get_sp_metadata))
        .route(V1, post(create_configuration).get(get_configurations))
        .route(
            "/resources/sso/v1/configurations/{configurationId}",
            patch(update_configuration).delete(delete_configuration),
        )
        .route("/resources/sso/v1/configurations/metadata", post(create_configuration_by_metadata))
        .route("/resources/sso/v1/configurations/{configurationId}/metadata", put(update_configuration_by_metadata))
        .route("/resources/sso/v1/configurations/metadata-url", post(create_configuration_by_metadata_url))
        .route(
            "/resources/sso/v1/configurations/{configurationId}/metadata-url",
            put(update_configuration_by_metadata_url),
        )
        .route("/resources/sso/v1/configurations/{configurationId}/domains", post(create_domain))
        .route(
            "/resources/sso/v1/configurations/{configurationId}/domains/{domainId}",
            axum::routing::delete(delete_domain),
        )
        .route(
            "/resources/sso/v1/configurations/{configurationId}/domains/{domainId}/validate/email",
            put(validate_domain_by_email),
        )
        .route("/resources/sso/v2/configurations/{configurationId}/domains/{domainId}/validate", put(validate_domain))
        .route("/resources/sso/v1/configurations/{configurationId}/domains/{domainId}/validate", put(validate_domain))
        .route(
            "/resources/sso/v1/configurations/{configurationId}/roles",
            put(set_default_roles).get(get_default_roles),
        )
        .route("/resources/sso/v1/configurations/{configurationId}/groups", post(create_group).get(get_groups))
        .route(
            "/resources/sso/v1/configurations/{configurationId}/groups/{groupId}",
            patch(update_group).delete(delete_group),
        )
        .route("/resources/sso/v1/configurations/excluded-emails", post(create_excluded_email).get(get_excluded_emails))
        .route("/resources/sso/v1/configurations/excluded-emails/{email}", axum::routing::delete(delete_excluded_email))
        .route("/resources/sso/v1/configurations/domains/{domain}/force-validate", put(force_validate_domain))
        .route(
            "/resources/sso/v1/configurations/multiple-sso-per-domain",
            get(get_multiple_sso_per_domain).put(put_multiple_sso_per_domain),
        )
        .route("/resources/sso/v1/configurations/domains", put(put_domain_policy).get(get_domain_policy))
        .route("/resources/sso/v1/oidc/configurations", get(get_oidc_settings).post(put_oidc_settings))
        // The SDK's legacy single-SAML API: the tenant's oldest SAML configuration.
        .route("/resources/sso/v1/saml/configurations", get(get_legacy_saml).post(save_legacy_saml))
        .route("/resources/sso/v1/saml/configurations/metadata", put(put_legacy_saml_metadata))
        .route("/resources/sso/v1/saml/validations/domain", put(validate_legacy_saml_domain))
        .route("/resources/sso/v1/saml/configurations/roles/default", get(get_legacy_roles).post(set_legacy_roles))
        .route("/resources/sso/v2/saml/configurations/groups", get(get_legacy_groups).post(create_legacy_group))
        .route(
            "/resources/sso/v2/saml/configurations/groups/{groupId}",
            patch(update_legacy_group).delete(delete_legacy_group),
        )
}

/// The SAML SP settings in force: `{acsUrl, spEntityId}`. A member needs `fe.secure.read.samlConfig`.
async fn get_vendor_config(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<SamlVendorConfigDto>> {
    scope.require::<ReadSso>()?;
    let (acs_url, sp_entity_id) = state.services.sso().saml_sp_settings().await?;
    Ok(Json(SamlVendorConfigDto { acs_url, sp_entity_id }))
}

/// The SP signing certificate: `{certificate}` (PEM).
async fn get_sp_certificate(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let permit = scope.require::<ReadSso>()?;
    Ok(Json(json!({"certificate": state.services.sso().sp_certificate(&permit).await?})))
}

/// The SP metadata XML for the tenant (`application/xml`).
async fn get_sp_metadata(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Response> {
    let permit = scope.require::<ReadSso>()?;
    let xml = state.services.sso().sp_metadata(&permit).await?;
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response())
}

type Created<T> = (StatusCode, Json<T>);

/// Creates a configuration (201).
async fn create_configuration(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoConfigurationRequest>,
) -> ApiResult<Created<SsoConfigurationDto>> {
    let permit = scope.require::<WriteSso>()?;
    let c = state.services.sso().create(&permit, body).await?;
    Ok((StatusCode::CREATED, Json(sso_configuration_dto(&c))))
}

/// The tenant's configurations.
async fn get_configurations(
    scope: TenantScope,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<SsoConfigurationDto>>> {
    let permit = scope.require::<ReadSso>()?;
    let list = state.services.sso().configurations(&permit).await?;
    Ok(Json(list.iter().map(sso_configuration_dto).collect()))
}

/// Changes the fields present in the body.
async fn update_configuration(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
    ApiJson(body): ApiJson<SsoConfigurationRequest>,
) -> ApiResult<Json<SsoConfigurationDto>> {
    let permit = scope.require::<WriteSso>()?;
    Ok(Json(sso_configuration_dto(&state.services.sso().update(&permit, id, body).await?)))
}

/// Deletes a configuration with its domains, roles and groups.
async fn delete_configuration(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<WriteSso>()?;
    state.services.sso().delete(&permit, id).await?;
    Ok(StatusCode::OK)
}

/// Creates a SAML configuration from IdP metadata XML (201).
async fn create_configuration_by_metadata(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoMetadataRequest>,
) -> ApiResult<Created<SsoConfigurationDto>> {
    let permit = scope.require::<WriteSso>()?;
    let c = state.services.sso().create_from_metadata(&permit, &body.metadata).await?;
    Ok((StatusCode::CREATED, Json(sso_configuration_dto(&c))))
}

/// Replaces a configuration's IdP settings from metadata XML.
async fn update_configuration_by_metadata(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
    ApiJson(body): ApiJson<SsoMetadataRequest>,
) -> ApiResult<Json<SsoConfigurationDto>> {
    let permit = scope.require::<WriteSso>()?;
    Ok(Json(sso_configuration_dto(&state.services.sso().update_from_metadata(&permit, id, &body.metadata).await?)))
}

/// SDK: creates a SAML configuration from the metadata at `url` (201).
async fn create_configuration_by_metadata_url(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoMetadataUrlRequest>,
) -> ApiResult<Created<SsoConfigurationDto>> {
    let permit = scope.require::<WriteSso>()?;
    let c = state.services.sso().create_from_metadata_url(&permit, &body.url, body.config_metadata).await?;
    Ok((StatusCode::CREATED, Json(sso_configuration_dto(&c))))
}

/// SDK: replaces a configuration's IdP settings from the metadata at `url`.
async fn update_configuration_by_metadata_url(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
    ApiJson(body): ApiJson<SsoMetadataUrlRequest>,
) -> ApiResult<Json<SsoConfigurationDto>> {
    let permit = scope.require::<WriteSso>()?;
    let c = state.services.sso().update_from_metadata_url(&permit, id, &body.url, body.config_metadata).await?;
    Ok(Json(sso_configuration_dto(&c)))
}

/// Adds a domain (201).
async fn create_domain(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
    ApiJson(body): ApiJson<SsoDomainRequest>,
) -> ApiResult<Created<SsoDomainDto>> {
    let permit = scope.require::<WriteSso>()?;
    let d = state.services.sso().add_domain(&permit, id, &body.domain).await?;
    Ok((StatusCode::CREATED, Json(sso_domain_dto(&d))))
}

/// Deletes a domain.
async fn delete_domain(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath((id, domain)): ApiPath<(SsoConfigurationId, SsoDomainId)>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<WriteSso>()?;
    state.services.sso().delete_domain(&permit, id, domain).await?;
    Ok(StatusCode::OK)
}

/// Validates a domain by the caller's own verified email address.
async fn validate_domain_by_email(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath((id, domain)): ApiPath<(SsoConfigurationId, SsoDomainId)>,
) -> ApiResult<Json<SsoDomainDto>> {
    let permit = scope.require::<WriteSso>()?;
    Ok(Json(sso_domain_dto(&state.services.sso().validate_domain_email(&permit, id, domain).await?)))
}

/// Validates a domain by its DNS TXT record (v2; the SDK also calls the v1 path).
async fn validate_domain(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath((id, domain)): ApiPath<(SsoConfigurationId, SsoDomainId)>,
) -> ApiResult<Json<SsoDomainDto>> {
    let permit = scope.require::<WriteSso>()?;
    Ok(Json(sso_domain_dto(&state.services.sso().validate_domain_dns(&permit, id, domain).await?)))
}

/// Replaces the default roles (201): `{roleIds}`.
async fn set_default_roles(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
    ApiJson(body): ApiJson<SsoRolesRequest>,
) -> ApiResult<Created<Value>> {
    let permit = scope.require::<WriteSso>()?;
    let roles = state.services.sso().set_default_roles(&permit, id, &body.role_ids).await?;
    let ids: Vec<String> = roles.iter().map(ToString::to_string).collect();
    Ok((StatusCode::CREATED, Json(json!({"roleIds": ids}))))
}

/// The default roles: `{roleIds}`.
async fn get_default_roles(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
) -> ApiResult<Json<Value>> {
    let permit = scope.require::<ReadSso>()?;
    let roles = state.services.sso().default_roles(&permit, id).await?;
    let ids: Vec<String> = roles.iter().map(ToString::to_string).collect();
    Ok(Json(json!({"roleIds": ids})))
}

/// Maps an IdP group to roles (201).
async fn create_group(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
    ApiJson(body): ApiJson<SsoGroupRequest>,
) -> ApiResult<Created<SsoGroupDto>> {
    let permit = scope.require::<WriteSso>()?;
    let g = state.services.sso().add_group(&permit, id, body).await?;
    Ok((StatusCode::CREATED, Json(sso_group_dto(&g))))
}

/// The group mappings.
async fn get_groups(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SsoConfigurationId>,
) -> ApiResult<Json<Vec<SsoGroupDto>>> {
    let permit = scope.require::<ReadSso>()?;
    Ok(Json(state.services.sso().groups(&permit, id).await?.iter().map(sso_group_dto).collect()))
}

/// Replaces a group mapping.
async fn update_group(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath((id, group)): ApiPath<(SsoConfigurationId, SsoGroupId)>,
    ApiJson(body): ApiJson<SsoGroupRequest>,
) -> ApiResult<Json<SsoGroupDto>> {
    let permit = scope.require::<WriteSso>()?;
    Ok(Json(sso_group_dto(&state.services.sso().update_group(&permit, id, group, body).await?)))
}

/// Deletes a group mapping.
async fn delete_group(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath((id, group)): ApiPath<(SsoConfigurationId, SsoGroupId)>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<WriteSso>()?;
    state.services.sso().delete_group(&permit, id, group).await?;
    Ok(StatusCode::OK)
}

/// Exempts an address from SSO enforcement (201, environment).
async fn create_excluded_email(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoExcludedEmailRequest>,
) -> ApiResult<Created<SsoExcludedEmailDto>> {
    let e = state.services.sso().exclude_email(&env, &body.email).await?;
    Ok((StatusCode::CREATED, Json(sso_excluded_email_dto(&e))))
}

/// The exempt addresses (environment).
async fn get_excluded_emails(
    env: VendorAuth,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<SsoExcludedEmailDto>>> {
    Ok(Json(state.services.sso().excluded_emails(&env).await?.iter().map(sso_excluded_email_dto).collect()))
}

/// Ends an exemption (environment).
async fn delete_excluded_email(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(email): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.services.sso().include_email(&env, &email).await?;
    Ok(StatusCode::OK)
}

/// The environment marks a domain validated wherever it is configured; answers those domains.
async fn force_validate_domain(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiPath(domain): ApiPath<String>,
) -> ApiResult<Json<Vec<SsoDomainDto>>> {
    let domains = state.services.sso().force_validate_domain(&env, &domain).await?;
    Ok(Json(domains.iter().map(sso_domain_dto).collect()))
}

/// An environment settings document, or its defaults when none was stored.
async fn document_or_default<D: SettingsDocument + Default>(
    env: &VendorAuth,
    state: &AppState,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        match state.services.settings.document::<D>(env, None).await? {
            Some(stored) => serde_json::to_value(stored),
            None => serde_json::to_value(D::default()),
        }
        .map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// Stores an environment settings document (201).
async fn put_document<D: SettingsDocument>(
    env: &VendorAuth,
    state: &AppState,
    body: Value,
) -> ApiResult<Created<Value>> {
    let stored = state.services.settings.put_document::<D>(env, None, body).await?;
    let value = serde_json::to_value(stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(value)))
}

/// The multiple-SSO-per-domain policy (environment).
async fn get_multiple_sso_per_domain(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    document_or_default::<MultipleSsoPerDomain>(&env, &state).await
}

/// Sets the multiple-SSO-per-domain policy (201, environment).
async fn put_multiple_sso_per_domain(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Created<Value>> {
    put_document::<MultipleSsoPerDomain>(&env, &state, body).await
}

/// The domain policy (environment).
async fn get_domain_policy(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    document_or_default::<SsoDomainPolicy>(&env, &state).await
}

/// Sets the domain policy (201, environment).
async fn put_domain_policy(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Created<Value>> {
    put_document::<SsoDomainPolicy>(&env, &state, body).await
}

/// The OIDC settings (environment).
async fn get_oidc_settings(env: VendorAuth, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    document_or_default::<OidcSettings>(&env, &state).await
}

/// Sets the OIDC settings (201, environment).
async fn put_oidc_settings(
    env: VendorAuth,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Created<Value>> {
    put_document::<OidcSettings>(&env, &state, body).await
}

/// The legacy `ISamlConfiguration`: the configuration with its first domain as `domain` / `validated`.
fn legacy_dto(c: &yolk_store::sso::SsoConfiguration) -> ApiResult<Value> {
    let mut v = serde_json::to_value(sso_configuration_dto(c)).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let (Some(obj), Some(d)) = (v.as_object_mut(), c.domains.first()) {
        obj.insert("domain".into(), json!(d.domain));
        obj.insert("validated".into(), json!(d.validated));
    }
    Ok(v)
}

/// Legacy: the tenant's SAML configuration (`{}` when it has none).
async fn get_legacy_saml(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let permit = scope.require::<ReadSso>()?;
    match state.services.sso().legacy_configuration(&permit).await? {
        Some(c) => Ok(Json(legacy_dto(&c)?)),
        None => Ok(Json(json!({}))),
    }
}

/// Legacy: creates or updates the tenant's SAML configuration (and adds `domain`).
async fn save_legacy_saml(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LegacySamlRequest>,
) -> ApiResult<Created<Value>> {
    let permit = scope.require::<WriteSso>()?;
    let c = state.services.sso().legacy_save(&permit, body.config, body.domain.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(legacy_dto(&c)?)))
}

/// Legacy: the tenant's SAML configuration from IdP metadata XML (created if it has none).
async fn put_legacy_saml_metadata(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoMetadataRequest>,
) -> ApiResult<Json<Value>> {
    let permit = scope.require::<WriteSso>()?;
    let sso = state.services.sso();
    let c = match sso.legacy_configuration(&permit).await? {
        Some(c) => sso.update_from_metadata(&permit, c.id, &body.metadata).await?,
        None => sso.create_from_metadata(&permit, &body.metadata).await?,
    };
    Ok(Json(legacy_dto(&c)?))
}

/// Legacy: validates the configuration's domain by its DNS TXT record.
async fn validate_legacy_saml_domain(
    scope: TenantScope,
    State(state): State<AppState>,
) -> ApiResult<Json<SsoDomainDto>> {
    let permit = scope.require::<WriteSso>()?;
    Ok(Json(sso_domain_dto(&state.services.sso().legacy_validate_domain(&permit).await?)))
}

/// Legacy: the default roles `{roleIds}`.
async fn get_legacy_roles(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let permit = scope.require::<ReadSso>()?;
    let sso = state.services.sso();
    let roles = sso.default_roles(&permit, sso.legacy_configuration_id(&permit).await?).await?;
    let ids: Vec<String> = roles.iter().map(ToString::to_string).collect();
    Ok(Json(json!({"roleIds": ids})))
}

/// Legacy: replaces the default roles.
async fn set_legacy_roles(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoRolesRequest>,
) -> ApiResult<Created<Value>> {
    let permit = scope.require::<WriteSso>()?;
    let sso = state.services.sso();
    let roles = sso.set_default_roles(&permit, sso.legacy_configuration_id(&permit).await?, &body.role_ids).await?;
    let ids: Vec<String> = roles.iter().map(ToString::to_string).collect();
    Ok((StatusCode::CREATED, Json(json!({"roleIds": ids}))))
}

/// Legacy v2: the group mappings.
async fn get_legacy_groups(scope: TenantScope, State(state): State<AppState>) -> ApiResult<Json<Vec<SsoGroupDto>>> {
    let permit = scope.require::<ReadSso>()?;
    let sso = state.services.sso();
    let groups = sso.groups(&permit, sso.legacy_configuration_id(&permit).await?).await?;
    Ok(Json(groups.iter().map(sso_group_dto).collect()))
}

/// Legacy v2: maps a group (201).
async fn create_legacy_group(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SsoGroupRequest>,
) -> ApiResult<Created<SsoGroupDto>> {
    let permit = scope.require::<WriteSso>()?;
    let sso = state.services.sso();
    let g = sso.add_group(&permit, sso.legacy_configuration_id(&permit).await?, body).await?;
    Ok((StatusCode::CREATED, Json(sso_group_dto(&g))))
}

/// Legacy v2: replaces a group mapping.
async fn update_legacy_group(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(group): ApiPath<SsoGroupId>,
    ApiJson(body): ApiJson<SsoGroupRequest>,
) -> ApiResult<Json<SsoGroupDto>> {
    let permit = scope.require::<WriteSso>()?;
    let sso = state.services.sso();
    let g = sso.update_group(&permit, sso.legacy_configuration_id(&permit).await?, group, body).await?;
    Ok(Json(sso_group_dto(&g)))
}

/// Legacy v2: deletes a group mapping.
async fn delete_legacy_group(
    scope: TenantScope,
    State(state): State<AppState>,
    ApiPath(group): ApiPath<SsoGroupId>,
) -> ApiResult<StatusCode> {
    let permit = scope.require::<WriteSso>()?;
    let sso = state.services.sso();
    sso.delete_group(&permit, sso.legacy_configuration_id(&permit).await?, group).await?;
    Ok(StatusCode::OK)
}
