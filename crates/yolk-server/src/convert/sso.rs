//! SSO configuration → `@frontegg/rest-api`'s shapes (`ISSOConfiguration`, `ISSODomain`, groups).

use yolk_api_types::sso::{SsoConfigurationDto, SsoDomainDto, SsoExcludedEmailDto, SsoGroupDto};
use yolk_domain::time::rfc3339;
use yolk_store::sso::{SsoConfiguration, SsoDomain, SsoExcludedEmail, SsoGroup};

/// `ISSODomain`.
pub fn sso_domain_dto(d: &SsoDomain) -> SsoDomainDto {
    SsoDomainDto {
        id: d.id.to_string(),
        domain: d.domain.clone(),
        validated: d.validated,
        txt_record: d.txt_record.clone(),
    }
}

/// `{id, group, roleIds}`.
pub fn sso_group_dto(g: &SsoGroup) -> SsoGroupDto {
    SsoGroupDto {
        id: g.id.to_string(),
        group: g.group.clone(),
        role_ids: g.role_ids.iter().map(ToString::to_string).collect(),
    }
}

/// `ISSOConfiguration`: `oidcSecret` answered (as Frontegg does), `idpClientSecret` never.
pub fn sso_configuration_dto(c: &SsoConfiguration) -> SsoConfigurationDto {
    SsoConfigurationDto {
        id: c.id.to_string(),
        enabled: c.enabled,
        generated_verification: c.generated_verification.clone(),
        sso_endpoint: c.sso_endpoint.clone(),
        public_certificate: c.public_certificate.clone(),
        sign_request: c.sign_request,
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
        acs_url: c.acs_url.clone(),
        kind: c.kind.as_str(),
        sp_entity_id: c.sp_entity_id.clone(),
        oidc_client_id: c.oidc_client_id.clone(),
        oidc_secret: c.oidc_secret.clone(),
        config_metadata: c.config_metadata.clone(),
        override_active_tenant: c.override_active_tenant,
        sub_account_access_limit: c.sub_account_access_limit,
        idp_client_id: c.idp_client_id.clone(),
        domains: c.domains.iter().map(sso_domain_dto).collect(),
        role_ids: c.role_ids.iter().map(ToString::to_string).collect(),
        groups: c.groups.iter().map(sso_group_dto).collect(),
        skip_email_domain_validation: c.skip_email_domain_validation,
    }
}

/// An excluded email.
pub fn sso_excluded_email_dto(e: &SsoExcludedEmail) -> SsoExcludedEmailDto {
    SsoExcludedEmailDto { email: e.email.clone(), created_at: rfc3339(e.created_at) }
}
