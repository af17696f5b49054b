//! Every password check, under the lockout policy. One path for the login and the environment's
//! `passwords/verify`, so a policy cannot be stored without being applied.
//!
//! - With a lockout policy in force (the user's active tenant's, else the environment's), an attempt is reserved
//!   in the store *before* the password is hashed (`reserve_login_attempt`: one conditional `UPDATE`), so any
//!   number of concurrent guesses on any nodes get at most `maxAttempts` checks. The attempt that reaches the
//!   maximum and fails locks the user (and ends its sessions); a correct password clears the count.
//! - Unknown user, user without a password, wrong password, locked user, no attempt left: one answer (`None`), each
//!   after one hash's work, so neither the answer nor its timing tells them apart. In particular a locked account
//!   answers the same whatever the password: no oracle for a correct one.

use std::sync::Arc;

use yolk_domain::{Clock, User};
use yolk_store::Store;

use crate::CoreResult;
use crate::grants::AccessCache;
use crate::passwords::Passwords;
use crate::settings::Settings;

/// Checks passwords under the lockout policy (cheap to clone).
#[derive(Clone)]
pub struct PasswordCheck {
    store: Arc<dyn Store>,
    settings: Settings,
    passwords: Passwords,
    clock: Arc<dyn Clock>,
    access: AccessCache,
}

impl PasswordCheck {
    /// The checker over its collaborators.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        passwords: Passwords,
        clock: Arc<dyn Clock>,
        access: AccessCache,
    ) -> Self {
        Self { store, settings, passwords, clock, access }
    }

    /// The user of `candidate` (a login candidate: the user and its password hash) if `password` is its password
    /// and the lockout policy lets it try; otherwise `None`, the same for every reason.
    pub async fn check(&self, candidate: Option<(User, Option<String>)>, password: &str) -> CoreResult<Option<User>> {
        let Some((user, hash)) = candidate else {
            return self.refuse(password).await;
        };
        if user.locked {
            return self.refuse(password).await;
        }
        let Some(max) = self.settings.lockout_limit(user.active_tenant_id.as_ref()).await? else {
            let matches = self.passwords.verify(password, hash.as_deref()).await?;
            return Ok(matches.then_some(user));
        };
        let Some(attempt) = self.store.reserve_login_attempt(user.id, max).await? else {
            return self.refuse(password).await;
        };
        let matches = match self.passwords.verify(password, hash.as_deref()).await {
            Ok(m) => m,
            Err(e) => {
                // Not checked (the hasher is full): the attempt is given back.
                self.store.settle_login_attempt(user.id, false).await?;
                return Err(e);
            }
        };
        if matches {
            self.store.settle_login_attempt(user.id, true).await?;
            return Ok(Some(user));
        }
        if attempt >= max {
            tracing::warn!(user_id = %user.id, max, "lockout policy: too many wrong passwords; user locked");
            self.store.set_user_locked(user.id, true, self.clock.now()).await?;
            self.access.invalidate();
        }
        Ok(None)
    }

    /// The refusal: the same hashing work as a real check, then no user.
    async fn refuse(&self, password: &str) -> CoreResult<Option<User>> {
        self.passwords.verify(password, None).await?;
        Ok(None)
    }
}
