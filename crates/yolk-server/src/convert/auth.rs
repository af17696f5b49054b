//! Login responses and settings documents as the configuration routes answer them.

use yolk_api_types::auth::{AuthenticationResponse, SignUpResponse};
use yolk_api_types::configurations::{VendorConfigBasicResponse, VendorConfigResponse};
use yolk_api_types::tenants::HierarchySettingsDto;
use yolk_core::auth::IssuedTokens;
use yolk_core::users::SignedUp;
use yolk_domain::TenantId;
use yolk_domain::settings::{HierarchySettings, VendorConfig};

use super::time;

/// The `AuthenticationResponseDto` of issued tokens.
pub fn auth_body(issued: &IssuedTokens) -> AuthenticationResponse {
    AuthenticationResponse {
        token_type: "bearer".into(),
        mfa_required: false,
        access_token: issued.access_token.clone(),
        refresh_token: issued.refresh_token.clone(),
        expires_in: issued.expires_in,
        expires: time(issued.expires),
        user_id: issued.user.id.to_string(),
        user_email: issued.user.email.clone(),
        email_verified: issued.user.verified,
        recovery_code: None,
        password_expires_in: issued.password_expiry.map(|(left, _)| left),
        notification_period: issued.password_expiry.map(|(_, period)| period),
    }
}

/// The sign-up answer, with the login response when a session was started.
pub fn sign_up_body(signed_up: &SignedUp, issued: Option<&IssuedTokens>) -> SignUpResponse {
    SignUpResponse {
        should_activate: signed_up.should_activate,
        user_id: signed_up.user.id.to_string(),
        tenant_id: signed_up.tenant_id.to_string(),
        auth_response: issued.map(auth_body),
    }
}

/// The vendor configuration in force, with the environment's id and the PEM of its signing key.
pub fn vendor_config_dto(config: VendorConfig, client_id: &str, public_pem: &str) -> VendorConfigResponse {
    VendorConfigResponse {
        id: client_id.to_owned(),
        public_key: public_pem.to_owned(),
        jwt_secret: String::new(),
        config,
    }
}

/// The two settings `GET /configurations/v1/basic` shows.
pub fn vendor_config_basic_dto(c: &VendorConfig) -> VendorConfigBasicResponse {
    VendorConfigBasicResponse {
        force_permissions: c.force_permissions,
        machine_to_machine_auth_strategy: c.machine_to_machine_auth_strategy,
    }
}

/// A tenant's hierarchy settings.
pub fn hierarchy_settings_dto(tenant: &TenantId, settings: HierarchySettings) -> HierarchySettingsDto {
    HierarchySettingsDto { tenant_id: tenant.to_string(), settings }
}
