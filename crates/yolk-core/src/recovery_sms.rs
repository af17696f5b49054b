//! Password recovery v2 (`users/v2/passwords/reset/{email|sms}`): the account named by an identifier (its email or
//! username). By email it is the v1 link. By SMS a 6-digit code goes to the account's phone, named by a `sessionId`
//! (256 random bits) the request answers; `sms/verify` with the code and that `sessionId` answers a reset token for
//! `users/v1/passwords/reset/verify`. No enumeration: both answer a `sessionId` at once whatever the account (the
//! lookup and the message happen after the answer). The code is a challenge of migration 0010: SHA-256 of the
//! `sessionId` names it, SHA-256 of the code is kept, single-use, [`RESET_TTL_MINUTES`], five wrong guesses.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use yolk_domain::User;
use yolk_domain::delivery_settings::SmsTemplateType;
use yolk_store::SecretPurpose;
use yolk_store::mfa::{ChallengeKind, NewChallenge};
use yolk_store::users::LoginIdentifier;

use crate::delivery::templates::Vars;
use crate::mfa::{MAX_FAILURES, numeric_code};
use crate::recovery::{RESET_TTL_MINUTES, Recovery};
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::{CoreError, CoreResult};

/// What a wrong, spent or expired code (or `sessionId`) is told.
pub const INVALID_RESET_CODE: &str = "The code is invalid or has expired";

#[derive(Debug, Serialize, Deserialize)]
struct ResetCode {
    code: String,
    purpose: String,
}

const PURPOSE: &str = "password_reset_sms";

impl Recovery {
    /// The account an identifier names (`email` or `username`), if any.
    async fn account(&self, identifier: &str, identifier_type: &str) -> CoreResult<Option<User>> {
        let ident = match identifier_type {
            "email" => LoginIdentifier::Email(identifier.trim().to_owned()),
            "username" => LoginIdentifier::Username(identifier.trim().to_owned()),
            other => {
                return Err(CoreError::BadRequest(format!(
                    "identifierType {other:?} is not supported: use email or username"
                )));
            }
        };
        Ok(self.store.login_candidate(&ident).await?.map(|(user, _)| user))
    }

    /// `reset/email`: the v1 reset link to the account's address; a `sessionId` (unused by the link) either way.
    pub async fn request_reset_v2_email(&self, identifier: &str, identifier_type: &str) -> CoreResult<String> {
        if identifier.trim().is_empty() {
            return Err(CoreError::BadRequest("identifier is required".into()));
        }
        if !matches!(identifier_type, "email" | "username") {
            return Err(CoreError::BadRequest(format!(
                "identifierType {identifier_type:?} is not supported: use email or username"
            )));
        }
        if identifier_type == "email" {
            self.request_password_reset(identifier)?;
        } else {
            // Looked up after the answer, like the email itself.
            let this = self.clone();
            let (identifier, kind) = (identifier.to_owned(), identifier_type.to_owned());
            tokio::spawn(async move {
                if let Ok(Some(user)) = this.account(&identifier, &kind).await
                    && !user.email.is_empty()
                {
                    let _ = this.request_password_reset(&user.email);
                }
            });
        }
        Ok(random_token())
    }

    /// `reset/sms`: texts a code to the account's phone; answers the `sessionId` that names it, whatever the
    /// account.
    pub async fn request_reset_sms(&self, identifier: &str, identifier_type: &str) -> CoreResult<String> {
        if identifier.trim().is_empty() {
            return Err(CoreError::BadRequest("identifier is required".into()));
        }
        if !matches!(identifier_type, "email" | "username") {
            return Err(CoreError::BadRequest(format!(
                "identifierType {identifier_type:?} is not supported: use email or username"
            )));
        }
        let session = random_token();
        let this = self.clone();
        let (identifier, kind, hash) = (identifier.to_owned(), identifier_type.to_owned(), sha256_hex(&session));
        tokio::spawn(async move {
            if let Err(e) = this.text_reset_code(&identifier, &kind, &hash).await {
                tracing::warn!(error = %e, "a password reset code was not sent");
            }
        });
        Ok(session)
    }

    async fn text_reset_code(&self, identifier: &str, kind: &str, session_hash: &str) -> CoreResult<()> {
        let Some(user) = self.account(identifier, kind).await? else { return Ok(()) };
        let Some(phone) = user.phone_number.clone() else { return Ok(()) };
        let code = numeric_code();
        let payload = ResetCode { code: sha256_hex(&code), purpose: PURPOSE.into() };
        let payload = serde_json::to_string(&payload).map_err(|e| CoreError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let challenge = NewChallenge {
            user_id: user.id,
            kind: ChallengeKind::Code,
            token_hash: session_hash,
            payload: Some(&payload),
            expires_at: now + Duration::minutes(RESET_TTL_MINUTES),
        };
        self.store.issue_challenge(challenge, now).await?;
        let vars = Vars::new().set("code", &code).set("expirationMinutes", RESET_TTL_MINUTES.to_string());
        self.delivery.send_sms_template(SmsTemplateType::Otc, &phone, vars).await
    }

    /// `reset/sms/verify`: the texted code of the `sessionId`'s request: the user and a reset token (shown once)
    /// for `users/v1/passwords/reset/verify`. A wrong code counts against it.
    pub async fn verify_reset_sms(&self, session_id: &str, code: &str) -> CoreResult<(yolk_domain::UserId, String)> {
        let invalid = || CoreError::BadRequest(INVALID_RESET_CODE.into());
        let now = self.clock.now();
        let hash = sha256_hex(session_id.trim());
        let found = self.store.challenge_by_token(ChallengeKind::Code, &hash, now, MAX_FAILURES).await?;
        let Some(found) = found else { return Err(invalid()) };
        let payload: Option<ResetCode> = found.payload.as_deref().and_then(|p| serde_json::from_str(p).ok());
        let ok = payload.is_some_and(|p| p.purpose == PURPOSE && constant_time_eq(&sha256_hex(code.trim()), &p.code));
        if !ok {
            self.store.fail_challenge(&found.id).await?;
            return Err(invalid());
        }
        if !self.store.spend_challenges(&[&found.id], now).await? {
            return Err(invalid());
        }
        let token = random_token();
        let expires = now + Duration::minutes(RESET_TTL_MINUTES);
        self.store.issue_secret(found.user_id, SecretPurpose::PasswordReset, &sha256_hex(&token), now, expires).await?;
        Ok((found.user_id, token))
    }
}
