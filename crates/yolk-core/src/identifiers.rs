//! A user's addresses, the change of its login address, its usernames and phone numbers.
//!
//! An added address (or a new login address) is proved by a code sent to it: 256 random bits shown once (in the
//! email, as a code and in a link on `app_url`), kept as SHA-256, compared in constant time, valid for
//! [`CODE_TTL_MINUTES`], spent once, dead after [`MAX_FAILURES`] wrong guesses. Sending never looks at who else
//! holds the address, so the answer and its timing tell nothing about other accounts; only the proof of the
//! address finds that out (`409`). Only a verified address becomes the login address; after a change the former
//! address is told (ASVS V2.5.5). A user acting with its own token must have signed in recently
//! ([`RECENT_AUTH_MINUTES`]) to change its addresses or username; the environment acting for a user need not.

use std::sync::Arc;

use chrono::Duration;
use yolk_api_types::identifiers::{EmailCodeRequest, VendorEmailRequest};
use yolk_domain::values::{Email as EmailAddress, Username, check_phone_number};
use yolk_domain::{Clock, PhoneNumberId, UserEmailId, UserId};
use yolk_store::identifiers::{EmailQuery, NewAddress, UserEmail, UsernameEntry, UsernameQuery};
use yolk_store::{Entity, PageRequest, Store, StoreError};

use crate::access::{Environment, UserContext};
use crate::delivery::{Delivery, Email};
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::{CoreError, CoreResult};

/// How long an address's code works.
pub const CODE_TTL_MINUTES: i64 = 60;

/// Wrong codes an address's code survives.
pub const MAX_FAILURES: i64 = 5;

/// How recently a user must have signed in (its session's start) to change its addresses, username, phone numbers,
/// second factors or passkeys.
pub const RECENT_AUTH_MINUTES: i64 = 10;

/// The answer to a recent-authentication failure.
pub const RECENT_AUTH_ERROR: &str =
    "Recent authentication is required: sign in again to change your email, username, phone numbers or sign-in methods";

/// Addresses, email change, usernames and phone numbers (cheap to clone).
#[derive(Clone)]
pub struct Identifiers {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) delivery: Delivery,
    pub(crate) app_url: Arc<str>,
    pub(crate) settings: crate::settings::Settings,
}

/// Refuses a user token whose session started more than [`RECENT_AUTH_MINUTES`] ago (an environment token acting
/// for a user has no session and passes).
pub(crate) async fn require_recent_auth(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    who: &UserContext,
) -> CoreResult<()> {
    let Some(session) = who.session_id() else { return Ok(()) };
    let started = match store.session_started_at(session).await {
        Ok(t) => t,
        Err(StoreError::NotFound(_)) => return Err(CoreError::Unauthorized("Unauthorized".into())),
        Err(e) => return Err(e.into()),
    };
    if clock.now() - started > Duration::minutes(RECENT_AUTH_MINUTES) {
        return Err(CoreError::Forbidden(RECENT_AUTH_ERROR.into()));
    }
    Ok(())
}

fn invalid_code() -> CoreError {
    CoreError::BadRequest("The code is invalid or has expired".into())
}

fn parse_email(raw: &str) -> CoreResult<EmailAddress> {
    EmailAddress::parse(raw).map_err(CoreError::BadRequest)
}

impl Identifiers {
    /// Refuses a user token whose session started more than [`RECENT_AUTH_MINUTES`] ago.
    pub(crate) async fn require_recent_auth(&self, who: &UserContext) -> CoreResult<()> {
        require_recent_auth(&self.store, &self.clock, who).await
    }

    /// Every user's addresses (the environment), a page at a time.
    pub async fn list_emails(
        &self,
        _env: &Environment,
        q: &EmailQuery,
        page: PageRequest,
    ) -> CoreResult<(Vec<UserEmail>, u64)> {
        Ok(self.store.list_user_emails(q, page).await?)
    }

    /// The caller's addresses, the login address first.
    pub async fn own_emails(&self, who: &UserContext) -> CoreResult<Vec<UserEmail>> {
        Ok(self.store.user_emails(who.user_id()).await?)
    }

    /// The user adds an address: it stays unverified until the code sent to it is used.
    pub async fn add_email(&self, who: &UserContext, email: &str) -> CoreResult<UserEmail> {
        self.require_recent_auth(who).await?;
        self.add_pending(who.user_id(), email).await
    }

    /// The environment adds an address to a user: verified at once when it says so, else as the user would.
    pub async fn vendor_add_email(
        &self,
        _env: &Environment,
        user: UserId,
        req: &VendorEmailRequest,
    ) -> CoreResult<UserEmail> {
        if req.is_verified == Some(true) {
            let email = parse_email(&req.email)?;
            let added = self.store.add_user_email(user, email.as_str(), NewAddress::Verified, self.clock.now());
            return Ok(added.await?);
        }
        self.add_pending(user, &req.email).await
    }

    async fn add_pending(&self, user: UserId, email: &str) -> CoreResult<UserEmail> {
        let email = parse_email(email)?;
        let code = random_token();
        let now = self.clock.now();
        let how =
            NewAddress::Pending { code_hash: sha256_hex(&code), expires_at: now + Duration::minutes(CODE_TTL_MINUTES) };
        let added = self.store.add_user_email(user, email.as_str(), how, now).await?;
        self.send_code(email.as_str(), &code, "/account/verify-email", "Verify your email address").await?;
        Ok(added)
    }

    /// The user proves an added address with its code: the address becomes verified and the user's.
    pub async fn verify_email(&self, who: &UserContext, req: &EmailCodeRequest) -> CoreResult<()> {
        let now = self.clock.now();
        let live = self.store.pending_email_code(who.user_id(), &req.email, now, MAX_FAILURES).await?;
        let Some(live) = live else { return Err(invalid_code()) };
        if !constant_time_eq(&sha256_hex(req.code.trim()), &live.hash) {
            self.store.fail_email_code(&live.key).await?;
            return Err(invalid_code());
        }
        if !self.store.confirm_user_email(&live.key, now).await? {
            return Err(invalid_code());
        }
        Ok(())
    }

    /// The user deletes one of its addresses (never its login address).
    pub async fn delete_email(&self, who: &UserContext, id: UserEmailId) -> CoreResult<()> {
        self.require_recent_auth(who).await?;
        Ok(self.store.delete_user_email(who.user_id(), id).await?)
    }

    /// The environment deletes one of a user's addresses (never its login address).
    pub async fn vendor_delete_email(&self, _env: &Environment, user: UserId, id: UserEmailId) -> CoreResult<()> {
        Ok(self.store.delete_user_email(user, id).await?)
    }

    /// Refuses a user's own change of its login address when the user emails policy forbids it (the environment
    /// acting for a user, with `frontegg-user-id`, is not bound by it).
    async fn require_email_change_allowed(&self, who: &UserContext) -> CoreResult<()> {
        if who.session_id().is_none() {
            return Ok(());
        }
        let policy = self.settings.user_emails_policy().await?;
        if !policy.allow_email_change {
            return Err(CoreError::Forbidden("Changing the email address is disabled for this environment".into()));
        }
        Ok(())
    }

    /// The user makes one of its verified addresses its login address; the former one is told.
    pub async fn make_primary(&self, who: &UserContext, email: &str) -> CoreResult<()> {
        self.require_email_change_allowed(who).await?;
        self.require_recent_auth(who).await?;
        self.switch_primary(who.user_id(), email).await
    }

    /// The environment makes one of a user's verified addresses its login address; the former one is told.
    pub async fn vendor_make_primary(&self, _env: &Environment, user: UserId, email: &str) -> CoreResult<()> {
        self.switch_primary(user, email).await
    }

    async fn switch_primary(&self, user: UserId, email: &str) -> CoreResult<()> {
        let email = parse_email(email)?;
        let old = self.store.make_primary_email(user, email.as_str(), self.clock.now()).await?;
        self.notify_former(&old, email.as_str()).await
    }

    /// The user asks to change its login address to `email`: a code goes to the new address, which changes
    /// nothing until it is used. Answers the same whether or not another account holds the address.
    pub async fn request_email_change(&self, who: &UserContext, email: &str) -> CoreResult<()> {
        self.require_email_change_allowed(who).await?;
        self.require_recent_auth(who).await?;
        let email = parse_email(email)?;
        let user = self.store.get_user(who.user_id()).await?;
        if yolk_domain::values::normalize_email(&user.email) == email.normalized() {
            return Err(CoreError::BadRequest("This is already the user's email".into()));
        }
        let code = random_token();
        let now = self.clock.now();
        let expires = now + Duration::minutes(CODE_TTL_MINUTES);
        self.store.start_email_change(user.id, email.as_str(), &sha256_hex(&code), now, expires).await?;
        self.send_code(email.as_str(), &code, "/account/change-email", "Confirm your new email address").await
    }

    /// The user proves the new address with its code: it becomes the login address, and the former one is told.
    pub async fn verify_email_change(&self, who: &UserContext, req: &EmailCodeRequest) -> CoreResult<()> {
        self.require_email_change_allowed(who).await?;
        let now = self.clock.now();
        let user = who.user_id();
        let live = self.store.pending_email_change(user, &req.email, now, MAX_FAILURES).await?;
        let Some(live) = live else { return Err(invalid_code()) };
        if !constant_time_eq(&sha256_hex(req.code.trim()), &live.hash) {
            self.store.fail_email_change(user).await?;
            return Err(invalid_code());
        }
        let Some(old) = self.store.finish_email_change(user, now).await? else { return Err(invalid_code()) };
        self.notify_former(&old, req.email.trim()).await
    }

    async fn send_code(&self, to: &str, code: &str, page: &str, subject: &str) -> CoreResult<()> {
        let link = format!("{}{page}?email={}&code={code}", self.app_url, query_escape(to));
        let text = format!(
            "Hi,\n\nTo confirm this email address, enter this code:\n\n{code}\n\nor open:\n\n{link}\n\nThe code works \
             once, for {CODE_TTL_MINUTES} minutes. If you did not ask for it, ignore this email.\n"
        );
        let html = format!(
            "<p>Hi,</p><p>To confirm this email address, enter this code: <code>{code}</code> or \
             <a href=\"{link}\">open this link</a>.</p><p>The code works once, for {CODE_TTL_MINUTES} minutes. If you \
             did not ask for it, ignore this email.</p>",
            link = crate::delivery::templates::html_escape(&link),
        );
        self.delivery.send_email(Email { to: to.to_owned(), subject: subject.into(), text, html: Some(html) }).await
    }

    /// Tells the former login address that the account now signs in with `new`.
    async fn notify_former(&self, old: &str, new: &str) -> CoreResult<()> {
        if old.is_empty() || yolk_domain::values::normalize_email(old) == yolk_domain::values::normalize_email(new) {
            return Ok(());
        }
        let text = format!(
            "Hi,\n\nThe email address of your account was changed from {old} to {new}. If you did not make this \
             change, contact your administrator at once.\n"
        );
        let html = format!(
            "<p>Hi,</p><p>The email address of your account was changed from {} to {}. If you did not make this \
             change, contact your administrator at once.</p>",
            crate::delivery::templates::html_escape(old),
            crate::delivery::templates::html_escape(new),
        );
        let email =
            Email { to: old.to_owned(), subject: "Your email address was changed".into(), text, html: Some(html) };
        self.delivery.send_email(email).await
    }

    /// Usernames (the environment), a page at a time.
    pub async fn list_usernames(
        &self,
        _env: &Environment,
        q: &UsernameQuery,
        page: PageRequest,
    ) -> CoreResult<(Vec<UsernameEntry>, u64)> {
        Ok(self.store.list_usernames(q, page).await?)
    }

    /// The caller's username; `NotFound(Username)` when it has none.
    pub async fn own_username(&self, who: &UserContext) -> CoreResult<UsernameEntry> {
        let user = self.store.get_user(who.user_id()).await?;
        let username = user.username.ok_or(CoreError::NotFound(Entity::Username))?;
        Ok(UsernameEntry { user_id: user.id, username })
    }

    /// The caller sets its login username (replacing the one it had); `Conflict(Username)` when another user has it.
    pub async fn set_username(&self, who: &UserContext, username: &str) -> CoreResult<()> {
        self.require_recent_auth(who).await?;
        let username = Username::parse(username).map_err(CoreError::BadRequest)?.into_string();
        let change = Box::new(move |u: &mut yolk_domain::User| {
            u.username = Some(username);
            Ok(())
        });
        self.store.update_user(who.user_id(), change, self.clock.now()).await?;
        Ok(())
    }

    /// The environment removes a username from its user (never the user's only login identifier).
    pub async fn delete_username(&self, _env: &Environment, username: &str) -> CoreResult<()> {
        self.store.delete_username(username.trim(), self.clock.now()).await?;
        Ok(())
    }

    /// The environment gives a user a (verified) phone number; one the user added unverified becomes verified.
    pub async fn vendor_add_phone(&self, _env: &Environment, user: UserId, phone: &str) -> CoreResult<PhoneNumberId> {
        let phone = phone.trim();
        check_phone_number(phone).map_err(CoreError::BadRequest)?;
        let max = crate::phone_numbers::MAX_PHONE_NUMBERS;
        Ok(self.store.add_phone_number(user, phone, max, self.clock.now()).await?)
    }

    /// The environment removes one of a user's phone numbers.
    pub async fn vendor_delete_phone(&self, _env: &Environment, user: UserId, id: PhoneNumberId) -> CoreResult<()> {
        Ok(self.store.delete_phone_number(user, id).await?)
    }
}

/// Percent-encodes a query value.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
