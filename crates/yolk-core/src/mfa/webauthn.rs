//! WebAuthn second factors: a security key or the device's own authenticator (`Platform`, `CrossPlatform`),
//! enrolled at login or by the signed-in user, asked for at login, removed with a fresh assertion.
//!
//! Each step that shows options keeps the ceremony's state in a challenge named by a `webauthnToken` (256 bits,
//! kept as SHA-256, [`CEREMONY_TTL_MINUTES`], single-use, bound to its user, to the login it serves and, for an
//! assertion, to the device and purpose). A failed answer counts against the login's `mfaToken` like a wrong code.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use webauthn_rs::prelude::{SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration};
use yolk_api_types::mfa::WebAuthnDeviceType;
use yolk_domain::settings::MfaStrategy;
use yolk_domain::{User, UserId};
use yolk_store::mfa::{ChallengeKind, Enrollment, LiveChallenge, MfaDevice, MfaDeviceKind};

use super::{FOR_DISABLE, FOR_LOGIN, MAX_FAILURES, Mfa, MfaLogin, bad};
use crate::access::UserContext;
use crate::secrets::sha256_hex;
use crate::webauthn::{self as wa, BrowserCredential, CEREMONY_TTL_MINUTES};
use crate::{CoreError, CoreResult};

/// The MFA strategy that allows a device type.
fn strategy(t: WebAuthnDeviceType) -> MfaStrategy {
    match t {
        WebAuthnDeviceType::Platform => MfaStrategy::WebAuthnPlatform,
        WebAuthnDeviceType::CrossPlatform => MfaStrategy::WebAuthnCrossPlatform,
    }
}

/// A WebAuthn device as kept in `mfa_devices.webauthn`.
#[derive(Debug, Serialize, Deserialize)]
struct StoredKey {
    key: SecurityKey,
    device_type: WebAuthnDeviceType,
}

/// An enrolled WebAuthn device as the device lists show it: id, type, name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnDeviceView {
    pub id: String,
    pub device_type: WebAuthnDeviceType,
    pub name: String,
}

/// A registration in progress (a `WebAuthnEnrollment` challenge's payload).
#[derive(Debug, Serialize, Deserialize)]
struct PendingRegistration {
    state: SecurityKeyRegistration,
    /// The login it serves, when enrolled at login.
    login: Option<String>,
}

/// An assertion asked of a device (a `WebAuthnAssertion` challenge's payload).
#[derive(Debug, Serialize, Deserialize)]
struct PendingAssertion {
    state: SecurityKeyAuthentication,
    device: String,
    /// `login` or `disable`.
    purpose: String,
    login: Option<String>,
}

/// The devices view of stored WebAuthn rows (unreadable rows are skipped, never shown half).
pub(super) fn views(devices: &[MfaDevice]) -> Vec<WebAuthnDeviceView> {
    devices
        .iter()
        .filter(|d| d.kind == MfaDeviceKind::WebAuthn)
        .filter_map(|d| {
            let stored: StoredKey = wa::from_json(d.webauthn.as_deref()).ok()?;
            let name = match stored.device_type {
                WebAuthnDeviceType::Platform => "Platform authenticator",
                WebAuthnDeviceType::CrossPlatform => "Security key",
            };
            Some(WebAuthnDeviceView { id: d.id.clone(), device_type: stored.device_type, name: name.into() })
        })
        .collect()
}

impl Mfa {
    /// `POST /auth/v1/user/mfa/webauthn/enroll`: registration options for a new WebAuthn device of the user of a
    /// login waiting for its second factor (a user with no factor yet): `(webauthnToken, options)`.
    pub async fn webauthn_enroll_at_login(&self, mfa_token: &str) -> CoreResult<(String, Value)> {
        let (login, user) = self.login(mfa_token).await?;
        self.require_webauthn(None).await?;
        self.require_no_factor(&user).await?;
        self.start_registration(&user, Some(&login.id)).await
    }

    /// `POST /auth/v1/user/mfa/webauthn/enroll/verify`: the authenticator's attestation enrolls the device and
    /// completes the login.
    pub async fn webauthn_enroll_verify_at_login(
        &self,
        mfa_token: &str,
        webauthn_token: &str,
        device_type: WebAuthnDeviceType,
        credential: &BrowserCredential,
        remember: bool,
    ) -> CoreResult<MfaLogin> {
        let (login, user) = self.login(mfa_token).await?;
        self.require_no_factor(&user).await?;
        let recovery = self.finish_registration(&user, webauthn_token, device_type, credential, Some(&login)).await?;
        self.complete(&login, user, remember, recovery).await
    }

    /// `POST /auth/v1/user/mfa/webauthn/{deviceId}`: request options for the user's device, for a login waiting for
    /// its second factor: `(webauthnToken, options)`.
    pub async fn webauthn_pre_verify(&self, mfa_token: &str, device_id: &str) -> CoreResult<(String, Value)> {
        let (login, user) = self.login(mfa_token).await?;
        self.start_assertion(user.id, device_id, FOR_LOGIN, Some(&login.id)).await
    }

    /// `POST /auth/v1/user/mfa/webauthn/{deviceId}/verify`: the device's assertion completes the login.
    pub async fn webauthn_verify(
        &self,
        mfa_token: &str,
        device_id: &str,
        webauthn_token: &str,
        credential: &BrowserCredential,
        remember: bool,
    ) -> CoreResult<MfaLogin> {
        let (login, user) = self.login(mfa_token).await?;
        let asked =
            self.check_assertion(user.id, device_id, webauthn_token, credential, FOR_LOGIN, Some(&login)).await?;
        if !self.store.spend_challenges(&[&asked.id, &login.id], self.now()).await? {
            return Err(wa::invalid());
        }
        self.complete(&login, user, remember, None).await
    }

    /// `POST /users/v1/mfa/webauthn/enroll`: registration options for a new WebAuthn device of the signed-in user.
    pub async fn webauthn_enroll(&self, who: &UserContext) -> CoreResult<(String, Value)> {
        self.require_recent_auth(who).await?;
        self.require_webauthn(None).await?;
        let user = self.store.get_user(who.user_id()).await?;
        self.start_registration(&user, None).await
    }

    /// `POST /users/v1/mfa/webauthn/enroll/verify`: the attestation enrolls the device; the recovery code when this
    /// is the user's first factor (shown once), else empty.
    pub async fn webauthn_enroll_verify(
        &self,
        who: &UserContext,
        webauthn_token: &str,
        device_type: WebAuthnDeviceType,
        credential: &BrowserCredential,
    ) -> CoreResult<String> {
        let user = self.store.get_user(who.user_id()).await?;
        let recovery =
            self.finish_registration(&user, webauthn_token, device_type, credential, None).await.map_err(bad)?;
        self.auth.access_cache().invalidate();
        Ok(recovery.unwrap_or_default())
    }

    /// `POST /users/v1/mfa/webauthn/{deviceId}/disable`: request options for the device to remove.
    pub async fn webauthn_disable(&self, who: &UserContext, device_id: &str) -> CoreResult<(String, Value)> {
        self.require_recent_auth(who).await?;
        self.start_assertion(who.user_id(), device_id, FOR_DISABLE, None).await
    }

    /// `POST /users/v1/mfa/webauthn/{deviceId}/disable/verify`: the device's own assertion removes it.
    pub async fn webauthn_disable_verify(
        &self,
        who: &UserContext,
        device_id: &str,
        webauthn_token: &str,
        credential: &BrowserCredential,
    ) -> CoreResult<()> {
        let user = who.user_id();
        let asked =
            self.check_assertion(user, device_id, webauthn_token, credential, FOR_DISABLE, None).await.map_err(bad)?;
        if !self.store.spend_challenges(&[&asked.id], self.now()).await? {
            return Err(CoreError::BadRequest(wa::INVALID_WEBAUTHN.into()));
        }
        self.store.remove_mfa_devices(user, Some(device_id)).await?;
        Ok(())
    }

    /// Refuses unless a WebAuthn strategy is on (`device_type`'s, when known).
    async fn require_webauthn(&self, device_type: Option<WebAuthnDeviceType>) -> CoreResult<()> {
        let strategies = self.settings.mfa_strategies().await?;
        let on = match device_type {
            Some(t) => strategies.is_active(strategy(t)),
            None => {
                strategies.is_active(MfaStrategy::WebAuthnPlatform)
                    || strategies.is_active(MfaStrategy::WebAuthnCrossPlatform)
            }
        };
        if !on {
            return Err(CoreError::BadRequest("The WebAuthn MFA strategy is not enabled".into()));
        }
        Ok(())
    }

    /// Keeps a registration's state: its `webauthnToken` and the creation options.
    async fn start_registration(&self, user: &User, login: Option<&str>) -> CoreResult<(String, Value)> {
        let rp = wa::require(&self.webauthn)?;
        let devices = self.store.mfa_devices(user.id).await?;
        let exclude = devices
            .iter()
            .filter_map(|d| wa::from_json::<StoredKey>(d.webauthn.as_deref()).ok())
            .map(|s| s.key.cred_id().clone())
            .collect();
        let name = if user.email.is_empty() { user.username.clone().unwrap_or_default() } else { user.email.clone() };
        let display = user.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| name.clone());
        let (creation, state) = rp
            .start_securitykey_registration(user.id.as_uuid(), &name, &display, Some(exclude), None, None)
            .map_err(|e| CoreError::Internal(format!("WebAuthn registration: {e}")))?;
        let payload = wa::to_json(&PendingRegistration { state, login: login.map(str::to_owned) })?;
        let token = self.keep_ceremony(user.id, ChallengeKind::WebAuthnEnrollment, &payload).await?;
        Ok((token, wa::options(&creation)?))
    }

    /// Checks a registration answer and enrolls the device (spending the registration and `login` with it): the
    /// recovery code this enrolment set, if the user had none.
    async fn finish_registration(
        &self,
        user: &User,
        webauthn_token: &str,
        device_type: WebAuthnDeviceType,
        credential: &BrowserCredential,
        login: Option<&LiveChallenge>,
    ) -> CoreResult<Option<String>> {
        self.require_webauthn(Some(device_type)).await?;
        let rp = wa::require(&self.webauthn)?;
        let now = self.now();
        let hash = sha256_hex(webauthn_token.trim());
        let pending =
            self.store.challenge_by_token(ChallengeKind::WebAuthnEnrollment, &hash, now, MAX_FAILURES).await?;
        let pending = pending.filter(|p| p.user_id == user.id);
        let parsed = pending.as_ref().and_then(|p| wa::from_json::<PendingRegistration>(p.payload.as_deref()).ok());
        let key = match (&pending, parsed) {
            (Some(p), Some(reg)) if reg.login.as_deref() == login.map(|l| l.id.as_str()) => {
                wa::registration(credential)
                    .and_then(|r| rp.finish_securitykey_registration(&r, &reg.state).map_err(wa::refused))
                    .map_err(|e| (Some(p.id.clone()), e))
            }
            _ => Err((None, wa::invalid())),
        };
        let key = match key {
            Ok(k) => k,
            Err((pending_id, e)) => {
                if let Some(id) = pending_id {
                    self.store.fail_challenge(&id).await?;
                }
                if let Some(l) = login {
                    self.store.fail_challenge(&l.id).await?;
                }
                return Err(e);
            }
        };
        let pending = pending.expect("matched above");
        let (shown, recovery_hash) = self.first_recovery_code(user, None).await?;
        let device = MfaDevice {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id,
            kind: MfaDeviceKind::WebAuthn,
            totp_secret: None,
            phone_number: None,
            last_step: 0,
            credential_id: Some(wa::encode_b64url(key.cred_id().as_ref())),
            webauthn: Some(wa::to_json(&StoredKey { key, device_type })?),
            created_at: now,
        };
        let mut spend = vec![pending.id.as_str()];
        if let Some(l) = login {
            spend.push(l.id.as_str());
        }
        let enrollment = Enrollment { device: &device, recovery_code_hash: recovery_hash.as_deref(), spend: &spend };
        if !self.store.enroll_mfa_device(enrollment, now).await? {
            return Err(wa::invalid());
        }
        Ok(shown)
    }

    /// Keeps an assertion's state for the user's device: its `webauthnToken` and the request options.
    async fn start_assertion(
        &self,
        user: UserId,
        device_id: &str,
        purpose: &str,
        login: Option<&str>,
    ) -> CoreResult<(String, Value)> {
        let rp = wa::require(&self.webauthn)?;
        let (_, stored) = self.webauthn_device(user, device_id).await?;
        let (request, state) = rp
            .start_securitykey_authentication(&[stored.key])
            .map_err(|e| CoreError::Internal(format!("WebAuthn authentication: {e}")))?;
        let pending = PendingAssertion {
            state,
            device: device_id.to_owned(),
            purpose: purpose.to_owned(),
            login: login.map(str::to_owned),
        };
        let token = self.keep_ceremony(user, ChallengeKind::WebAuthnAssertion, &wa::to_json(&pending)?).await?;
        Ok((token, wa::options(&request)?))
    }

    /// Checks an assertion answer against the ceremony `webauthn_token` names (its user, device, purpose and
    /// login must match): the live ceremony, to spend. The device's signature counter is kept. A failure counts
    /// against the ceremony and `login`.
    async fn check_assertion(
        &self,
        user: UserId,
        device_id: &str,
        webauthn_token: &str,
        credential: &BrowserCredential,
        purpose: &str,
        login: Option<&LiveChallenge>,
    ) -> CoreResult<LiveChallenge> {
        let rp = wa::require(&self.webauthn)?;
        let now = self.now();
        let hash = sha256_hex(webauthn_token.trim());
        let asked = self.store.challenge_by_token(ChallengeKind::WebAuthnAssertion, &hash, now, MAX_FAILURES).await?;
        let asked = asked.filter(|a| a.user_id == user);
        let pending = asked.as_ref().and_then(|a| wa::from_json::<PendingAssertion>(a.payload.as_deref()).ok());
        let device = self.webauthn_device(user, device_id).await;
        let checked = match (&asked, pending, device) {
            (Some(_), Some(p), Ok((row, mut stored)))
                if p.device == device_id
                    && p.purpose == purpose
                    && p.login.as_deref() == login.map(|l| l.id.as_str()) =>
            {
                match wa::assertion(credential)
                    .and_then(|c| rp.finish_securitykey_authentication(&c, &p.state).map_err(wa::refused))
                {
                    Ok(result) => {
                        let changed = stored.key.update_credential(&result) == Some(true);
                        Ok((row, changed, stored))
                    }
                    Err(e) => Err(e),
                }
            }
            _ => Err(wa::invalid()),
        };
        match checked {
            Ok((row, changed, stored)) => {
                if changed {
                    self.store.update_webauthn_device(&row.id, &wa::to_json(&stored)?).await?;
                }
                Ok(asked.expect("matched above"))
            }
            Err(e) => {
                if let Some(a) = &asked {
                    self.store.fail_challenge(&a.id).await?;
                }
                if let Some(l) = login {
                    self.store.fail_challenge(&l.id).await?;
                }
                Err(e)
            }
        }
    }

    /// The user's WebAuthn device `device_id` and its stored key (`NotFound(MfaDevice)` otherwise).
    async fn webauthn_device(&self, user: UserId, device_id: &str) -> CoreResult<(MfaDevice, StoredKey)> {
        let device = self.device_of(user, MfaDeviceKind::WebAuthn, device_id).await?;
        let stored = wa::from_json(device.webauthn.as_deref())?;
        Ok((device, stored))
    }

    /// Keeps a ceremony's state for `user` (its newest of `kind` only): the token that names it.
    async fn keep_ceremony(&self, user: UserId, kind: ChallengeKind, payload: &str) -> CoreResult<String> {
        self.keep_challenge(user, kind, payload, Duration::minutes(CEREMONY_TTL_MINUTES)).await
    }
}
