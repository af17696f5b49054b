//! Passwordless sign-in by one-time code, by email (`authStrategy: Code`) or SMS (`SmsCode`).
//!
//! Frontegg's `postlogin` carries the 6-digit code alone. Looking a code up by its value across every user would
//! let a guess land on *anyone's* live code, so yolk binds the code to the sign-in that asked for it: `prelogin`
//! answers with a random **flow token** (256 bits) in an HttpOnly cookie, and `postlogin` needs the code and that
//! cookie (the browser sends it back: the SDK calls with credentials). A client without cookies may name the
//! account instead (`email` in the `postlogin` body): the code is then checked against that user's newest one.
//! Either way a code is a challenge of migration 0010 (SHA-256 of the flow token, SHA-256 of the code): single-use,
//! valid for the environment's `defaultPasswordlessTokenExpiration`, dead after [`MAX_FAILURES`] wrong codes.
//!
//! No enumeration: `prelogin` answers the same, at once, for known and unknown accounts (the flow cookie too); the
//! lookup and the message happen after the answer. An emailed code proves the address (the user becomes verified).
//! A user with a second factor still gives it: the code is a first factor (see `crate::mfa`).

use chrono::Duration;
use serde::{Deserialize, Serialize};
use yolk_domain::settings::AuthStrategy;
use yolk_domain::{User, UserId};
use yolk_store::mfa::{ChallengeKind, LiveChallenge, NewChallenge};
use yolk_store::{Mutation, StoreError};

use crate::delivery::templates::Vars;
use crate::mfa::{LoginOutcome, MAX_FAILURES, numeric_code};
use crate::passwordless::Passwordless;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::{CoreError, CoreResult};
use yolk_domain::delivery_settings::{EmailTemplateType, SmsTemplateType};

/// What every wrong, spent or expired code is told.
pub const INVALID_OTC: &str = "The code is invalid or has expired";

/// Which channel carries the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeChannel {
    Email,
    Sms,
}

impl CodeChannel {
    fn strategy(self) -> AuthStrategy {
        match self {
            Self::Email => AuthStrategy::Code,
            Self::Sms => AuthStrategy::SmsCode,
        }
    }
}

/// A sign-in code's challenge payload.
#[derive(Debug, Serialize, Deserialize)]
struct SignInCode {
    /// SHA-256 of the code.
    code: String,
    /// Always `passwordless`: a challenge of another purpose never signs in.
    purpose: String,
    /// `email` or `sms`.
    channel: String,
}

const PURPOSE: &str = "passwordless";

impl Passwordless {
    async fn require_strategy(&self, channel: CodeChannel) -> CoreResult<i64> {
        let config = self.settings.vendor_config_in_force().await?;
        if config.auth_strategy != channel.strategy() {
            return Err(CoreError::BadRequest(format!(
                "Invalid authentication type, {:?} authentication should be enabled",
                channel.strategy()
            )));
        }
        Ok(config.default_passwordless_token_expiration.max(1))
    }

    /// `prelogin`: answers the flow token (for the cookie) at once, the same for known and unknown accounts; a
    /// known user then gets a code by `channel`.
    pub async fn code_prelogin(&self, channel: CodeChannel, email: &str) -> CoreResult<String> {
        let ttl_secs = self.require_strategy(channel).await?;
        let email = email.trim().to_owned();
        if email.is_empty() {
            return Err(CoreError::BadRequest("email is required".into()));
        }
        let flow = random_token();
        let this = self.clone();
        let flow_hash = sha256_hex(&flow);
        tokio::spawn(async move {
            if let Err(e) = this.send_code(channel, &email, &flow_hash, ttl_secs).await {
                tracing::warn!(error = %e, "a sign-in code was not sent");
            }
        });
        Ok(flow)
    }

    async fn send_code(&self, channel: CodeChannel, email: &str, flow_hash: &str, ttl_secs: i64) -> CoreResult<()> {
        let user = match self.store.get_user_by_email(email).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let phone = match channel {
            CodeChannel::Sms => match user.phone_number.clone() {
                Some(p) => Some(p),
                // No phone to text: nothing is sent (and the answer already went out, the same).
                None => return Ok(()),
            },
            CodeChannel::Email => None,
        };
        let code = numeric_code();
        let payload = SignInCode {
            code: sha256_hex(&code),
            purpose: PURPOSE.into(),
            channel: if phone.is_some() { "sms" } else { "email" }.into(),
        };
        let payload = serde_json::to_string(&payload).map_err(|e| CoreError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let challenge = NewChallenge {
            user_id: user.id,
            kind: ChallengeKind::Code,
            token_hash: flow_hash,
            payload: Some(&payload),
            expires_at: now + Duration::seconds(ttl_secs),
        };
        self.store.issue_challenge(challenge, now).await?;
        let vars = Vars::new().set("code", &code).set("expirationMinutes", (ttl_secs / 60).max(1).to_string());
        match phone {
            Some(to) => self.delivery.send_sms_template(SmsTemplateType::Otc, &to, vars).await,
            None => self.delivery.send_email_template(EmailTemplateType::Otc, &user.email, vars).await,
        }
    }

    /// `postlogin`: the code of the sign-in the flow token (the cookie) names, or else of the user with `email`;
    /// a session or the MFA branch. A wrong, spent or expired code is a 401 and counts against the code.
    pub async fn code_postlogin(
        &self,
        channel: CodeChannel,
        code: &str,
        flow: Option<&str>,
        email: Option<&str>,
        remembered: Option<&str>,
    ) -> CoreResult<LoginOutcome> {
        self.require_strategy(channel).await?;
        let invalid = || CoreError::Unauthorized(INVALID_OTC.into());
        let now = self.clock.now();
        let challenge = match (flow, email.map(str::trim).filter(|e| !e.is_empty())) {
            (Some(flow), _) => {
                self.store.challenge_by_token(ChallengeKind::Code, &sha256_hex(flow), now, MAX_FAILURES).await?
            }
            (None, Some(email)) => match self.store.get_user_by_email(email).await {
                Ok(user) => self.store.user_challenge(user.id, ChallengeKind::Code, now, MAX_FAILURES).await?,
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            (None, None) => {
                return Err(CoreError::BadRequest(
                    "The code must come from the browser that asked for it (its cookie), or name the account's email"
                        .into(),
                ));
            }
        };
        let Some(challenge) = challenge else { return Err(invalid()) };
        let user = self.check(&challenge, code).await?;
        if !self.store.spend_challenges(&[&challenge.id], now).await? {
            return Err(invalid());
        }
        // SSO enforcement: a user whose domain is under SSO signs in through its IdP only.
        if crate::sso::password_login_refused(self.store.as_ref(), &user.email).await? {
            return Err(CoreError::Forbidden(crate::sso::SSO_REQUIRED.into()));
        }
        let mut user = user;
        if channel == CodeChannel::Email && !user.verified {
            let verify: Mutation<User> = Box::new(|u| {
                u.verified = true;
                Ok(())
            });
            user = self.store.update_user(user.id, verify, now).await?;
        }
        let user = self.store.record_login(user.id, now).await?;
        self.auth.finish_first_factor(user, remembered, false).await
    }

    /// The user whose sign-in code `challenge` is, if `code` is it; else counts the failure.
    async fn check(&self, challenge: &LiveChallenge, code: &str) -> CoreResult<User> {
        let invalid = || CoreError::Unauthorized(INVALID_OTC.into());
        let payload: Option<SignInCode> = challenge.payload.as_deref().and_then(|p| serde_json::from_str(p).ok());
        let matches = payload
            .as_ref()
            .is_some_and(|p| p.purpose == PURPOSE && constant_time_eq(&sha256_hex(code.trim()), &p.code));
        if !matches {
            self.store.fail_challenge(&challenge.id).await?;
            return Err(invalid());
        }
        let user: UserId = challenge.user_id;
        let user = self.store.get_user(user).await.map_err(|_| invalid())?;
        if user.locked {
            return Err(invalid());
        }
        Ok(user)
    }
}
