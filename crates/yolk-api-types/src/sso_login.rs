//! SSO sign-in wire shapes (the browser SDK's calls; none is in the OpenAPI files: see shared/SSO-MODEL.md).

use serde::{Deserialize, Serialize};
use yolk_domain::TenantId;

/// `POST auth/v2/user/sso/prelogin` and `auth/v1/user/saml/prelogin`: the address (v1 also takes a username
/// that is an address) and, optionally, the tenant the user means.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoPreloginRequest {
    pub email: Option<String>,
    pub username: Option<String>,
    pub tenant_id: Option<TenantId>,
}

/// Where to send the browser: the IdP URL that starts the handshake.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoPreloginResponse {
    pub address: String,
    /// `saml` or `oidc`.
    pub idp_type: String,
}

/// `POST auth/v1/user/saml/postlogin`, and the ACS's form (`SAMLResponse`, `RelayState`), as the SAML POST binding
/// names them.
#[derive(Debug, Default, Deserialize)]
pub struct SamlPostloginRequest {
    #[serde(rename = "SAMLResponse")]
    pub saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    pub relay_state: Option<String>,
}

/// `POST auth/v2/user/oidc/postlogin` (`{code, RelayState, redirectUri?}`) and v1 (`{code, state, redirectUri?}`):
/// the IdP's code and the login's state.
#[derive(Debug, Default, Deserialize)]
pub struct OidcPostloginRequest {
    pub code: Option<String>,
    #[serde(rename = "RelayState")]
    pub relay_state: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "redirectUri")]
    pub redirect_uri: Option<String>,
}
