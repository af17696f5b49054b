//! Multi-factor authentication: the second factor of a login, and the user's own factors.
//!
//! **At login.** Every first factor (password, magic link) ends in [`AuthService::finish_first_factor`]: a user
//! with an enrolled factor, or any user when the MFA policy in force forces MFA, gets no token but an `mfaToken`:
//! 256 random bits, stored as SHA-256, bound to the user, valid [`MFA_TOKEN_TTL_MINUTES`], dead after
//! [`MAX_FAILURES`] wrong codes, spent by the step that completes the login. Only then does a session start. A user
//! the policy forces who has no factor gets the enrolment payload with it (`qrCode`, `recoveryCode`): its first code
//! enrolls the authenticator and completes the login. A device the user asked to remember (the policy allowing it)
//! skips the second factor until the policy's `mfaDeviceExpiration`.
//!
//! **Factors.** An authenticator app: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of skew either
//! way); the last step accepted is kept per device and a code of that step or an earlier one is refused, so every
//! code works once. A code by email: 6 digits, sent to the user's address, named by an `otcToken`, valid for the
//! MFA configuration's lifetime, [`MAX_FAILURES`] guesses. The recovery code (shown once, stored as SHA-256) turns
//! MFA off when the factors are lost; the user then logs in with its password alone and enrolls again if forced.
//!
//! **Changes.** A user enrolls an authenticator with its user token and a first code; removing one needs a current
//! code of it. The environment may unenroll anyone.

mod webauthn;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use totp_rs::{Builder, Secret};
use yolk_domain::settings::{EnforceMfaType, MfaPolicy, MfaStrategy};
use yolk_domain::{Clock, TenantId, User, UserId};
use yolk_store::mfa::{ChallengeKind, Enrollment, LiveChallenge, MfaDevice, MfaDeviceKind, NewChallenge};
use yolk_store::{Store, StoreError};

use crate::access::{Environment, UserContext};
use crate::auth::{AuthService, IssuedTokens};
use crate::delivery::Delivery;
use crate::delivery::templates::Vars;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::settings::Settings;
use crate::{CoreError, CoreResult};
use yolk_domain::delivery_settings::{EmailTemplateType, SmsTemplateType};

pub use webauthn::WebAuthnDeviceView;

/// A login challenge's payload when its first factor was the password.
const BY_PASSWORD: &str = "password";

/// How long an `mfaToken` (a login waiting for its second factor) lives.
pub const MFA_TOKEN_TTL_MINUTES: i64 = 10;

/// How long an authenticator waits for its first code.
pub const ENROLLMENT_TTL_MINUTES: i64 = 15;

/// Wrong codes an `mfaToken`, an enrolment or an emailed code survives.
pub const MAX_FAILURES: i64 = 5;

/// The TOTP step, in seconds.
const STEP_SECS: i64 = 30;

/// What every wrong or expired second-factor attempt is told.
pub const INVALID_CODE: &str = "Invalid or expired MFA code";

/// What every wrong, spent or expired `mfaToken` is told.
pub const INVALID_MFA_TOKEN: &str = "Invalid or expired MFA token";

/// How a first factor ends.
#[derive(Debug)]
pub enum LoginOutcome {
    /// No second factor needed: the session started.
    Session(Box<IssuedTokens>),
    /// A second factor is needed first.
    Mfa(Box<MfaRequired>),
    /// The password expired under the rotation policy: no session; the token resets it.
    PasswordExpired(Box<crate::password_rules::PasswordExpired>),
}

/// The login's MFA branch: what the client shows to ask for the second factor.
#[derive(Debug, Clone)]
pub struct MfaRequired {
    /// The token the next step presents (shown once).
    pub mfa_token: String,
    pub user_id: UserId,
    pub user_email: String,
    /// Whether the user has a factor of its own (else it enrolls one now).
    pub enrolled: bool,
    pub devices: MfaDevices,
    /// The strategies the environment allows.
    pub strategies: Vec<MfaStrategy>,
    /// The authenticator to enroll, as a PNG data URL of its QR code (forced enrolment only).
    pub qr_code: Option<String>,
    /// The recovery code the enrolment will set (forced enrolment only; shown once).
    pub recovery_code: Option<String>,
}

/// A user's factors as the login response and the device lists show them.
#[derive(Debug, Clone, Default)]
pub struct MfaDevices {
    /// Authenticator apps, by id.
    pub authenticators: Vec<String>,
    /// Phones: id and number.
    pub phones: Vec<(String, String)>,
    /// Addresses codes may be emailed to (the user's own, when the environment allows email codes).
    pub emails: Vec<String>,
    /// WebAuthn devices.
    pub webauthn: Vec<WebAuthnDeviceView>,
}

/// What completes a login's second factor: the session, the recovery code when this step enrolled the first
/// factor, and the token of a device to remember.
#[derive(Debug)]
pub struct MfaLogin {
    /// The session, or the expired password's reset (never `Mfa`).
    pub outcome: LoginOutcome,
    pub recovery_code: Option<String>,
    /// The remember-device token (shown once; the cookie's value) and how long it lasts.
    pub remembered: Option<(String, DateTime<Utc>)>,
}

/// A TOTP key waiting for its first code (a `TotpEnrollment` challenge's payload).
#[derive(Debug, Serialize, Deserialize)]
struct PendingAuthenticator {
    secret: String,
    /// SHA-256 of the recovery code already shown for it (forced enrolment at login), if any.
    #[serde(default)]
    recovery: Option<String>,
}

/// A code sent by email or SMS (a `Code` challenge's payload).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SentCode {
    /// SHA-256 of the code.
    pub(crate) code: String,
    /// The login challenge it serves.
    #[serde(default)]
    pub(crate) login: Option<String>,
    /// What it proves: `login` (the second factor), `enroll` (a new phone), `disable` (removing a phone), or a
    /// purpose of another service (`crate::phone_numbers`).
    #[serde(default)]
    pub(crate) purpose: Option<String>,
    /// The phone it was sent to (enrolment: the number to enroll).
    #[serde(default)]
    pub(crate) phone: Option<String>,
    /// The device it was sent to.
    #[serde(default)]
    pub(crate) device: Option<String>,
}

/// The purposes of a code.
const FOR_LOGIN: &str = "login";
const FOR_ENROLL: &str = "enroll";
const FOR_DISABLE: &str = "disable";

/// Whether `number` is an E.164 phone number (`+` and 7 to 15 digits, not starting with 0).
fn valid_phone(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or_default();
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// MFA (cheap to clone).
#[derive(Clone)]
pub struct Mfa {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    pub(crate) delivery: Delivery,
    pub(crate) auth: AuthService,
    /// WebAuthn's relying party (`None`: WebAuthn factors cannot be used; see [`crate::webauthn`]).
    pub(crate) webauthn: Option<Arc<::webauthn_rs::Webauthn>>,
}

impl AuthService {
    /// Ends a first factor that proved `user`: a session, or the MFA branch when the user must give a second
    /// factor. `remembered` is the remember-device token the client presented, if any; `by_password` says the
    /// first factor was the password, whose age the rotation policy then judges (after the second factor).
    pub async fn finish_first_factor(
        &self,
        user: User,
        remembered: Option<&str>,
        by_password: bool,
    ) -> CoreResult<LoginOutcome> {
        self.finish_factor(user, remembered, by_password, false).await
    }

    /// Ends a SAML single sign-on that proved `user`: as [`AuthService::finish_first_factor`], except that the MFA
    /// policy `ForceExceptSAML` does not force a second factor (the IdP did the strong authentication).
    pub async fn finish_saml_sign_on(&self, user: User) -> CoreResult<LoginOutcome> {
        self.finish_factor(user, None, false, true).await
    }

    async fn finish_factor(
        &self,
        user: User,
        remembered: Option<&str>,
        by_password: bool,
        saml: bool,
    ) -> CoreResult<LoginOutcome> {
        if user.expired(self.clock().now()) {
            return Err(CoreError::Unauthorized(crate::auth::TEMPORARY_USER_EXPIRED.into()));
        }
        match self.mfa_challenge(&user, remembered, by_password, saml).await? {
            Some(mfa) => Ok(LoginOutcome::Mfa(Box::new(mfa))),
            None => self.after_factors(user, by_password).await,
        }
    }

    /// Every factor given: a session, unless the password expired under the rotation policy.
    pub(crate) async fn after_factors(&self, user: User, by_password: bool) -> CoreResult<LoginOutcome> {
        use crate::password_rules::Rotation;
        let rotation = if by_password { self.password_rotation(&user).await? } else { Rotation::Fine };
        match rotation {
            Rotation::Expired(expired) => Ok(LoginOutcome::PasswordExpired(Box::new(expired))),
            Rotation::Fine => Ok(LoginOutcome::Session(Box::new(self.start_session(user).await?))),
            Rotation::Soon { expires_in, notification_period } => {
                let mut issued = self.start_session(user).await?;
                issued.password_expiry = Some((expires_in, notification_period));
                Ok(LoginOutcome::Session(Box::new(issued)))
            }
        }
    }

    /// The MFA branch for `user`, or `None` when no second factor is needed.
    async fn mfa_challenge(
        &self,
        user: &User,
        remembered: Option<&str>,
        by_password: bool,
        saml: bool,
    ) -> CoreResult<Option<MfaRequired>> {
        let store = self.store();
        let now = self.clock().now();
        let devices = store.mfa_devices(user.id).await?;
        let policy = self.settings().mfa_policy(self.policy_tenant(user).await?.as_ref()).await?;
        let forced = match policy.enforce_mfa_type {
            EnforceMfaType::DontForce => false,
            EnforceMfaType::Force => true,
            EnforceMfaType::ForceExceptSaml => !saml,
        };
        if devices.is_empty() && !forced {
            return Ok(None);
        }
        if let Some(token) = remembered
            && policy.allow_remember_my_device
            && store.is_device_remembered(user.id, &sha256_hex(token), now).await?
        {
            return Ok(None);
        }
        let strategies = self.settings().mfa_strategies().await?;
        let mfa_token = random_token();
        let expires_at = now + Duration::minutes(MFA_TOKEN_TTL_MINUTES);
        let challenge = NewChallenge {
            user_id: user.id,
            kind: ChallengeKind::Login,
            token_hash: &sha256_hex(&mfa_token),
            payload: by_password.then_some(BY_PASSWORD),
            expires_at,
        };
        store.issue_challenge(challenge, now).await?;
        let enrolled = !devices.is_empty();
        let (qr_code, recovery_code) = if !enrolled && strategies.is_active(MfaStrategy::AuthenticatorApp) {
            let recovery = recovery_code();
            let qr = issue_enrollment(store, self.settings(), now, user, Some(&recovery)).await?;
            (Some(qr), Some(recovery))
        } else {
            (None, None)
        };
        let active: Vec<MfaStrategy> = MfaStrategy::ALL.into_iter().filter(|s| strategies.is_active(*s)).collect();
        Ok(Some(MfaRequired {
            mfa_token,
            user_id: user.id,
            user_email: user.email.clone(),
            enrolled,
            devices: device_view(&devices, user, &active),
            strategies: active,
            qr_code,
            recovery_code,
        }))
    }

    /// The tenant whose policies apply to `user`.
    pub(crate) async fn policy_tenant(&self, user: &User) -> CoreResult<Option<TenantId>> {
        crate::password_rules::policy_tenant(self.store(), user).await
    }
}

/// The factors a login or a device list shows.
fn device_view(devices: &[MfaDevice], user: &User, active: &[MfaStrategy]) -> MfaDevices {
    let mut view = MfaDevices::default();
    for d in devices {
        match d.kind {
            MfaDeviceKind::Authenticator => view.authenticators.push(d.id.clone()),
            MfaDeviceKind::Sms => view.phones.push((d.id.clone(), mask_phone(d.phone_number.as_deref()))),
            MfaDeviceKind::WebAuthn => {}
        }
    }
    view.webauthn = webauthn::views(devices);
    if active.contains(&MfaStrategy::EmailCode) && !user.email.is_empty() {
        view.emails.push(user.email.clone());
    }
    view
}

/// A phone number with all but its last 4 digits hidden.
pub(crate) fn mask_phone(number: Option<&str>) -> String {
    let number = number.unwrap_or_default();
    let keep = number.len().saturating_sub(4);
    number.chars().enumerate().map(|(i, c)| if i < keep && c.is_ascii_digit() { '*' } else { c }).collect()
}

/// A new recovery code: 120 random bits as 24 base32 characters in groups of 4.
fn recovery_code() -> String {
    let mut buf = [0u8; 15];
    aws_lc_rs::rand::fill(&mut buf).expect("the system CSPRNG is available");
    let text = Secret::from(buf.to_vec()).to_base32();
    text.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The hash a recovery code is kept as: case, spaces and dashes do not matter.
fn recovery_hash(code: &str) -> String {
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    sha256_hex(&normalized.to_ascii_uppercase())
}

/// A new 6-digit code for email or SMS (uniform: rejection sampling over 32-bit draws).
pub(crate) fn numeric_code() -> String {
    loop {
        let mut buf = [0u8; 4];
        aws_lc_rs::rand::fill(&mut buf).expect("the system CSPRNG is available");
        let n = u32::from_be_bytes(buf);
        // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// Keeps a new TOTP key for `user` (its newest enrolment only) and answers its QR code as a PNG data URL.
async fn issue_enrollment(
    store: &Arc<dyn Store>,
    settings: &Settings,
    now: DateTime<Utc>,
    user: &User,
    recovery: Option<&str>,
) -> CoreResult<String> {
    let mut key = [0u8; 20];
    aws_lc_rs::rand::fill(&mut key).expect("the system CSPRNG is available");
    let secret = Secret::from(key.to_vec()).to_base32();
    let issuer = settings.mfa_config().await?.authentication_app.service_name;
    let account = if user.email.is_empty() { user.username.clone().unwrap_or_default() } else { user.email.clone() };
    let totp = totp(&secret, Some((&issuer, &account)))?;
    let png = totp.to_qr_base64().map_err(|e| CoreError::Internal(format!("QR code: {e}")))?;
    let payload = PendingAuthenticator { secret, recovery: recovery.map(recovery_hash) };
    let payload = serde_json::to_string(&payload).map_err(|e| CoreError::Internal(e.to_string()))?;
    let challenge = NewChallenge {
        user_id: user.id,
        kind: ChallengeKind::TotpEnrollment,
        token_hash: &sha256_hex(&random_token()),
        payload: Some(&payload),
        expires_at: now + Duration::minutes(ENROLLMENT_TTL_MINUTES),
    };
    store.issue_challenge(challenge, now).await?;
    Ok(format!("data:image/png;base64,{png}"))
}

/// The TOTP of a base32 key (with the label an authenticator app shows, for the QR code).
fn totp(secret: &str, label: Option<(&str, &str)>) -> CoreResult<totp_rs::Totp> {
    let bytes = Secret::try_from_base32(secret)
        .map_err(|_| CoreError::Internal("a stored TOTP key is not base32".into()))?
        .as_ref()
        .to_vec();
    let mut builder = Builder::new().with_secret(bytes).with_digits(6).with_step_duration(STEP_SECS as u64);
    if let Some((issuer, account)) = label {
        let clean = |s: &str| s.replace(':', "_");
        builder = builder.with_issuer(Some(clean(issuer))).with_account_name(clean(account));
    }
    builder.build().map_err(|e| CoreError::Internal(format!("TOTP: {e}")))
}

/// The time step whose code `code` is, within one step of `now`; every candidate is compared (in constant time).
fn matching_step(secret: &str, code: &str, now: DateTime<Utc>) -> CoreResult<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret, None)?;
    let current = now.timestamp().div_euclid(STEP_SECS);
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        let Ok(at) = u64::try_from(step * STEP_SECS) else { continue };
        if constant_time_eq(&totp.generate(at).to_string(), code) && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

impl Mfa {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The live login an `mfaToken` names, and its user (locked users cannot complete a login).
    async fn login(&self, mfa_token: &str) -> CoreResult<(LiveChallenge, User)> {
        let invalid = || CoreError::Unauthorized(INVALID_MFA_TOKEN.into());
        let hash = sha256_hex(mfa_token.trim());
        let challenge = self.store.challenge_by_token(ChallengeKind::Login, &hash, self.now(), MAX_FAILURES).await?;
        let challenge = challenge.ok_or_else(invalid)?;
        let user = self.store.get_user(challenge.user_id).await.map_err(|_| invalid())?;
        if user.locked || user.expired(self.now()) {
            return Err(invalid());
        }
        Ok((challenge, user))
    }

    /// Starts the session a completed second factor earned, remembering the device when asked and allowed.
    async fn complete(
        &self,
        login: &LiveChallenge,
        user: User,
        remember: bool,
        recovery_code: Option<String>,
    ) -> CoreResult<MfaLogin> {
        let remembered = if remember {
            let tenant = self.auth.policy_tenant(&user).await?;
            let policy = self.settings.mfa_policy(tenant.as_ref()).await?;
            if policy.allow_remember_my_device {
                let token = random_token();
                let now = self.now();
                let until = now + Duration::seconds(policy.mfa_device_expiration);
                self.store.remember_device(user.id, &sha256_hex(&token), now, until).await?;
                Some((token, until))
            } else {
                None
            }
        } else {
            None
        };
        let by_password = login.payload.as_deref() == Some(BY_PASSWORD);
        let outcome = self.auth.after_factors(user, by_password).await?;
        Ok(MfaLogin { outcome, recovery_code, remembered })
    }

    /// `POST /auth/v1/user/mfa/verify` (and `authenticator/{deviceId}/verify` with `device`): completes a login
    /// with an authenticator code. A user without an authenticator completes the enrolment started at login (or
    /// by `authenticator/enroll`) with its first code. A wrong code counts against the `mfaToken`.
    pub async fn verify_authenticator(
        &self,
        mfa_token: &str,
        code: &str,
        device: Option<&str>,
        remember: bool,
    ) -> CoreResult<MfaLogin> {
        let (login, user) = self.login(mfa_token).await?;
        let devices: Vec<MfaDevice> = self
            .store
            .mfa_devices(user.id)
            .await?
            .into_iter()
            .filter(|d| d.kind == MfaDeviceKind::Authenticator && device.is_none_or(|id| id == d.id))
            .collect();
        if devices.is_empty() && device.is_some() {
            return Err(CoreError::Unauthorized(INVALID_CODE.into()));
        }
        if devices.is_empty() {
            // Enrolling at login is the first factor's way in only for a user with none: one with a phone or a key
            // must give it.
            self.require_no_factor(&user).await?;
            let recovery = self.enroll_with_code(&user, code, Some(&login)).await?;
            return self.complete(&login, user, remember, recovery).await;
        }
        if !self.accept_code(&devices, code).await? {
            self.store.fail_challenge(&login.id).await?;
            return Err(CoreError::Unauthorized(INVALID_CODE.into()));
        }
        if !self.store.spend_challenges(&[&login.id], self.now()).await? {
            return Err(CoreError::Unauthorized(INVALID_MFA_TOKEN.into()));
        }
        self.complete(&login, user, remember, None).await
    }

    /// Whether `code` is a fresh code of one of `devices` (then its step is spent).
    async fn accept_code(&self, devices: &[MfaDevice], code: &str) -> CoreResult<bool> {
        let now = self.now();
        for d in devices {
            let Some(secret) = d.totp_secret.as_deref() else { continue };
            if let Some(step) = matching_step(secret, code, now)? {
                return Ok(self.store.accept_totp_step(&d.id, step).await?);
            }
        }
        Ok(false)
    }

    /// Enrolls the user's pending authenticator with its first code (spending `login` too, when given): the
    /// recovery code set by this enrolment (shown once), if the user had none.
    async fn enroll_with_code(
        &self,
        user: &User,
        code: &str,
        login: Option<&LiveChallenge>,
    ) -> CoreResult<Option<String>> {
        let now = self.now();
        let wrong = || CoreError::Unauthorized(INVALID_CODE.into());
        let pending = self.store.user_challenge(user.id, ChallengeKind::TotpEnrollment, now, MAX_FAILURES).await?;
        let Some(pending) = pending else {
            if let Some(l) = login {
                self.store.fail_challenge(&l.id).await?;
            }
            return Err(wrong());
        };
        let key: PendingAuthenticator = serde_json::from_str(pending.payload.as_deref().unwrap_or_default())
            .map_err(|e| CoreError::Internal(format!("stored enrolment: {e}")))?;
        let Some(step) = matching_step(&key.secret, code, now)? else {
            self.store.fail_challenge(&pending.id).await?;
            if let Some(l) = login {
                self.store.fail_challenge(&l.id).await?;
            }
            return Err(wrong());
        };
        let (shown, hash) = self.first_recovery_code(user, key.recovery).await?;
        let device = MfaDevice {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id,
            kind: MfaDeviceKind::Authenticator,
            totp_secret: Some(key.secret),
            phone_number: None,
            last_step: step,
            credential_id: None,
            webauthn: None,
            created_at: now,
        };
        let mut spend = vec![pending.id.as_str()];
        if let Some(l) = login {
            spend.push(l.id.as_str());
        }
        let enrollment = Enrollment { device: &device, recovery_code_hash: hash.as_deref(), spend: &spend };
        if !self.store.enroll_mfa_device(enrollment, now).await? {
            return Err(wrong());
        }
        Ok(shown)
    }

    /// The recovery code an enrolment sets when the user has none: `(to show, its hash)`. `(None, None)` when the
    /// user has one; `shown_hash` is the hash of a code already shown (with the enrolment payload at login).
    async fn first_recovery_code(
        &self,
        user: &User,
        shown_hash: Option<String>,
    ) -> CoreResult<(Option<String>, Option<String>)> {
        if self.store.recovery_code_hash(user.id).await?.is_some() {
            return Ok((None, None));
        }
        if let Some(hash) = shown_hash {
            return Ok((None, Some(hash)));
        }
        let code = recovery_code();
        let hash = recovery_hash(&code);
        Ok((Some(code), Some(hash)))
    }

    /// `POST /auth/v1/user/mfa/authenticator/enroll`: a new authenticator key for the user of a login waiting for
    /// its second factor, as a QR code. Only for a user with no authenticator: one who has one gives its code.
    pub async fn enroll_authenticator_at_login(&self, mfa_token: &str) -> CoreResult<String> {
        let (_, user) = self.login(mfa_token).await?;
        self.require_strategy(MfaStrategy::AuthenticatorApp).await?;
        self.require_no_factor(&user).await?;
        issue_enrollment(&self.store, &self.settings, self.now(), &user, None).await
    }

    /// `POST /auth/v1/user/mfa/emailcode`: emails a 6-digit code to the user of a login waiting for its second
    /// factor; answers the `otcToken` that names it.
    pub async fn send_email_code(&self, mfa_token: &str) -> CoreResult<String> {
        let (login, user) = self.login(mfa_token).await?;
        self.require_strategy(MfaStrategy::EmailCode).await?;
        let config = self.settings.mfa_config().await?;
        if !config.email.active || user.email.is_empty() {
            return Err(CoreError::BadRequest("Email codes are not enabled".into()));
        }
        let code = numeric_code();
        let lifetime = config.email.token_lifetime_seconds;
        let sent = SentCode {
            code: sha256_hex(&code),
            login: Some(login.id),
            purpose: Some(FOR_LOGIN.into()),
            phone: None,
            device: None,
        };
        let otc_token = self.keep_code(user.id, &sent, lifetime).await?;
        let vars = Vars::new().set("code", &code).set("expirationMinutes", (lifetime / 60).to_string());
        self.delivery.send_email_template(EmailTemplateType::MfaOtc, &user.email, vars).await?;
        Ok(otc_token)
    }

    /// `POST /auth/v1/user/mfa/emailcode/verify`: completes a login with the emailed code. A wrong code counts
    /// against the code and the `mfaToken`.
    pub async fn verify_email_code(
        &self,
        mfa_token: &str,
        otc_token: &str,
        code: &str,
        remember: bool,
    ) -> CoreResult<MfaLogin> {
        let (login, user) = self.login(mfa_token).await?;
        let (sent, _) = self.check_code(user.id, otc_token, code, FOR_LOGIN, Some(&login)).await?;
        if !self.store.spend_challenges(&[&sent.id, &login.id], self.now()).await? {
            return Err(CoreError::Unauthorized(INVALID_CODE.into()));
        }
        self.complete(&login, user, remember, None).await
    }

    /// Keeps a code sent to `user` (its hash and purpose in `sent`), valid for `lifetime_secs`: the `otcToken`
    /// that names it.
    async fn keep_code(&self, user: UserId, sent: &SentCode, lifetime_secs: i64) -> CoreResult<String> {
        let payload = serde_json::to_string(sent).map_err(|e| CoreError::Internal(e.to_string()))?;
        self.keep_challenge(user, ChallengeKind::Code, &payload, Duration::seconds(lifetime_secs)).await
    }

    /// Keeps a challenge of `kind` for `user` with `payload`, living `ttl`: the new random token that names it.
    async fn keep_challenge(
        &self,
        user: UserId,
        kind: ChallengeKind,
        payload: &str,
        ttl: Duration,
    ) -> CoreResult<String> {
        let token = random_token();
        let now = self.now();
        let challenge = NewChallenge {
            user_id: user,
            kind,
            token_hash: &sha256_hex(&token),
            payload: Some(payload),
            expires_at: now + ttl,
        };
        self.store.issue_challenge(challenge, now).await?;
        Ok(token)
    }

    /// The live code `otc_token` names, if it is `user`'s, for `purpose`, serves `login` (when given) and is
    /// `code`. A wrong code counts against the code and the login; every failure is the same 401.
    pub(crate) async fn check_code(
        &self,
        user: UserId,
        otc_token: &str,
        code: &str,
        purpose: &str,
        login: Option<&LiveChallenge>,
    ) -> CoreResult<(LiveChallenge, SentCode)> {
        let wrong = || CoreError::Unauthorized(INVALID_CODE.into());
        let hash = sha256_hex(otc_token.trim());
        let found = self.store.challenge_by_token(ChallengeKind::Code, &hash, self.now(), MAX_FAILURES).await?;
        let Some(found) = found.filter(|c| c.user_id == user) else {
            if let Some(l) = login {
                self.store.fail_challenge(&l.id).await?;
            }
            return Err(wrong());
        };
        let sent: SentCode = serde_json::from_str(found.payload.as_deref().unwrap_or_default())
            .map_err(|e| CoreError::Internal(format!("stored code: {e}")))?;
        let serves = sent.purpose.as_deref().unwrap_or(FOR_LOGIN) == purpose
            && login.is_none_or(|l| sent.login.as_deref() == Some(l.id.as_str()));
        if !serves || !constant_time_eq(&sha256_hex(code.trim()), &sent.code) {
            self.store.fail_challenge(&found.id).await?;
            if let Some(l) = login {
                self.store.fail_challenge(&l.id).await?;
            }
            return Err(wrong());
        }
        Ok((found, sent))
    }

    /// Texts a new code to `phone` for `sent`'s purpose: the `otcToken` that names it.
    async fn text_code(&self, user: UserId, phone: &str, sent: SentCode) -> CoreResult<String> {
        let config = self.settings.mfa_config().await?;
        if !config.sms.active {
            return Err(CoreError::BadRequest("SMS codes are not enabled".into()));
        }
        let lifetime = config.sms.token_lifetime_seconds;
        self.send_texted_code(user, phone, sent, lifetime, SmsTemplateType::MfaOtc).await
    }

    /// Texts a new 6-digit code (SMS `template`) to `phone` and keeps it for `sent`'s purpose, valid
    /// `lifetime_secs`, [`MAX_FAILURES`] wrong guesses: the `otcToken` that names it ([`Self::check_code`]).
    pub(crate) async fn send_texted_code(
        &self,
        user: UserId,
        phone: &str,
        mut sent: SentCode,
        lifetime_secs: i64,
        template: SmsTemplateType,
    ) -> CoreResult<String> {
        let code = numeric_code();
        sent.code = sha256_hex(&code);
        let otc_token = self.keep_code(user, &sent, lifetime_secs).await?;
        let minutes = (lifetime_secs / 60).to_string();
        let vars = Vars::new().set("code", &code).set("expirationMinutes", minutes);
        self.delivery.send_sms_template(template, phone, vars).await?;
        Ok(otc_token)
    }

    /// The user's SMS device `device_id` (`NotFound(MfaDevice)` otherwise) and its number.
    async fn phone_of(&self, user: UserId, device_id: &str) -> CoreResult<(MfaDevice, String)> {
        let device = self.device_of(user, MfaDeviceKind::Sms, device_id).await?;
        let phone = device.phone_number.clone().unwrap_or_default();
        Ok((device, phone))
    }

    /// The user's device `device_id` of `kind` (`NotFound(MfaDevice)` otherwise).
    async fn device_of(&self, user: UserId, kind: MfaDeviceKind, device_id: &str) -> CoreResult<MfaDevice> {
        self.store
            .mfa_devices(user)
            .await?
            .into_iter()
            .find(|d| d.kind == kind && d.id == device_id)
            .ok_or(CoreError::NotFound(yolk_store::Entity::MfaDevice))
    }

    /// Adds the phone a code proved, spending the code (and the login, when given) in the same transaction.
    async fn enroll_phone(&self, user: UserId, sent: &SentCode, spend: &[&str]) -> CoreResult<()> {
        let now = self.now();
        let device = MfaDevice {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user,
            kind: MfaDeviceKind::Sms,
            totp_secret: None,
            phone_number: sent.phone.clone(),
            last_step: 0,
            credential_id: None,
            webauthn: None,
            created_at: now,
        };
        let enrollment = Enrollment { device: &device, recovery_code_hash: None, spend };
        if !self.store.enroll_mfa_device(enrollment, now).await? {
            return Err(CoreError::Unauthorized(INVALID_CODE.into()));
        }
        self.auth.access_cache().invalidate();
        Ok(())
    }

    /// `POST /auth/v1/user/mfa/sms/enroll`: texts a code to a new phone of the user of a login waiting for its
    /// second factor: the `otcToken` and the number.
    pub async fn sms_enroll_at_login(&self, mfa_token: &str, phone: &str) -> CoreResult<(String, String)> {
        let (login, user) = self.login(mfa_token).await?;
        self.require_strategy(MfaStrategy::Sms).await?;
        self.require_no_factor(&user).await?;
        let phone = phone.trim();
        if !valid_phone(phone) {
            return Err(CoreError::BadRequest("phoneNumber must be an E.164 number, like +15551234567".into()));
        }
        let sent = SentCode {
            code: String::new(),
            login: Some(login.id),
            purpose: Some(FOR_ENROLL.into()),
            phone: Some(phone.to_owned()),
            device: None,
        };
        Ok((self.text_code(user.id, phone, sent).await?, phone.to_owned()))
    }

    /// `POST /auth/v1/user/mfa/sms/enroll/verify`: the texted code enrolls the phone and completes the login.
    pub async fn sms_enroll_verify_at_login(
        &self,
        mfa_token: &str,
        otc_token: &str,
        code: &str,
        remember: bool,
    ) -> CoreResult<MfaLogin> {
        let (login, user) = self.login(mfa_token).await?;
        self.require_no_factor(&user).await?;
        let (found, sent) = self.check_code(user.id, otc_token, code, FOR_ENROLL, Some(&login)).await?;
        self.enroll_phone(user.id, &sent, &[&found.id, &login.id]).await?;
        self.complete(&login, user, remember, None).await
    }

    /// `POST /auth/v1/user/mfa/sms/{deviceId}`: texts a code to the user's phone for a login waiting for its
    /// second factor: the `otcToken` and the masked number.
    pub async fn sms_send_at_login(&self, mfa_token: &str, device_id: &str) -> CoreResult<(String, String)> {
        let (login, user) = self.login(mfa_token).await?;
        let (device, phone) = self.phone_of(user.id, device_id).await?;
        let sent = SentCode {
            code: String::new(),
            login: Some(login.id),
            purpose: Some(FOR_LOGIN.into()),
            phone: None,
            device: Some(device.id),
        };
        Ok((self.text_code(user.id, &phone, sent).await?, mask_phone(Some(&phone))))
    }

    /// `POST /auth/v1/user/mfa/sms/{deviceId}/verify`: completes a login with the texted code.
    pub async fn sms_verify_at_login(
        &self,
        mfa_token: &str,
        device_id: &str,
        otc_token: &str,
        code: &str,
        remember: bool,
    ) -> CoreResult<MfaLogin> {
        let (login, user) = self.login(mfa_token).await?;
        let (found, sent) = self.check_code(user.id, otc_token, code, FOR_LOGIN, Some(&login)).await?;
        if sent.device.as_deref() != Some(device_id) {
            return Err(CoreError::Unauthorized(INVALID_CODE.into()));
        }
        if !self.store.spend_challenges(&[&found.id, &login.id], self.now()).await? {
            return Err(CoreError::Unauthorized(INVALID_CODE.into()));
        }
        self.complete(&login, user, remember, None).await
    }

    /// `POST /auth/v1/user/mfa/recover`: the recovery code of the user with `email` turns its MFA off (every
    /// factor and remembered device removed; the code is spent). Unknown address and wrong code give the same
    /// answer.
    pub async fn recover(&self, email: &str, recovery_code: &str) -> CoreResult<()> {
        let wrong = || CoreError::BadRequest("Invalid email or recovery code".into());
        let user = match self.store.get_user_by_email(email.trim()).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => return Err(wrong()),
            Err(e) => return Err(e.into()),
        };
        if !self.store.recover_mfa(user.id, &recovery_hash(recovery_code)).await? {
            return Err(wrong());
        }
        self.auth.access_cache().invalidate();
        Ok(())
    }

    /// `GET /configurations/v1/mfa-policy/allow-remember-device?mfaToken=`: whether the user of that login may
    /// remember its device, and for how long (seconds).
    pub async fn allow_remember_device(&self, mfa_token: &str) -> CoreResult<(bool, i64)> {
        let (_, user) = self.login(mfa_token).await?;
        let tenant = self.auth.policy_tenant(&user).await?;
        let policy: MfaPolicy = self.settings.mfa_policy(tenant.as_ref()).await?;
        Ok((policy.allow_remember_my_device, policy.mfa_device_expiration))
    }

    /// Refuses a user token whose session is not recent: changing the user's factors needs a fresh sign-in (a stolen
    /// session must not swap them).
    async fn require_recent_auth(&self, who: &UserContext) -> CoreResult<()> {
        crate::identifiers::require_recent_auth(&self.store, &self.clock, who).await
    }

    /// Refuses enrolment at login for a user who already has a factor: it must verify with that factor (else a
    /// password alone would enroll the attacker's own device and pass).
    async fn require_no_factor(&self, user: &User) -> CoreResult<()> {
        if !self.store.mfa_devices(user.id).await?.is_empty() {
            return Err(CoreError::BadRequest("A second factor is already enrolled: verify with it".into()));
        }
        Ok(())
    }

    async fn require_strategy(&self, strategy: MfaStrategy) -> CoreResult<()> {
        let off = || CoreError::BadRequest(format!("The {strategy:?} MFA strategy is not enabled"));
        if !self.settings.mfa_strategies().await?.is_active(strategy) {
            return Err(off());
        }
        // The MFA configuration's switch for the authenticator app counts too (SMS and email check theirs when
        // they send).
        if strategy == MfaStrategy::AuthenticatorApp && !self.settings.mfa_config().await?.authentication_app.active {
            return Err(off());
        }
        Ok(())
    }
}

impl Mfa {
    /// `POST /users/v1/mfa/enroll`: a new authenticator key for the signed-in user, as a QR code (a user may hold
    /// one authenticator: it removes the one it has first).
    pub async fn enroll_authenticator(&self, who: &UserContext) -> CoreResult<String> {
        self.require_recent_auth(who).await?;
        self.require_strategy(MfaStrategy::AuthenticatorApp).await?;
        let user = self.store.get_user(who.user_id()).await?;
        let devices = self.store.mfa_devices(user.id).await?;
        if devices.iter().any(|d| d.kind == MfaDeviceKind::Authenticator) {
            return Err(CoreError::BadRequest("An authenticator app is already enrolled: disable it first".into()));
        }
        issue_enrollment(&self.store, &self.settings, self.now(), &user, None).await
    }

    /// `POST /users/v1/mfa/enroll/verify`: enrolls the signed-in user's pending authenticator with its first code;
    /// the recovery code (shown once; empty when the user already had one).
    pub async fn verify_enrollment(&self, who: &UserContext, code: &str) -> CoreResult<String> {
        let user = self.store.get_user(who.user_id()).await?;
        let recovery = self.enroll_with_code(&user, code, None).await?;
        self.auth.access_cache().invalidate();
        Ok(recovery.unwrap_or_default())
    }

    /// `POST /users/v1/mfa/disable` (every authenticator) and `.../authenticator/{deviceId}/disable/verify`: removes
    /// the signed-in user's authenticator given a current code of it. A wrong code is refused and changes nothing.
    pub async fn disable_authenticator(&self, who: &UserContext, device: Option<&str>, code: &str) -> CoreResult<()> {
        self.require_recent_auth(who).await?;
        let devices: Vec<MfaDevice> = self
            .store
            .mfa_devices(who.user_id())
            .await?
            .into_iter()
            .filter(|d| d.kind == MfaDeviceKind::Authenticator && device.is_none_or(|id| id == d.id))
            .collect();
        if devices.is_empty() {
            return Err(CoreError::NotFound(yolk_store::Entity::MfaDevice));
        }
        if !self.accept_code(&devices, code).await? {
            return Err(CoreError::BadRequest(INVALID_CODE.into()));
        }
        for d in &devices {
            self.store.remove_mfa_devices(who.user_id(), Some(&d.id)).await?;
        }
        Ok(())
    }

    /// The signed-in user's factors (`mfaEnrolled` and the device lists).
    pub async fn devices(&self, who: &UserContext) -> CoreResult<MfaDevices> {
        let user = &self.store.get_user(who.user_id()).await?;
        let devices = self.store.mfa_devices(user.id).await?;
        let strategies = self.settings.mfa_strategies().await?;
        let active: Vec<MfaStrategy> = MfaStrategy::ALL.into_iter().filter(|s| strategies.is_active(*s)).collect();
        Ok(device_view(&devices, user, &active))
    }

    /// `POST /users/v1/mfa/sms/enroll`: texts a code to a new phone of the signed-in user: the `otcToken`.
    pub async fn sms_enroll(&self, who: &UserContext, phone: &str) -> CoreResult<String> {
        self.require_recent_auth(who).await?;
        self.require_strategy(MfaStrategy::Sms).await?;
        let phone = phone.trim();
        if !valid_phone(phone) {
            return Err(CoreError::BadRequest("phoneNumber must be an E.164 number, like +15551234567".into()));
        }
        let sent = SentCode {
            code: String::new(),
            login: None,
            purpose: Some(FOR_ENROLL.into()),
            phone: Some(phone.to_owned()),
            device: None,
        };
        self.text_code(who.user_id(), phone, sent).await
    }

    /// `POST /users/v1/mfa/sms/enroll/verify`: the texted code enrolls the phone. A wrong code is a 400.
    pub async fn sms_enroll_verify(&self, who: &UserContext, otc_token: &str, code: &str) -> CoreResult<()> {
        let (found, sent) = self.check_code(who.user_id(), otc_token, code, FOR_ENROLL, None).await.map_err(bad)?;
        self.enroll_phone(who.user_id(), &sent, &[&found.id]).await.map_err(bad)
    }

    /// `POST /users/v1/mfa/sms/{deviceId}/disable`: texts a code to the phone to remove: the `otcToken`.
    pub async fn sms_disable(&self, who: &UserContext, device_id: &str) -> CoreResult<String> {
        self.require_recent_auth(who).await?;
        let (device, phone) = self.phone_of(who.user_id(), device_id).await?;
        let sent = SentCode {
            code: String::new(),
            login: None,
            purpose: Some(FOR_DISABLE.into()),
            phone: None,
            device: Some(device.id),
        };
        self.text_code(who.user_id(), &phone, sent).await
    }

    /// `POST /users/v1/mfa/sms/{deviceId}/disable/verify`: the texted code removes the phone. A wrong code is a
    /// 400 and changes nothing.
    pub async fn sms_disable_verify(
        &self,
        who: &UserContext,
        device_id: &str,
        otc_token: &str,
        code: &str,
    ) -> CoreResult<()> {
        self.phone_of(who.user_id(), device_id).await?;
        let (found, sent) = self.check_code(who.user_id(), otc_token, code, FOR_DISABLE, None).await.map_err(bad)?;
        if sent.device.as_deref() != Some(device_id) || !self.store.spend_challenges(&[&found.id], self.now()).await? {
            return Err(CoreError::BadRequest(INVALID_CODE.into()));
        }
        self.store.remove_mfa_devices(who.user_id(), Some(device_id)).await?;
        Ok(())
    }

    /// `POST /vendor-only/users/v1/{userId}/mfa/unenroll`: removes every factor of the user (its recovery code and
    /// remembered devices with them). `NotFound(User)` for an unknown user.
    pub async fn unenroll(&self, _: &Environment, user: UserId) -> CoreResult<()> {
        self.store.get_user(user).await?;
        self.store.remove_mfa_devices(user, None).await?;
        Ok(())
    }
}

/// A wrong code on a signed-in user's own request is a 400 (the request is authenticated; the code is bad input).
fn bad(e: CoreError) -> CoreError {
    match e {
        CoreError::Unauthorized(m) => CoreError::BadRequest(m),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits), so 287082 for 6 digits.
        let at = DateTime::from_timestamp(59, 0).unwrap();
        assert_eq!(matching_step(&secret, "287082", at).unwrap(), Some(1));
        assert_eq!(matching_step(&secret, "287082", at + Duration::seconds(30)).unwrap(), Some(1), "one step late");
        assert_eq!(matching_step(&secret, "287082", at + Duration::seconds(61)).unwrap(), None, "two steps late");
        assert_eq!(matching_step(&secret, "28708", at).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", at).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_grouped_and_compared_loosely() {
        let code = recovery_code();
        assert_eq!(code.len(), 24 + 5);
        assert_eq!(recovery_hash(&code), recovery_hash(&code.replace('-', " ").to_lowercase()));
        assert_ne!(recovery_hash(&code), recovery_hash(&recovery_code()));
    }

    #[test]
    fn numeric_codes_have_six_digits() {
        for _ in 0..100 {
            let c = numeric_code();
            assert!(c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()), "{c}");
        }
    }

    #[test]
    fn phone_numbers_are_e164() {
        assert!(valid_phone("+15551234567"));
        for bad in ["15551234567", "+0555123456", "+1555", "+1555123456789012", "+1555-123-4567", ""] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_are_masked_but_the_last_four() {
        assert_eq!(mask_phone(Some("+15551234567")), "+*******4567");
    }
}
