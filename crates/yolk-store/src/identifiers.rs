//! A user's login identifiers and contact points beyond the user row: its email addresses (the login address and
//! secondary ones, each proved by a code), a pending change of its login address, its phone numbers, and the
//! usernames listing. An address belongs to at most one user, whether as a login or a verified secondary address:
//! one UNIQUE constraint over every user's held addresses (`Conflict(UserEmail)`), which every path that sets a
//! login address writes in the same transaction.

use chrono::{DateTime, Utc};
use yolk_domain::{PhoneNumberId, SessionId, TenantId, UserEmailId, UserId};

use crate::{PageRequest, StoreResult};

/// One of a user's addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEmail {
    pub id: UserEmailId,
    pub user_id: UserId,
    /// As given (trimmed); compared in its normalized form.
    pub email: String,
    /// Proved (a secondary address whose code was used, or one the environment declared verified); for the login
    /// address, the user's `verified`.
    pub verified: bool,
    /// The user's login address (`users.email`).
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The code of an added address or an email change that may still be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCode {
    /// The address row (an added address) or the user (an email change), for the follow-up call.
    pub key: String,
    /// SHA-256 of the code, hex.
    pub hash: String,
}

/// Which addresses a list holds.
#[derive(Debug, Clone, Default)]
pub struct EmailQuery {
    /// Only these users' addresses.
    pub user_ids: Option<Vec<UserId>>,
    /// Only addresses containing this text (case-insensitive).
    pub email: Option<String>,
    /// Only addresses of members of this tenant.
    pub tenant: Option<TenantId>,
}

/// A username and its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsernameEntry {
    pub user_id: UserId,
    pub username: String,
}

/// Which usernames a list holds.
#[derive(Debug, Clone, Default)]
pub struct UsernameQuery {
    pub prefix: Option<String>,
    pub user_ids: Option<Vec<UserId>>,
    pub usernames: Option<Vec<String>>,
}

/// One of a user's phone numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPhoneNumber {
    pub id: PhoneNumberId,
    pub user_id: UserId,
    /// As given (trimmed); compared without its dashes.
    pub phone_number: String,
    /// Proved by a texted code (or set by the environment): the user holds it.
    pub verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a list of phone numbers is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhoneSort {
    /// By user, then number.
    #[default]
    UserId,
    /// By number, then user.
    PhoneNumber,
}

/// Which phone numbers a list holds, and in which order.
#[derive(Debug, Clone, Default)]
pub struct PhoneQuery {
    /// Only these users' numbers.
    pub user_ids: Option<Vec<UserId>>,
    /// Only this number (in any spelling of it).
    pub phone_number: Option<String>,
    pub sort: PhoneSort,
    pub descending: bool,
}

/// What a texted code proves.
#[derive(Debug, Clone)]
pub enum PhoneProof {
    /// The user's added (unverified) number of this id.
    Added(PhoneNumberId),
    /// A number the user does not have yet (pre-verified): it is added, verified.
    New(String),
}

/// How an address is added.
#[derive(Debug, Clone)]
pub enum NewAddress {
    /// Verified at once (the environment said so): it is claimed in the same transaction.
    Verified,
    /// Waiting for the code whose hash is given, valid until `expires_at`.
    Pending { code_hash: String, expires_at: DateTime<Utc> },
}

/// Email addresses, email changes, phone numbers and usernames.
#[async_trait::async_trait]
pub trait IdentifierStore {
    /// A page of addresses (by creation, then id) and how many match.
    async fn list_user_emails(&self, q: &EmailQuery, page: PageRequest) -> StoreResult<(Vec<UserEmail>, u64)>;

    /// The user's addresses (the login address first), at most 100. `NotFound(User)` for an unknown user.
    async fn user_emails(&self, user: UserId) -> StoreResult<Vec<UserEmail>>;

    /// Adds an address to the user. `NotFound(User)`; `Conflict(OwnEmail)` when the user already has it;
    /// `Conflict(UserEmail)` when it is verified at once and another user holds it. A pending address claims
    /// nothing (its code may be re-sent by adding it again after deleting it).
    async fn add_user_email(
        &self,
        user: UserId,
        email: &str,
        how: NewAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<UserEmail>;

    /// The live code of the user's pending address `email` at `now` (unexpired, fewer than `max_failures` wrong
    /// guesses), keyed by the address row.
    async fn pending_email_code(
        &self,
        user: UserId,
        email: &str,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveCode>>;

    /// Counts a wrong guess against a pending address's code.
    async fn fail_email_code(&self, key: &str) -> StoreResult<()>;

    /// Spends the code of a pending address and marks it verified and held, in one transaction. `false` when the
    /// code was no longer usable (spent, expired); `Conflict(UserEmail)` (nothing changed) when another user holds
    /// the address meanwhile.
    async fn confirm_user_email(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Deletes one of the user's addresses. `NotFound(UserEmail)` when the user has no such address; `Invalid`
    /// for its login address.
    async fn delete_user_email(&self, user: UserId, id: UserEmailId) -> StoreResult<()>;

    /// Makes the user's verified address `email` its login address, in one transaction: `users.email` changes,
    /// the former login address stays as a verified secondary address. Answers the former login address.
    /// `NotFound(UserEmail)` when the user has no such address; `Invalid` when it is not verified.
    async fn make_primary_email(&self, user: UserId, email: &str, now: DateTime<Utc>) -> StoreResult<String>;

    /// Keeps a pending change of the user's login address to `email` (the code's hash), replacing any earlier
    /// one. `NotFound(User)`.
    async fn start_email_change(
        &self,
        user: UserId,
        email: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user's live email change to `email` at `now`, keyed by the user.
    async fn pending_email_change(
        &self,
        user: UserId,
        email: &str,
        now: DateTime<Utc>,
        max_failures: i64,
    ) -> StoreResult<Option<LiveCode>>;

    /// Counts a wrong guess against the user's pending email change.
    async fn fail_email_change(&self, user: UserId) -> StoreResult<()>;

    /// Finishes the user's pending email change, in one transaction: spends it (only while unexpired at `now`),
    /// sets `users.email` to its address and marks the user verified; the former login address is no longer the
    /// user's. Answers the former login address, or `None` (nothing changed) when the change was no longer
    /// usable. `Conflict(UserEmail)` (nothing changed) when another user holds the address.
    async fn finish_email_change(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<Option<String>>;

    /// When the session started (`NotFound(Session)` for an unknown one).
    async fn session_started_at(&self, session: SessionId) -> StoreResult<DateTime<Utc>>;

    /// Adds a verified phone number to the user (an unverified one it has becomes verified). `NotFound(User)`;
    /// `Conflict(PhoneNumber)` when a user holds it; `Invalid` past `max_per_user` numbers.
    async fn add_phone_number(
        &self,
        user: UserId,
        phone: &str,
        max_per_user: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<PhoneNumberId>;

    /// A page of phone numbers in `q`'s order, and how many match.
    async fn list_phone_numbers(&self, q: &PhoneQuery, page: PageRequest) -> StoreResult<(Vec<UserPhoneNumber>, u64)>;

    /// The user's phone numbers by creation (at most 100). `NotFound(User)` for an unknown user.
    async fn user_phone_numbers(&self, user: UserId) -> StoreResult<Vec<UserPhoneNumber>>;

    /// One of the user's phone numbers; `NotFound(PhoneNumber)` when the user has no such number.
    async fn user_phone_number(&self, user: UserId, id: PhoneNumberId) -> StoreResult<UserPhoneNumber>;

    /// Adds an unverified phone number to the user: it claims nothing. When the user already has the number
    /// (in any spelling) that row is answered unchanged. `NotFound(User)`; `Invalid` past `max_per_user` numbers.
    async fn add_pending_phone_number(
        &self,
        user: UserId,
        phone: &str,
        max_per_user: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<UserPhoneNumber>;

    /// In one transaction: spends the MFA challenge `spend` (only while unspent and unexpired at `now`), then makes
    /// the proved number verified and the user's. `false` (nothing changed) when the challenge was no longer usable;
    /// `NotFound(PhoneNumber)` when the added number is gone; `Conflict(PhoneNumber)` (nothing changed) when
    /// another user holds the number; `Invalid` past `max_per_user` numbers.
    async fn confirm_phone_number(
        &self,
        user: UserId,
        proof: &PhoneProof,
        spend: &str,
        max_per_user: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// In one transaction: spends the MFA challenge `spend` (as [`Self::confirm_phone_number`]), then deletes the
    /// user's number `id`. `false` (nothing changed) when the challenge was no longer usable;
    /// `NotFound(PhoneNumber)` when the user has no such number.
    async fn delete_phone_number_spending(
        &self,
        user: UserId,
        id: PhoneNumberId,
        spend: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Deletes one of the user's phone numbers; `NotFound(PhoneNumber)` when the user has no such number.
    async fn delete_phone_number(&self, user: UserId, id: PhoneNumberId) -> StoreResult<()>;

    /// A page of usernames (by username) and how many match.
    async fn list_usernames(&self, q: &UsernameQuery, page: PageRequest) -> StoreResult<(Vec<UsernameEntry>, u64)>;

    /// Removes `username` from its user; `NotFound(Username)` when no user has it; `Invalid` when it is the
    /// user's only login identifier (no email).
    async fn delete_username(&self, username: &str, now: DateTime<Utc>) -> StoreResult<UserId>;
}
