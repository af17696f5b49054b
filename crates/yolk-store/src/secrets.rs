//! Single-use secrets sent to users (a password reset link's token, later activation and sign-in codes). Only their
//! SHA-256 is stored; the caller compares it in constant time.

use chrono::{DateTime, Utc};
use yolk_domain::UserId;

use crate::StoreResult;

/// What a secret is for: a secret of one purpose never serves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPurpose {
    PasswordReset,
    MagicLink,
}

impl SecretPurpose {
    /// The name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::MagicLink => "magic_link",
        }
    }
}

/// A secret that may still be used: unspent, unexpired, with guesses left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSecret {
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
}

/// Single-use secrets.
#[async_trait::async_trait]
pub trait SecretStore {
    /// Keeps a new secret (its hash) for `user` and `purpose`, valid until `expires_at`; the user's unspent secrets
    /// of that purpose are dropped (only the newest link works). `NotFound(User)` for an unknown user.
    async fn issue_secret(
        &self,
        user: UserId,
        purpose: SecretPurpose,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user's live secret of `purpose` at `now` (unspent, unexpired, fewer than `max_failures` wrong guesses).
    async fn live_secret(
        &self,
        user: UserId,
        purpose: SecretPurpose,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveSecret>>;

    /// Spends the live secret of `purpose` whose hash is `hash` (a secret presented alone, like a magic link's
    /// token: 256 random bits, so finding it by its hash gives nothing away), answering its user. Spent once: of
    /// two concurrent calls one gets the user.
    async fn spend_secret(&self, purpose: SecretPurpose, hash: &str, now: DateTime<Utc>)
    -> StoreResult<Option<UserId>>;

    /// Counts a wrong guess against a secret.
    async fn fail_secret(&self, id: &str) -> StoreResult<()>;

    /// Sets the user's password with a reset secret, in one transaction: spends the secret (only while it is still
    /// unspent and unexpired at `now`), sets the password hash, clears the failed-login count, and revokes every
    /// session of the user. `false` (and nothing changed) when the secret was no longer usable.
    async fn reset_password_with_secret(
        &self,
        secret_id: &str,
        user: UserId,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Sets the user's password (the caller proved the current one), in one transaction: the password hash, the
    /// failed-login count cleared, and every session of the user revoked but `keep` (the caller's own).
    /// `NotFound(User)` for an unknown user.
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<yolk_domain::SessionId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
