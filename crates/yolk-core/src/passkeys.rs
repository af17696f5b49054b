//! Passkeys: discoverable WebAuthn credentials a user registers while signed in (`users/webauthn/v1/devices`) and
//! then signs in with, without a password (`auth/v1/webauthn/prelogin` + `postlogin`).
//!
//! **Registration** needs a recent sign-in (as changing an address does) and user verification; the ceremony's
//! state is the user's newest `PasskeyRegistration` challenge ([`CEREMONY_TTL_MINUTES`], single-use).
//!
//! **Sign-in.** Frontegg's postlogin carries only the browser's answer, so the ceremony is found by the challenge
//! the authenticator signed (its hash names the `PasskeyLogin` challenge). The prelogin names the account (email or
//! user id) and the ceremony is bound to it; the options are the same discoverable request (no credential ids) for
//! every address, known or not, so they tell nothing about the account. The answer must come from a passkey of
//! that account, with its user handle. The sign-in then ends like every first factor, in
//! [`AuthService::finish_first_factor`]: the MFA policy still applies.

use std::sync::Arc;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use webauthn_rs::Webauthn;
use webauthn_rs::prelude::{DiscoverableAuthentication, PasskeyRegistration};
use yolk_domain::{Clock, UserId};
use yolk_store::mfa::{ChallengeKind, NewChallenge, Passkey};
use yolk_store::{Store, StoreError};

use crate::access::UserContext;
use crate::auth::AuthService;
use crate::mfa::{LoginOutcome, MAX_FAILURES};
use crate::secrets::{random_token, sha256_hex};
use crate::webauthn::{self as wa, BrowserCredential, CEREMONY_TTL_MINUTES};
use crate::{CoreError, CoreResult};

/// Passkeys (cheap to clone).
#[derive(Clone)]
pub struct Passkeys {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth: AuthService,
    pub(crate) webauthn: Option<Arc<Webauthn>>,
}

/// A registration in progress.
#[derive(Debug, Serialize, Deserialize)]
struct PendingRegistration {
    state: PasskeyRegistration,
}

/// A sign-in in progress.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    state: DiscoverableAuthentication,
}

/// Who a passkey prelogin names.
#[derive(Debug, Clone, Copy)]
pub enum PasskeyAccount<'a> {
    Email(&'a str),
    User(UserId),
}

impl Passkeys {
    /// `POST /users/webauthn/v1/devices`: creation options for a new passkey of the signed-in user.
    pub async fn registration_options(&self, who: &UserContext) -> CoreResult<Value> {
        let rp = wa::require(&self.webauthn)?;
        crate::identifiers::require_recent_auth(&self.store, &self.clock, who).await?;
        let user = self.store.get_user(who.user_id()).await?;
        let exclude = self
            .store
            .passkeys(user.id)
            .await?
            .iter()
            .filter_map(|p| serde_json::from_str::<webauthn_rs::prelude::Passkey>(&p.credential).ok())
            .map(|p| p.cred_id().clone())
            .collect();
        let name = if user.email.is_empty() { user.username.clone().unwrap_or_default() } else { user.email.clone() };
        let display = user.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| name.clone());
        let (creation, state) = rp
            .start_passkey_registration(user.id.as_uuid(), &name, &display, Some(exclude))
            .map_err(|e| CoreError::Internal(format!("WebAuthn registration: {e}")))?;
        let payload = wa::to_json(&PendingRegistration { state })?;
        self.keep(user.id, ChallengeKind::PasskeyRegistration, &sha256_hex(&random_token()), &payload).await?;
        wa::options(&creation)
    }

    /// `POST /users/webauthn/v1/devices/verify`: the attestation of the user's newest registration adds the
    /// passkey. A bad answer is a 400 and counts against the registration.
    pub async fn register(
        &self,
        who: &UserContext,
        credential: &BrowserCredential,
        device_type: &str,
    ) -> CoreResult<()> {
        let rp = wa::require(&self.webauthn)?;
        let now = self.clock.now();
        let bad = || CoreError::BadRequest(wa::INVALID_WEBAUTHN.into());
        let pending =
            self.store.user_challenge(who.user_id(), ChallengeKind::PasskeyRegistration, now, MAX_FAILURES).await?;
        let pending = pending.ok_or_else(bad)?;
        let reg: PendingRegistration = wa::from_json(pending.payload.as_deref())?;
        let key = wa::registration(credential)
            .and_then(|r| rp.finish_passkey_registration(&r, &reg.state).map_err(wa::refused));
        let Ok(key) = key else {
            self.store.fail_challenge(&pending.id).await?;
            return Err(bad());
        };
        let passkey = Passkey {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: who.user_id(),
            credential_id: wa::encode_b64url(key.cred_id().as_ref()),
            credential: wa::to_json(&key)?,
            device_type: if device_type == "Platform" { "Platform" } else { "CrossPlatform" }.to_owned(),
            created_at: now,
        };
        if !self.store.add_passkey(&passkey, &[&pending.id], now).await? {
            return Err(bad());
        }
        Ok(())
    }

    /// `GET /users/webauthn/v1/devices`: the signed-in user's passkeys.
    pub async fn list(&self, who: &UserContext) -> CoreResult<Vec<Passkey>> {
        Ok(self.store.passkeys(who.user_id()).await?)
    }

    /// `DELETE /users/webauthn/v1/devices/{deviceId}`: removes one of the signed-in user's passkeys.
    pub async fn remove(&self, who: &UserContext, id: &str) -> CoreResult<()> {
        if !self.store.remove_passkey(who.user_id(), id).await? {
            return Err(CoreError::NotFound(yolk_store::Entity::MfaDevice));
        }
        Ok(())
    }

    /// `POST /auth/v1/webauthn/prelogin`: request options for a passkey sign-in of the named account; the same
    /// shape for every account, known or not.
    pub async fn prelogin(&self, account: PasskeyAccount<'_>) -> CoreResult<Value> {
        let rp = wa::require(&self.webauthn)?;
        let (request, state) = rp
            .start_discoverable_authentication()
            .map_err(|e| CoreError::Internal(format!("WebAuthn authentication: {e}")))?;
        let options = wa::options(&request)?;
        let user = match account {
            PasskeyAccount::Email(email) => self.store.get_user_by_email(email.trim()).await,
            PasskeyAccount::User(id) => self.store.get_user(id).await,
        };
        match user {
            Ok(user) => {
                let hash = sha256_hex(&wa::options_challenge(&options)?);
                let payload = wa::to_json(&PendingLogin { state })?;
                self.keep(user.id, ChallengeKind::PasskeyLogin, &hash, &payload).await?;
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(options)
    }

    /// `POST /auth/v1/webauthn/postlogin`: the passkey's assertion signs the account in (through the MFA gate).
    pub async fn postlogin(
        &self,
        credential: &BrowserCredential,
        remembered: Option<&str>,
    ) -> CoreResult<LoginOutcome> {
        let rp = wa::require(&self.webauthn)?;
        let now = self.clock.now();
        let hash = sha256_hex(&wa::signed_challenge(credential)?);
        let ceremony = self.store.challenge_by_token(ChallengeKind::PasskeyLogin, &hash, now, MAX_FAILURES).await?;
        let ceremony = ceremony.ok_or_else(wa::invalid)?;
        let pending: PendingLogin = wa::from_json(ceremony.payload.as_deref())?;
        let stored = match wa::decode_b64url(&credential.id) {
            Some(raw) => self.store.passkey_by_credential(&wa::encode_b64url(&raw)).await?,
            None => None,
        };
        let checked = stored.filter(|p| p.user_id == ceremony.user_id).ok_or_else(wa::invalid).and_then(|p| {
            let mut key: webauthn_rs::prelude::Passkey = wa::from_json(Some(&p.credential))?;
            let answer = wa::assertion(credential)?;
            let (handle, _) = rp.identify_discoverable_authentication(&answer).map_err(wa::refused)?;
            if handle != ceremony.user_id.as_uuid() {
                return Err(wa::invalid());
            }
            let result = rp.finish_discoverable_authentication_v2(&answer, pending.state, &key).map_err(wa::refused)?;
            let changed = key.update_credential(&result) == Some(true);
            Ok((p, key, changed))
        });
        let (row, key, changed) = match checked {
            Ok(found) => found,
            Err(e) => {
                self.store.fail_challenge(&ceremony.id).await?;
                return Err(e);
            }
        };
        if !self.store.spend_challenges(&[&ceremony.id], now).await? {
            return Err(wa::invalid());
        }
        if changed {
            self.store.update_passkey(&row.id, &wa::to_json(&key)?).await?;
        }
        let user = self.store.get_user(ceremony.user_id).await.map_err(|_| wa::invalid())?;
        if user.locked {
            return Err(wa::invalid());
        }
        self.auth.finish_first_factor(user, remembered, false).await
    }

    async fn keep(&self, user: UserId, kind: ChallengeKind, token_hash: &str, payload: &str) -> CoreResult<()> {
        let now = self.clock.now();
        let challenge = NewChallenge {
            user_id: user,
            kind,
            token_hash,
            payload: Some(payload),
            expires_at: now + Duration::minutes(CEREMONY_TTL_MINUTES),
        };
        Ok(self.store.issue_challenge(challenge, now).await?)
    }
}
