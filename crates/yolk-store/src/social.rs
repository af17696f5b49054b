//! Social login providers: the built-in ones the environment configured (Google, GitHub, ...) and its custom
//! OAuth providers.

use chrono::{DateTime, Utc};

use crate::StoreResult;

/// Most providers an environment keeps (built-in and custom together).
pub const MAX_SOCIAL_PROVIDERS: u64 = 100;

/// A configured social login provider. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SocialProvider {
    /// A built-in provider's type (`google`, `github`, ...); a custom provider's random id.
    pub id: String,
    /// A custom OAuth provider (else a built-in one).
    pub custom: bool,
    /// `google`, `github`, ... or a custom provider's `type`.
    pub kind: String,
    pub client_id: String,
    /// The client secret, kept so the server can use it (never shown).
    pub secret: String,
    pub redirect_url: String,
    /// Overrides of a built-in provider's well-known URLs (tests); a custom provider's own.
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub user_info_url: Option<String>,
    /// Space-separated: a custom provider's scopes, a built-in one's additional scopes.
    pub scopes: String,
    pub logo_url: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for SocialProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialProvider")
            .field("id", &self.id)
            .field("custom", &self.custom)
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .field("redirect_url", &self.redirect_url)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
pub trait SocialProviderStore {
    /// Creates or replaces the provider with this id.
    async fn put_social_provider(&self, provider: &SocialProvider) -> StoreResult<()>;

    /// Every provider, oldest first (at most [`MAX_SOCIAL_PROVIDERS`]).
    async fn social_providers(&self) -> StoreResult<Vec<SocialProvider>>;

    /// The provider with this id: `NotFound(SocialProvider)` when there is none.
    async fn social_provider(&self, id: &str) -> StoreResult<SocialProvider>;

    /// Removes the provider: `NotFound(SocialProvider)` when there is none.
    async fn delete_social_provider(&self, id: &str) -> StoreResult<()>;
}
