//! What a new password must pass, and how old a password may get.
//!
//! **Policy.** Every path that sets a password checks it against the password policy in force for the user (its
//! tenant's document, else the environment's; see `yolk_domain::password_policy`) and, when a history policy is on,
//! against the user's last `historySize` passwords (its current one included): each is verified with argon2id on
//! the hashing pool, so a reuse is found whatever the salt.
//!
//! **Rotation.** With the environment's rotation policy active, a password login (after its second factor, if
//! any) whose password is older than `rotationPeriod` minutes starts no session: the answer carries a
//! `resetPasswordToken` (a password-reset secret, like a reset link's) with which the login box sets a new password.
//! Within `notificationPeriod` minutes of expiry the session starts and the answer says how many minutes are left.

use std::sync::Arc;

use chrono::Duration;
use yolk_domain::password_policy::PasswordPolicy;
use yolk_domain::settings::{PasswordHistoryPolicy, PasswordRotation};
use yolk_domain::{TenantId, User, UserId};
use yolk_store::{SecretPurpose, Store};

use crate::auth::AuthService;
use crate::passwords::Passwords;
use crate::recovery::RESET_TTL_MINUTES;
use crate::secrets::{random_token, sha256_hex};
use crate::settings::{Scope, Settings};
use crate::{CoreError, CoreResult};

/// The answer to a password login whose password expired.
#[derive(Debug, Clone)]
pub struct PasswordExpired {
    pub user_id: UserId,
    pub user_email: String,
    /// A password-reset token (shown once) for `POST /users/v1/passwords/reset/verify`.
    pub reset_token: String,
}

/// How a password's age stands against the rotation policy.
#[derive(Debug)]
pub(crate) enum Rotation {
    Fine,
    /// Expires in `expires_in` minutes, within the policy's notification period.
    Soon {
        expires_in: i64,
        notification_period: i64,
    },
    Expired(PasswordExpired),
}

/// The tenant whose policies apply to `user`: its active tenant if that membership admits it, else its first.
pub(crate) async fn policy_tenant(store: &Arc<dyn Store>, user: &User) -> CoreResult<Option<TenantId>> {
    let tenants = store.token_tenants(user.id).await?;
    Ok(crate::auth::first_admitting(user, tenants.iter().map(|t| (&t.tenant_id, t.admits))))
}

impl Settings {
    /// The password policy in force in `tenant` (its own, else the environment's, else the default).
    pub(crate) async fn password_policy_in(&self, tenant: Option<&TenantId>) -> CoreResult<PasswordPolicy> {
        if let Some(t) = tenant
            && let Some(p) = self.get::<PasswordPolicy>(Scope::Tenant(t)).await?
        {
            return Ok(p.doc);
        }
        self.password_policy().await
    }

    /// The history policy in force in `tenant`, when enabled: how many passwords it remembers.
    async fn history_size_in(&self, tenant: Option<&TenantId>) -> CoreResult<Option<i64>> {
        let mut policy = None;
        if let Some(t) = tenant {
            policy = self.get::<PasswordHistoryPolicy>(Scope::Tenant(t)).await?;
        }
        if policy.is_none() {
            policy = self.get::<PasswordHistoryPolicy>(Scope::Environment).await?;
        }
        Ok(policy.filter(|p| p.doc.enabled).map(|p| p.doc.history_size))
    }
}

/// Checks `password` as `user`'s new password: the policy of its tenant, then its history. The message of a
/// refusal is for the client.
pub(crate) async fn check_new_password(
    store: &Arc<dyn Store>,
    settings: &Settings,
    passwords: &Passwords,
    user: &User,
    password: &str,
) -> CoreResult<()> {
    let tenant = policy_tenant(store, user).await?;
    settings.password_policy_in(tenant.as_ref()).await?.check(password).map_err(CoreError::BadRequest)?;
    if let Some(size) = settings.history_size_in(tenant.as_ref()).await? {
        for hash in store.recent_password_hashes(user.id, size).await? {
            if passwords.verify(password, Some(&hash)).await? {
                return Err(CoreError::BadRequest(format!(
                    "The password was one of your last {size} passwords: choose another one."
                )));
            }
        }
    }
    Ok(())
}

impl AuthService {
    /// How `user`'s password stands against the environment's rotation policy.
    pub(crate) async fn password_rotation(&self, user: &User) -> CoreResult<Rotation> {
        let Some(policy) = self.settings().get::<PasswordRotation>(Scope::Environment).await? else {
            return Ok(Rotation::Fine);
        };
        let policy = policy.doc;
        if !policy.is_active {
            return Ok(Rotation::Fine);
        }
        let Some(set_at) = self.store().password_set_at(user.id).await? else { return Ok(Rotation::Fine) };
        let now = self.clock().now();
        let left = (set_at + Duration::minutes(policy.rotation_period) - now).num_minutes();
        if set_at + Duration::minutes(policy.rotation_period) <= now {
            let token = random_token();
            let expires = now + Duration::minutes(RESET_TTL_MINUTES);
            self.store().issue_secret(user.id, SecretPurpose::PasswordReset, &sha256_hex(&token), now, expires).await?;
            return Ok(Rotation::Expired(PasswordExpired {
                user_id: user.id,
                user_email: user.email.clone(),
                reset_token: token,
            }));
        }
        if left <= policy.notification_period {
            return Ok(Rotation::Soon { expires_in: left, notification_period: policy.notification_period });
        }
        Ok(Rotation::Fine)
    }
}
