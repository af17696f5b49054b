//! SSO logins in flight (a started SAML or OIDC login, spent by its callback) and the SAML replay cache.

use chrono::{DateTime, Utc};

use crate::StoreResult;

/// Which handshake a login started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoLoginKind {
    Saml,
    Oidc,
    /// A social login (the provider's `state`).
    Social,
}

impl SsoLoginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml => "saml",
            Self::Oidc => "oidc",
            Self::Social => "social",
        }
    }
}

/// A started SSO login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoLogin {
    /// The SAML request's `ID`, or the SHA-256 of an OIDC `state`.
    pub id: String,
    pub kind: SsoLoginKind,
    /// The SSO configuration the login was started for.
    pub configuration_id: String,
    /// Handshake data the callback needs (JSON), if any.
    pub payload: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait SsoLoginStore {
    /// Keeps a started login (ids are random: a clash is a backend error). Forgets a few logins that expired
    /// before `now` on the way.
    async fn start_sso_login(&self, login: &SsoLogin, now: DateTime<Utc>) -> StoreResult<()>;

    /// Spends the login of `kind` with this id: it is removed and returned once, if it has not expired. `None` for an
    /// unknown, spent, expired or other-kind id.
    async fn take_sso_login(&self, id: &str, kind: SsoLoginKind, now: DateTime<Utc>) -> StoreResult<Option<SsoLogin>>;

    /// Records an assertion as consumed until `expires_at`: `false` when it already was (a replay). Forgets
    /// the expired ones on the way.
    async fn record_assertion(&self, id: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<bool>;
}
