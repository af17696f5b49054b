//! Single-use secrets sent to users (a password reset link's token, later activation and sign-in codes). Only their
//! SHA-256 is stored; the caller compares it in constant time.

use chrono::{DateTime, Utc};
use yolk_domain::{TenantId, UserId};

use crate::StoreResult;

/// What a secret is for: a secret of one purpose never serves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPurpose {
    PasswordReset,
    MagicLink,
    /// Proves a new account's address (and may set its first password).
    Activation,
    /// Accepts an invitation into one tenant (the secret names the tenant).
    Invitation,
    /// Unlocks an account the lockout policy locked (emailed when it locks).
    Unlock,
}

impl SecretPurpose {
    /// The name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::MagicLink => "magic_link",
            Self::Activation => "activation",
            Self::Invitation => "invitation",
            Self::Unlock => "unlock",
        }
    }
}

/// A secret that may still be used: unspent, unexpired, with guesses left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSecret {
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// SHA-256 of the code that goes with it (the `code` activation and invitation strategies), hex.
    pub code_hash: Option<String>,
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

    /// Sets the code (its hash) of the user's newest live secret of `purpose` (for an invitation, the one into
    /// `tenant`); `false` when there is none.
    async fn set_secret_code(
        &self,
        user: UserId,
        purpose: SecretPurpose,
        tenant: Option<&TenantId>,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

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

    /// Keeps a new invitation secret (its hash) for `user` into `tenant`, valid until `expires_at`; the user's
    /// unspent invitation secrets for that tenant are dropped (those for other tenants stay). `NotFound(User)` for
    /// an unknown user.
    async fn issue_invitation_secret(
        &self,
        user: UserId,
        tenant: &TenantId,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user's live invitation secrets at `now` (one per tenant at most), newest first, at most 100.
    async fn live_invitation_secrets(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Vec<LiveSecret>>;

    /// Counts a wrong guess against every live secret of `purpose` of the user (a guess presented with a user id
    /// that matches none of them).
    async fn fail_user_secrets(&self, user: UserId, purpose: SecretPurpose, now: DateTime<Utc>) -> StoreResult<()>;

    /// Activates the user with an activation secret, in one transaction: spends the secret (only while unspent
    /// and unexpired at `now`), marks the user verified and, when `password_hash` is given, sets it and clears the
    /// failed-login count. `false` (and nothing changed) when the secret was no longer usable.
    async fn activate_with_secret(
        &self,
        secret_id: &str,
        user: UserId,
        password_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Accepts an invitation with its secret, in one transaction: spends the secret (only while unspent and
    /// unexpired at `now`), turns the user's membership of the secret's tenant from pending to active, and, when
    /// the user was not verified, marks it verified, clears its password and revokes every session of it (whoever
    /// registered the address never proved it). The tenant, or `None` (and nothing changed) when the secret was no
    /// longer usable or the membership is gone.
    async fn accept_invitation_with_secret(
        &self,
        secret_id: &str,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TenantId>>;

    /// Unlocks a user with an unlock secret presented alone (found by its hash), in one transaction: spends the
    /// secret (only while unspent and unexpired at `now`), clears the user's `locked` flag and failed-login count.
    /// The user, or `None` (and nothing changed) when no usable secret has that hash. Locking or unlocking a user
    /// by other means (`UserStore::set_user_locked`) drops its unspent unlock secrets.
    async fn unlock_with_secret(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<UserId>>;

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
