//! Passwordless sign-in by magic link: `prelogin` emails a single-use link, `postlogin` exchanges its token for a
//! session. Only while the environment's `authStrategy` is `MagicLink` (the policy is enforced on both steps).
//!
//! No enumeration: `prelogin` answers the same, at once, for a known and an unknown address (the lookup and the
//! email happen after the answer). The token is 256 random bits, kept as SHA-256, valid for the environment's
//! `defaultPasswordlessTokenExpiration` seconds, spent once, replaced by a newer link. Following the link proves
//! the address: an unverified user becomes verified.

use std::sync::Arc;

use chrono::Duration;
use yolk_domain::Clock;
use yolk_domain::delivery_settings::EmailTemplateType;
use yolk_domain::settings::AuthStrategy;
use yolk_store::{Mutation, SecretPurpose, Store};

use crate::auth::AuthService;
use crate::delivery::{Delivery, Vars};
use crate::mfa::LoginOutcome;
use crate::recovery::issue_for_address;
use crate::secrets::sha256_hex;
use crate::settings::Settings;
use crate::{CoreError, CoreResult};

/// Passwordless sign-in (cheap to clone).
#[derive(Clone)]
pub struct Passwordless {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    pub(crate) delivery: Delivery,
    pub(crate) auth: AuthService,
    pub(crate) app_url: Arc<str>,
}

impl Passwordless {
    async fn require_magic_link(&self) -> CoreResult<i64> {
        let config = self.settings.vendor_config_in_force().await?;
        if config.auth_strategy != AuthStrategy::MagicLink {
            return Err(CoreError::BadRequest(
                "Invalid authentication type, magic link authentication should be enabled".into(),
            ));
        }
        Ok(config.default_passwordless_token_expiration.max(1))
    }

    /// Sends a magic link to `email` if a user has it; answers the same either way.
    pub async fn magic_link_prelogin(&self, email: &str) -> CoreResult<()> {
        let ttl_secs = self.require_magic_link().await?;
        let email = email.trim().to_owned();
        if email.is_empty() {
            return Err(CoreError::BadRequest("email is required".into()));
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_magic_link(&email, ttl_secs).await {
                tracing::warn!(error = %e, "a magic link was not sent");
            }
        });
        Ok(())
    }

    async fn send_magic_link(&self, email: &str, ttl_secs: i64) -> CoreResult<()> {
        let ttl = Duration::seconds(ttl_secs);
        let secret = issue_for_address(&self.store, &self.clock, email, SecretPurpose::MagicLink, ttl).await?;
        let Some((user, token)) = secret else { return Ok(()) };
        let link = format!("{}/account/login/magic-link?token={token}", self.app_url);
        let minutes = (ttl_secs + 59) / 60;
        let vars = Vars::new()
            .set("email", user.email.as_str())
            .set("redirectURL", link)
            .set("expirationMinutes", minutes.to_string());
        self.delivery.send_email_template(EmailTemplateType::MagicLink, &user.email, vars).await
    }

    /// Exchanges a magic link's token for a session (the login body and refresh token). A wrong, spent or expired
    /// token is a 401; so is a locked user. A user who must give a second factor gets the MFA branch instead.
    pub async fn magic_link_postlogin(&self, token: &str, remembered: Option<&str>) -> CoreResult<LoginOutcome> {
        self.require_magic_link().await?;
        let invalid = || CoreError::Unauthorized("The sign-in link is invalid or has expired".into());
        let now = self.clock.now();
        let hash = sha256_hex(token.trim());
        let user_id = self.store.spend_secret(SecretPurpose::MagicLink, &hash, now).await?.ok_or_else(invalid)?;
        let user = self.store.get_user(user_id).await?;
        if user.locked {
            return Err(invalid());
        }
        // SSO enforcement: a user whose domain is under SSO signs in through its IdP only.
        if crate::sso::password_login_refused(self.store.as_ref(), &user.email).await? {
            return Err(CoreError::Forbidden(crate::sso::SSO_REQUIRED.into()));
        }
        if !user.verified {
            let verify: Mutation<yolk_domain::User> = Box::new(|u| {
                u.verified = true;
                Ok(())
            });
            self.store.update_user(user.id, verify, now).await?;
        }
        let user = self.store.record_login(user.id, now).await?;
        self.auth.finish_first_factor(user, remembered, false).await
    }
}
