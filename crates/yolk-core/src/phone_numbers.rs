//! A user's own phone numbers (identity.json tag SMS, `users/phone-numbers/v1`).
//!
//! A number is added unverified (it claims nothing, so a typo or another person's number blocks nobody) and proved
//! by a 6-digit code texted to it: the code is a `Code` challenge of the MFA store (SHA-256 of the code, named by
//! the `otcToken` the request answers, bound to the user and to the number's row or, pre-verified, to the number),
//! [`CODE_TTL_MINUTES`], [`MAX_FAILURES`](crate::mfa::MAX_FAILURES) wrong guesses, compared in constant time,
//! spent by the same transaction that makes the number verified. Only then does the user hold it: one user per
//! number, by the store's UNIQUE `claim` (a number another user holds is a 409 at that step, never at the send,
//! which looks at nobody else's numbers). Deleting a verified number is confirmed the same way by a code texted to
//! it; an unverified one goes at once. A user token must come from a recent sign-in
//! ([`RECENT_AUTH_MINUTES`](crate::identifiers::RECENT_AUTH_MINUTES)) to add or delete a number; the environment
//! acting for a user (`frontegg-user-id`) is not asked, and its `verify: false` adds the number verified.

use std::sync::Arc;

use yolk_domain::delivery_settings::SmsTemplateType;
use yolk_domain::values::{check_phone_number, normalize_phone_number};
use yolk_domain::{Clock, PhoneNumberId};
use yolk_store::identifiers::{PhoneProof, PhoneQuery, UserPhoneNumber};
use yolk_store::{PageRequest, Store};

use crate::access::{Environment, UserContext};
use crate::identifiers::Identifiers;
use crate::mfa::{Mfa, SentCode};
use crate::{CoreError, CoreResult};

/// How long a texted code works.
pub const CODE_TTL_MINUTES: i64 = 10;

/// The most numbers a user may have (verified or not).
pub const MAX_PHONE_NUMBERS: i64 = 10;

/// What a code proves: a number (added or pre-verified) is the user's.
const FOR_VERIFY: &str = "phone-verify";
/// What a code proves: the user's number may be deleted.
const FOR_DELETE: &str = "phone-delete";

/// What every wrong, spent or expired code is told.
pub const INVALID_CODE: &str = "The code is invalid or has expired";

/// A number just added: the row, and the `otcToken` of the code texted to it (when one was sent).
#[derive(Debug, Clone)]
pub struct AddedPhone {
    pub phone: UserPhoneNumber,
    pub otc_token: Option<String>,
}

/// A user's phone numbers (cheap to clone).
#[derive(Clone)]
pub struct PhoneNumbers {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) mfa: Mfa,
    pub(crate) identifiers: Identifiers,
}

fn invalid_code() -> CoreError {
    CoreError::BadRequest(INVALID_CODE.into())
}

/// A wrong code on the user's own request is bad input (a 400), told as every other code failure.
fn bad(e: CoreError) -> CoreError {
    match e {
        CoreError::Unauthorized(_) => invalid_code(),
        other => other,
    }
}

/// The number as given (trimmed), once it is in international format.
fn parse_phone(raw: &str) -> CoreResult<String> {
    let phone = raw.trim();
    check_phone_number(phone).map_err(CoreError::BadRequest)?;
    Ok(phone.to_owned())
}

impl PhoneNumbers {
    /// Every user's numbers (the environment), a page at a time.
    pub async fn list(
        &self,
        _env: &Environment,
        q: &PhoneQuery,
        page: PageRequest,
    ) -> CoreResult<(Vec<UserPhoneNumber>, u64)> {
        Ok(self.store.list_phone_numbers(q, page).await?)
    }

    /// The caller's numbers, by creation.
    pub async fn own(&self, who: &UserContext) -> CoreResult<Vec<UserPhoneNumber>> {
        Ok(self.store.user_phone_numbers(who.user_id()).await?)
    }

    /// The caller adds a number. With `verify` (the default) a code is texted to it; without, it stays unverified,
    /// except that the environment acting for a user adds it verified.
    pub async fn add(&self, who: &UserContext, phone: &str, verify: Option<bool>) -> CoreResult<AddedPhone> {
        self.identifiers.require_recent_auth(who).await?;
        let phone = parse_phone(phone)?;
        let user = who.user_id();
        let now = self.clock.now();
        if verify == Some(false) && who.session_id().is_none() {
            let id = self.store.add_phone_number(user, &phone, MAX_PHONE_NUMBERS, now).await?;
            let phone = self.store.user_phone_number(user, id).await?;
            return Ok(AddedPhone { phone, otc_token: None });
        }
        let added = self.store.add_pending_phone_number(user, &phone, MAX_PHONE_NUMBERS, now).await?;
        if added.verified {
            return Err(CoreError::Conflict(yolk_store::Constraint::OwnPhoneNumber));
        }
        let otc_token = match verify {
            Some(false) => None,
            _ => Some(self.text(who, &added.phone_number, FOR_VERIFY, Some(added.id)).await?),
        };
        Ok(AddedPhone { phone: added, otc_token })
    }

    /// The caller asks for a code to `phone` before it is the caller's: the `otcToken`. Nothing is stored but the
    /// code; [`Self::verify`] adds the number, verified.
    pub async fn preverify(&self, who: &UserContext, phone: &str) -> CoreResult<String> {
        self.identifiers.require_recent_auth(who).await?;
        let phone = parse_phone(phone)?;
        self.text(who, &phone, FOR_VERIFY, None).await
    }

    /// The caller proves a number (added, or pre-verified) with the code texted to it: the number becomes verified
    /// and the caller's. A wrong, spent or expired code is a 400; a number another user holds, a 409.
    pub async fn verify(&self, who: &UserContext, otc_token: &str, code: &str) -> CoreResult<()> {
        let user = who.user_id();
        let (found, sent) = self.mfa.check_code(user, otc_token, code, FOR_VERIFY, None).await.map_err(bad)?;
        let proof = match sent.device.as_deref() {
            Some(id) => PhoneProof::Added(id.parse().map_err(|_| invalid_code())?),
            None => PhoneProof::New(sent.phone.clone().ok_or_else(invalid_code)?),
        };
        let now = self.clock.now();
        if !self.store.confirm_phone_number(user, &proof, &found.id, MAX_PHONE_NUMBERS, now).await? {
            return Err(invalid_code());
        }
        Ok(())
    }

    /// The caller starts deleting one of its numbers: a verified one is deleted only with the code texted to it
    /// (the `otcToken`); an unverified one, which proves nothing, goes at once (`None`).
    pub async fn delete(&self, who: &UserContext, id: PhoneNumberId) -> CoreResult<Option<String>> {
        self.identifiers.require_recent_auth(who).await?;
        let phone = self.store.user_phone_number(who.user_id(), id).await?;
        if !phone.verified {
            self.store.delete_phone_number(who.user_id(), id).await?;
            return Ok(None);
        }
        Ok(Some(self.text(who, &phone.phone_number, FOR_DELETE, Some(id)).await?))
    }

    /// The caller confirms the deletion of its number `id` with the code texted to it.
    pub async fn verify_delete(
        &self,
        who: &UserContext,
        id: PhoneNumberId,
        otc_token: &str,
        code: &str,
    ) -> CoreResult<()> {
        let user = who.user_id();
        self.store.user_phone_number(user, id).await?;
        let (found, sent) = self.mfa.check_code(user, otc_token, code, FOR_DELETE, None).await.map_err(bad)?;
        if sent.device.as_deref() != Some(id.to_string().as_str()) {
            return Err(invalid_code());
        }
        if !self.store.delete_phone_number_spending(user, id, &found.id, self.clock.now()).await? {
            return Err(invalid_code());
        }
        Ok(())
    }

    /// Texts a code for `purpose` to `phone` (its E.164 form, without dashes), bound to the caller and to the
    /// number's row (when it has one).
    async fn text(
        &self,
        who: &UserContext,
        phone: &str,
        purpose: &str,
        row: Option<PhoneNumberId>,
    ) -> CoreResult<String> {
        let to = normalize_phone_number(phone);
        let sent = SentCode {
            code: String::new(),
            login: None,
            purpose: Some(purpose.to_owned()),
            phone: Some(to.clone()),
            device: row.map(|id| id.to_string()),
        };
        let lifetime = CODE_TTL_MINUTES * 60;
        self.mfa.send_texted_code(who.user_id(), &to, sent, lifetime, SmsTemplateType::VerifyPhoneNumber).await
    }
}
