//! Core settings (`Core settings` tag): the environment configuration and the captcha policy. Both are settings
//! documents (`yolk_domain::settings`): the request body is merged onto the stored document, and the response is
//! the document plus what the server adds.

use serde::Serialize;
use yolk_domain::settings::{CaptchaPolicy, LockoutPolicy, MachineToMachineAuthStrategy, Stamped, VendorConfig};

/// `VendorConfigResponse`: the configuration in force (token lifetimes resolved to the server's defaults when
/// unset), the environment's id, the PEM of the key user tokens are signed with, and `jwtSecret` (always empty:
/// yolk signs only with RS256).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorConfigResponse {
    pub id: String,
    /// SPKI PEM of the key user tokens are signed with.
    pub public_key: String,
    pub jwt_secret: String,
    #[serde(flatten)]
    pub config: VendorConfig,
}

/// `VendorConfigBasicResponse` (`GET /resources/configurations/v1/basic`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorConfigBasicResponse {
    pub force_permissions: bool,
    pub machine_to_machine_auth_strategy: MachineToMachineAuthStrategy,
}

/// `LockoutPolicyResponse`: the stored document with its id and times.
pub type LockoutPolicyResponse = Stamped<LockoutPolicy>;

/// `CaptchaPolicyResponse`: the stored document with its id and times.
pub type CaptchaPolicyResponse = Stamped<CaptchaPolicy>;
