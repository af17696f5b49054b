//! Every password check, under the lockout policy. One path for the login and the environment's
//! `passwords/verify`, so a policy cannot be stored without being applied.
//!
//! - With a lockout policy in force (the user's active tenant's, else the environment's), an attempt is reserved
//!   in the store *before* the password is hashed (`reserve_login_attempt`: one conditional `UPDATE`), so any
//!   number of concurrent guesses on any nodes get at most `maxAttempts` checks. The attempt that reaches the
//!   maximum and fails locks the user (and ends its sessions); a correct password clears the count.
//! - Unknown user, user without a password, wrong password, locked user, no attempt left: one answer (`None`), each
//!   after one hash's work, so neither the answer nor its timing tells them apart. In particular a locked account
//!   answers the same whatever the password: no oracle for a correct one.
//! - When the policy locks a user, the user is emailed an unlock link (`{app_url}/account/unlock?token=`, secret
//!   purpose `unlock`, [`UNLOCK_TTL_MINUTES`]); `POST /users/v3/me/unlock` with its token spends it and unlocks the
//!   account ([`PasswordCheck::unlock`]). The email goes out after the answer (spawned), so the locking attempt
//!   answers like any other wrong password. Locking or unlocking by the environment drops unspent unlock links.

use std::sync::{Arc, RwLock};

use chrono::Duration;
use yolk_domain::delivery_settings::EmailTemplateType;
use yolk_domain::{Clock, User};
use yolk_store::{SecretPurpose, Store};

use crate::delivery::{Delivery, Vars};
use crate::grants::AccessCache;
use crate::passwords::Passwords;
use crate::secrets::{random_token, sha256_hex};
use crate::settings::Settings;
use crate::{CoreError, CoreResult};

/// How long an unlock link works.
pub const UNLOCK_TTL_MINUTES: i64 = 24 * 60;

/// Where unlock emails go out and what their links point at (set by `Services`, which may change both after
/// building the checker: every clone shares it).
#[derive(Clone)]
struct Mailer {
    delivery: Delivery,
    app_url: Arc<str>,
}

/// Checks passwords under the lockout policy (cheap to clone).
#[derive(Clone)]
pub struct PasswordCheck {
    store: Arc<dyn Store>,
    settings: Settings,
    passwords: Passwords,
    clock: Arc<dyn Clock>,
    access: AccessCache,
    mailer: Arc<RwLock<Option<Mailer>>>,
}

impl PasswordCheck {
    /// The checker over its collaborators.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        passwords: Passwords,
        clock: Arc<dyn Clock>,
        access: AccessCache,
    ) -> Self {
        Self { store, settings, passwords, clock, access, mailer: Arc::new(RwLock::new(None)) }
    }

    /// Sends unlock emails through `delivery`, with links to `app_url` (every clone of this checker).
    pub(crate) fn set_mailer(&self, delivery: Delivery, app_url: Arc<str>) {
        if let Ok(mut m) = self.mailer.write() {
            *m = Some(Mailer { delivery, app_url });
        }
    }

    /// `POST /users/v3/me/unlock`: unlocks the account whose emailed unlock link carries `token`, spending it. One
    /// 400 for an unknown, spent or expired token.
    pub async fn unlock(&self, token: &str) -> CoreResult<()> {
        let invalid = || CoreError::BadRequest("The unlock link is invalid or has expired".into());
        if token.trim().is_empty() {
            return Err(invalid());
        }
        match self.store.unlock_with_secret(&sha256_hex(token), self.clock.now()).await? {
            Some(user) => {
                tracing::info!(user_id = %user, "user unlocked with an unlock link");
                Ok(())
            }
            None => Err(invalid()),
        }
    }

    /// Emails `user` a new unlock link (nothing without a mailer or an email address).
    async fn send_unlock_email(&self, user: &User) -> CoreResult<()> {
        let mailer = self.mailer.read().ok().and_then(|m| m.clone());
        let Some(mailer) = mailer else { return Ok(()) };
        if user.email.is_empty() {
            return Ok(());
        }
        let token = random_token();
        let now = self.clock.now();
        let expires = now + Duration::minutes(UNLOCK_TTL_MINUTES);
        self.store.issue_secret(user.id, SecretPurpose::Unlock, &sha256_hex(&token), now, expires).await?;
        let name = user.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or("there");
        let vars = Vars::new()
            .set("name", name)
            .set("email", user.email.as_str())
            .set("redirectURL", format!("{}/account/unlock?token={token}", mailer.app_url))
            .set("expirationMinutes", UNLOCK_TTL_MINUTES.to_string());
        mailer.delivery.send_email_template(EmailTemplateType::UnlockUser, &user.email, vars).await
    }

    /// The user of `candidate` (a login candidate: the user and its password hash) if `password` is its password
    /// and the lockout policy lets it try; otherwise `None`, the same for every reason.
    pub async fn check(&self, candidate: Option<(User, Option<String>)>, password: &str) -> CoreResult<Option<User>> {
        let Some((user, hash)) = candidate else {
            return self.refuse(password).await;
        };
        if user.locked {
            return self.refuse(password).await;
        }
        let Some(max) = self.settings.lockout_limit(user.active_tenant_id.as_ref()).await? else {
            let matches = self.passwords.verify(password, hash.as_deref()).await?;
            return Ok(matches.then_some(user));
        };
        let Some(attempt) = self.store.reserve_login_attempt(user.id, max).await? else {
            return self.refuse(password).await;
        };
        let matches = match self.passwords.verify(password, hash.as_deref()).await {
            Ok(m) => m,
            Err(e) => {
                // Not checked (the hasher is full): the attempt is given back.
                self.store.settle_login_attempt(user.id, false).await?;
                return Err(e);
            }
        };
        if matches {
            self.store.settle_login_attempt(user.id, true).await?;
            return Ok(Some(user));
        }
        if attempt >= max {
            tracing::warn!(user_id = %user.id, max, "lockout policy: too many wrong passwords; user locked");
            self.store.set_user_locked(user.id, true, self.clock.now()).await?;
            self.access.invalidate();
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.send_unlock_email(&user).await {
                    tracing::warn!(error = %e, "an unlock email was not sent");
                }
            });
        }
        Ok(None)
    }

    /// The refusal: the same hashing work as a real check, then no user.
    async fn refuse(&self, password: &str) -> CoreResult<Option<User>> {
        self.passwords.verify(password, None).await?;
        Ok(None)
    }
}
