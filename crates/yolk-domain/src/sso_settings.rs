//! The environment's SSO settings documents (team/sso.json): the domain policy, the multiple-SSO-per-domain policy,
//! the OIDC settings and the SAML service provider's vendor configuration. Each is a [`SettingsDocument`] whose JSON
//! is its wire form; absent documents read as their `Default`.

use serde::{Deserialize, Serialize};

use crate::settings::SettingsDocument;

/// `PUT/GET /resources/sso/v1/configurations/domains`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoDomainPolicy {
    /// A member may validate a domain by its own (verified) email address (`.../validate/email`). Off by default:
    /// otherwise anyone holding an address at a shared mail provider could put that provider's domain under SSO.
    #[serde(default)]
    pub allow_verified_users_to_add_domains: bool,
    /// New domains are validated at once, without a DNS proof (the environment vouches for every tenant).
    #[serde(default)]
    pub skip_domain_verification: bool,
    /// Stored and answered; yolk checks no cross-tenant rule beyond the validated-domain uniqueness.
    #[serde(default)]
    pub bypass_domain_cross_validation: bool,
}

impl SettingsDocument for SsoDomainPolicy {
    const KEY: &'static str = "sso_domain_policy";
}

/// What login does when several tenants hold the same validated domain and the email names no tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnspecifiedTenantStrategy {
    /// Refuse: the user must name the tenant.
    #[default]
    Block,
    /// The configuration created first wins.
    FirstCreated,
}

/// `GET/PUT /resources/sso/v1/configurations/multiple-sso-per-domain`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultipleSsoPerDomain {
    pub unspecified_tenant_strategy: UnspecifiedTenantStrategy,
    /// Several tenants may validate the same domain (while off, a validated domain has one owner).
    pub active: bool,
    /// Prefer the configuration of the user's active tenant.
    pub use_active_tenant: bool,
}

impl SettingsDocument for MultipleSsoPerDomain {
    const KEY: &'static str = "sso_multiple_per_domain";
}

/// `GET/POST /resources/sso/v1/oidc/configurations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcSettings {
    pub active: bool,
    /// Where the IdP sends the user back (`<app>/account/oidc/callback` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

impl SettingsDocument for OidcSettings {
    const KEY: &'static str = "sso_oidc";

    fn validate(&self) -> Result<(), String> {
        match &self.redirect_uri {
            Some(u) if !u.is_empty() && !crate::sso_settings::is_http_url(u) => {
                Err("redirectUri must be an http(s) URL".into())
            }
            _ => Ok(()),
        }
    }
}

/// The SAML service provider's settings (`vendor-config`): where IdPs post assertions and the SP's entity id. A
/// field left out means the default from the server's public URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamlVendorConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acs_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_entity_id: Option<String>,
}

impl SettingsDocument for SamlVendorConfig {
    const KEY: &'static str = "sso_saml_vendor";

    fn validate(&self) -> Result<(), String> {
        if self.acs_url.as_deref().is_some_and(|u| !is_http_url(u)) {
            return Err("acsUrl must be an http(s) URL".into());
        }
        if self.sp_entity_id.as_deref().is_some_and(|e| e.is_empty() || e.len() > 1024) {
            return Err("spEntityId must be 1 to 1024 characters".into());
        }
        Ok(())
    }
}

/// An absolute http or https URL with a host, of at most 2048 characters, without whitespace or control
/// characters.
pub fn is_http_url(u: &str) -> bool {
    let Some((scheme, rest)) = u.split_once("://") else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    u.len() <= 2048
        && matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        && !host.is_empty()
        && !u.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A domain as SSO keeps it: trimmed, lower case, without a trailing dot; labels of letters, digits and `-` (not
/// at either end), 1 to 63 characters each, at least two labels, at most 253 characters in all.
pub fn normalize_domain(raw: &str) -> Result<String, String> {
    const RULE: &str = "domain must be a domain name such as example.com";
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let ok = d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && !labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    if ok { Ok(d) } else { Err(RULE.into()) }
}

/// The domain of an email address (after the last `@`), normalized as [`normalize_domain`]; `None` if it has none.
pub fn email_domain(email: &str) -> Option<String> {
    email.rsplit_once('@').and_then(|(_, d)| normalize_domain(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalized_and_checked() {
        assert_eq!(normalize_domain(" Acme.COM. ").unwrap(), "acme.com");
        for bad in ["", "com", "a..b", "-a.com", "a_b.com", "1.2.3.4", "a b.com", "acme.com/x"] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
        assert_eq!(email_domain("Ann@Sub.Acme.io").as_deref(), Some("sub.acme.io"));
        assert!(is_http_url("https://a.io/x") && !is_http_url("javascript:alert(1)") && !is_http_url("https:///x"));
    }
}
