//! Multi-factor authentication: a user's second factors, its recovery code, the challenges of logins and
//! enrolments in progress, and remembered devices. Secrets are stored as the caller gives them: hashes for
//! everything presented back to the server, the TOTP key as its base32 text (an authenticator app's key must be
//! read to check a code).

use chrono::{DateTime, Utc};
use yolk_domain::UserId;

use crate::StoreResult;

/// What kind of factor a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaDeviceKind {
    /// An authenticator app (TOTP).
    Authenticator,
    /// A phone receiving codes by SMS.
    Sms,
    /// A WebAuthn authenticator (a security key, or the device's own).
    WebAuthn,
}

impl MfaDeviceKind {
    /// The name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authenticator => "authenticator",
            Self::Sms => "sms",
            Self::WebAuthn => "webauthn",
        }
    }

    /// The kind a stored name names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "authenticator" => Some(Self::Authenticator),
            "sms" => Some(Self::Sms),
            "webauthn" => Some(Self::WebAuthn),
            _ => None,
        }
    }
}

/// An enrolled second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    pub id: String,
    pub user_id: UserId,
    pub kind: MfaDeviceKind,
    /// An authenticator's TOTP key (base32).
    pub totp_secret: Option<String>,
    /// A phone's number (E.164).
    pub phone_number: Option<String>,
    /// The last TOTP time step accepted (a code of that step or an earlier one is refused).
    pub last_step: i64,
    /// A WebAuthn authenticator's credential id (base64url): one credential is one device, across users.
    pub credential_id: Option<String>,
    /// A WebAuthn authenticator's verified credential (public key, signature counter, ...), as the service keeps it.
    pub webauthn: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A passkey: a discoverable WebAuthn credential its user signs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub id: String,
    pub user_id: UserId,
    /// The credential id (base64url); unique across users.
    pub credential_id: String,
    /// The verified credential (public key, signature counter, ...), as the service keeps it.
    pub credential: String,
    /// `Platform` or `CrossPlatform`.
    pub device_type: String,
    pub created_at: DateTime<Utc>,
}

/// What a challenge is for: a challenge of one kind never serves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// A login waiting for its second factor; found by the `mfaToken`'s hash.
    Login,
    /// A TOTP key waiting for its first code (the key in the payload); the user's newest only.
    TotpEnrollment,
    /// A code sent by email or SMS; found by the `otcToken`'s hash (the payload holds the code's hash and what
    /// the code is for).
    Code,
    /// A WebAuthn authenticator being registered as a second factor (the ceremony's state in the payload); found
    /// by its `webauthnToken`'s hash.
    WebAuthnEnrollment,
    /// A WebAuthn assertion asked of an enrolled authenticator (at login, or to remove it); found by its
    /// `webauthnToken`'s hash.
    WebAuthnAssertion,
    /// A passkey being registered by a signed-in user; the user's newest only.
    PasskeyRegistration,
    /// A passkey sign-in in progress; found by the hash of the challenge the authenticator signs.
    PasskeyLogin,
}

impl ChallengeKind {
    /// The name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::TotpEnrollment => "totp_enrollment",
            Self::Code => "code",
            Self::WebAuthnEnrollment => "webauthn_enrollment",
            Self::WebAuthnAssertion => "webauthn_assertion",
            Self::PasskeyRegistration => "passkey_registration",
            Self::PasskeyLogin => "passkey_login",
        }
    }
}

/// A challenge still usable: unspent, unexpired, with guesses left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChallenge {
    pub id: String,
    pub user_id: UserId,
    pub payload: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A new challenge.
#[derive(Debug, Clone)]
pub struct NewChallenge<'a> {
    pub user_id: UserId,
    pub kind: ChallengeKind,
    /// SHA-256 of the token that names it (random when nothing names it).
    pub token_hash: &'a str,
    pub payload: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

/// A device to enroll, with what the enrolment spends.
#[derive(Debug, Clone)]
pub struct Enrollment<'a> {
    pub device: &'a MfaDevice,
    /// SHA-256 of a new recovery code, set only when the user has none.
    pub recovery_code_hash: Option<&'a str>,
    /// Challenges spent by the enrolment (all must still be live, or nothing happens).
    pub spend: &'a [&'a str],
}

/// MFA devices, recovery codes, challenges and remembered devices.
#[async_trait::async_trait]
pub trait MfaStore {
    /// The user's devices, oldest first.
    async fn mfa_devices(&self, user: UserId) -> StoreResult<Vec<MfaDevice>>;

    /// Enrolls a device in one transaction: spends every challenge of `spend` (only while unspent and unexpired at
    /// `now`), adds the device, and sets the recovery code if the user has none. `false` (and nothing changed)
    /// when a challenge was no longer usable. `NotFound(User)` for an unknown user.
    async fn enroll_mfa_device(&self, enrollment: Enrollment<'_>, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Accepts TOTP time step `step` for the device if it is later than every step accepted before (a code works
    /// once); `false` otherwise. Of two concurrent calls with one step, one gets `true`.
    async fn accept_totp_step(&self, device_id: &str, step: i64) -> StoreResult<bool>;

    /// Removes the user's device `device_id` (every device with `None`), with the recovery code and the remembered
    /// devices when none is left. The number removed.
    async fn remove_mfa_devices(&self, user: UserId, device_id: Option<&str>) -> StoreResult<u64>;

    /// SHA-256 of the user's recovery code, if it has one.
    async fn recovery_code_hash(&self, user: UserId) -> StoreResult<Option<String>>;

    /// Uses the recovery code whose hash is `hash`: in one transaction, removes it and every device and remembered
    /// device of the user. `false` (and nothing changed) when the hash is not the user's code.
    async fn recover_mfa(&self, user: UserId, hash: &str) -> StoreResult<bool>;

    /// Keeps a new challenge; the user's unspent challenges of that kind are dropped first for `Login` and
    /// `TotpEnrollment` (only the newest works). `NotFound(User)` for an unknown user.
    async fn issue_challenge(&self, challenge: NewChallenge<'_>, now: DateTime<Utc>) -> StoreResult<()>;

    /// The live challenge of `kind` named by `token_hash`.
    async fn challenge_by_token(
        &self,
        kind: ChallengeKind,
        token_hash: &str,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveChallenge>>;

    /// The user's newest live challenge of `kind`.
    async fn user_challenge(
        &self,
        user: UserId,
        kind: ChallengeKind,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveChallenge>>;

    /// Counts a wrong guess against a challenge.
    async fn fail_challenge(&self, id: &str) -> StoreResult<()>;

    /// Spends every challenge of `ids` in one transaction, only if each is still unspent and unexpired at `now`;
    /// `false` (and nothing spent) otherwise.
    async fn spend_challenges(&self, ids: &[&str], now: DateTime<Utc>) -> StoreResult<bool>;

    /// Remembers a device (by its token's hash) for the user until `expires_at`.
    async fn remember_device(
        &self,
        user: UserId,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Whether the device whose token's hash is `token_hash` is remembered for the user at `now`.
    async fn is_device_remembered(&self, user: UserId, token_hash: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Replaces a WebAuthn device's stored credential (its signature counter moved). `false` for an unknown device.
    async fn update_webauthn_device(&self, device_id: &str, webauthn: &str) -> StoreResult<bool>;

    /// The user's passkeys, oldest first.
    async fn passkeys(&self, user: UserId) -> StoreResult<Vec<Passkey>>;

    /// The passkey whose credential id is `credential_id`.
    async fn passkey_by_credential(&self, credential_id: &str) -> StoreResult<Option<Passkey>>;

    /// Adds a passkey, spending the challenges of `spend` in the same transaction (all must still be live at
    /// `now`, or nothing happens: `false`). `Conflict` when the credential is already registered.
    async fn add_passkey(&self, passkey: &Passkey, spend: &[&str], now: DateTime<Utc>) -> StoreResult<bool>;

    /// Replaces a passkey's stored credential (its signature counter moved).
    async fn update_passkey(&self, id: &str, credential: &str) -> StoreResult<bool>;

    /// Removes the user's passkey `id`; `false` when the user has no such passkey.
    async fn remove_passkey(&self, user: UserId, id: &str) -> StoreResult<bool>;
}
