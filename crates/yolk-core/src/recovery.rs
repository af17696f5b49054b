//! Password recovery and change: "forgot password" sends a single-use link by email, and the link's token sets a
//! new password and ends every session of the user; a signed-in user changes its password by giving the current
//! one (checked like a login: the lockout policy counts it), which ends its other sessions.
//!
//! No enumeration: a request answers the same, at once, for a known and an unknown address; the lookup and the
//! email happen after the answer. The token is 256 random bits, kept as SHA-256, compared in constant time, valid
//! for [`RESET_TTL_MINUTES`], spent once, replaced by a newer request, and dead after [`MAX_FAILURES`] wrong
//! guesses.

use std::sync::Arc;

use chrono::Duration;
use yolk_domain::{Clock, UserId};
use yolk_store::{SecretPurpose, Store, StoreError};

use crate::access::UserContext;
use yolk_domain::delivery_settings::EmailTemplateType;

use crate::delivery::{Delivery, Vars};
use crate::grants::AccessCache;
use crate::lockout::PasswordCheck;
use crate::password_rules::check_new_password;
use crate::passwords::Passwords;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::settings::Settings;
use crate::{CoreError, CoreResult};

/// How long a reset link works.
pub const RESET_TTL_MINUTES: i64 = 60;

/// Wrong tokens a reset link survives.
pub const MAX_FAILURES: i64 = 5;

/// Password recovery (cheap to clone).
#[derive(Clone)]
pub struct Recovery {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) passwords: Passwords,
    pub(crate) settings: Settings,
    pub(crate) access: AccessCache,
    pub(crate) password_check: PasswordCheck,
    pub(crate) delivery: Delivery,
    /// Where the app's login box runs: links point at its `/account/...` pages.
    pub(crate) app_url: Arc<str>,
}

impl Recovery {
    /// "Forgot password" for `email`: answers at once, the same whether or not the address is known; a known user
    /// then gets a reset link by email.
    pub fn request_password_reset(&self, email: &str) -> CoreResult<()> {
        let email = email.trim().to_owned();
        if email.is_empty() {
            return Err(CoreError::BadRequest("email is required".into()));
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_reset_link(&email).await {
                tracing::warn!(error = %e, "a password reset link was not sent");
            }
        });
        Ok(())
    }

    async fn send_reset_link(&self, email: &str) -> CoreResult<()> {
        // SSO enforcement: an address under SSO has no password to reset (the answer stays the same).
        if crate::sso::password_login_refused(self.store.as_ref(), email).await? {
            return Ok(());
        }
        let ttl = Duration::minutes(RESET_TTL_MINUTES);
        let secret = issue_for_address(&self.store, &self.clock, email, SecretPurpose::PasswordReset, ttl).await?;
        let Some((user, token)) = secret else { return Ok(()) };
        let link = format!("{}/account/reset-password?userId={}&token={token}", self.app_url, user.id);
        let name = user.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or("there");
        let vars = Vars::new()
            .set("name", name)
            .set("email", user.email.as_str())
            .set("redirectURL", link)
            .set("expirationMinutes", RESET_TTL_MINUTES.to_string());
        self.delivery.send_email_template(EmailTemplateType::ResetPassword, &user.email, vars).await
    }

    /// Sets `user`'s password with the token of a reset link: the token must be the user's live one; the password
    /// must pass the policy (a refused password leaves the link usable). Every session of the user ends.
    pub async fn reset_password(&self, user: UserId, token: &str, password: &str) -> CoreResult<()> {
        let invalid = || CoreError::BadRequest("The password reset link is invalid or has expired".into());
        let now = self.clock.now();
        let live = self.store.live_secret(user, SecretPurpose::PasswordReset, now, MAX_FAILURES).await?;
        let Some(secret) = live else { return Err(invalid()) };
        if !constant_time_eq(&sha256_hex(token), &secret.hash) {
            self.store.fail_secret(&secret.id).await?;
            return Err(invalid());
        }
        let found = self.store.get_user(user).await?;
        check_new_password(&self.store, &self.settings, &self.passwords, &found, password).await?;
        let hash = self.passwords.hash(password).await?;
        if !self.store.reset_password_with_secret(&secret.id, user, &hash, now).await? {
            return Err(invalid());
        }
        self.access.invalidate();
        Ok(())
    }
}

impl Recovery {
    /// The signed-in user changes its password: `current` must be its password (a wrong one counts against the
    /// lockout policy like a failed login), `new` must pass the policy. Every other session of the user ends; the
    /// caller's own (when it used a user token) goes on.
    pub async fn change_password(&self, who: &UserContext, current: &str, new: &str) -> CoreResult<()> {
        let user = self.store.get_user(who.user_id()).await?;
        let ident = match user.username.as_deref() {
            Some(username) if user.email.is_empty() => yolk_store::users::LoginIdentifier::Username(username.into()),
            _ => yolk_store::users::LoginIdentifier::Email(user.email.clone()),
        };
        let candidate = self.store.login_candidate(&ident).await?;
        if self.password_check.check(candidate, current).await?.is_none() {
            return Err(CoreError::BadRequest("The current password is wrong".into()));
        }
        check_new_password(&self.store, &self.settings, &self.passwords, &user, new).await?;
        let hash = self.passwords.hash(new).await?;
        self.store.change_password(user.id, &hash, who.session_id(), self.clock.now()).await?;
        self.access.invalidate();
        Ok(())
    }
}

/// A new secret of `purpose` for the user with this email address, valid for `ttl`: the user and the secret (shown
/// once), or `None` for an unknown address.
pub(crate) async fn issue_for_address(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    email: &str,
    purpose: SecretPurpose,
    ttl: Duration,
) -> CoreResult<Option<(yolk_domain::User, String)>> {
    let user = match store.get_user_by_email(email).await {
        Ok(user) => user,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let token = random_token();
    let now = clock.now();
    store.issue_secret(user.id, purpose, &sha256_hex(&token), now, now + ttl).await?;
    Ok(Some((user, token)))
}
