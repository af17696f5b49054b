//! Activation and invitations: the links that prove a mailbox.
//!
//! - **Activation**: a user created unverified (self sign-up while the environment requires activation, a user
//!   created by a tenant admin) gets a link (`/account/activate?userId=&token=`); following it verifies the user,
//!   sets its first password when it has none, and starts a session. The environment can also make a link without
//!   an email (`links/generate-activation-token`, and the same for a password reset).
//! - **Invitations**: inviting an email that already has an account makes a *pending* membership (see
//!   [`crate::users::UserService::invite`]); the invitation email carries `/account/invitation/accept?userId=&token=`,
//!   and only accepting it lets the user into the tenant. Accepting it for an account that was never verified also
//!   clears that account's password and sessions: whoever registered the address never proved it, the mailbox
//!   owner just did.
//!
//! Every token is 256 random bits kept as SHA-256, compared in constant time with the user's live secret(s), spent
//! once in the transaction that does what it grants, expires, is replaced by a newer one, and dies after
//! [`MAX_FAILURES`] wrong guesses. A wrong token, an unknown user and a spent link are one answer (400). "Send the
//! activation email again" answers at once and the same for every address.

use std::sync::Arc;

use chrono::Duration;
use yolk_api_types::users::NewUserFields;
use yolk_domain::delivery_settings::EmailTemplateType;
use yolk_domain::fe_permissions::WriteUsers;
use yolk_domain::settings::{ActivationStrategy, InvitationStrategy, LinkOrCode};
use yolk_domain::{Clock, TenantId, User, UserId};
use yolk_store::users::LoginIdentifier;
use yolk_store::{LiveSecret, SecretPurpose, Store, StoreError};

use crate::access::{Environment, Permit};
use crate::auth::AuthService;
use crate::delivery::{Delivery, Vars};
use crate::grants::AccessCache;
use crate::mfa::{LoginOutcome, numeric_code};
use crate::password_rules::check_new_password;
use crate::passwords::Passwords;
use crate::recovery::RESET_TTL_MINUTES;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::settings::{Scope, Settings};
use crate::users::{UserService, UserView};
use crate::{CoreError, CoreResult};

/// How long an activation link works.
pub const ACTIVATION_TTL_HOURS: i64 = 72;

/// How long an invitation link works.
pub const INVITATION_TTL_HOURS: i64 = 7 * 24;

/// Wrong tokens an activation or invitation link survives.
pub const MAX_FAILURES: i64 = 5;

/// A link made for the environment (not emailed): the page's URL and its token.
#[derive(Debug, Clone)]
pub struct GeneratedLink {
    pub user_id: UserId,
    pub link: String,
    pub token: String,
}

/// What `GET /tenants/invites/v1/configuration` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantInvitesConfiguration {
    /// Whether tenant invitation links (`tenants/invites/v1/*`) are offered.
    pub tenant_invitations_allowed: bool,
    /// Whether invitation emails go out.
    pub emails_enabled: bool,
}

/// Activation and invitations (cheap to clone).
#[derive(Clone)]
pub struct Activation {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) passwords: Passwords,
    pub(crate) settings: Settings,
    pub(crate) access: AccessCache,
    pub(crate) delivery: Delivery,
    pub(crate) auth: AuthService,
    pub(crate) users: UserService,
    /// Where the app's login box runs: links point at its `/account/...` pages.
    pub(crate) app_url: Arc<str>,
}

fn invalid_activation() -> CoreError {
    CoreError::BadRequest("The activation link is invalid or has expired".into())
}

fn invalid_invitation() -> CoreError {
    CoreError::BadRequest("The invitation link is invalid or has expired".into())
}

fn greeting(user: &User) -> String {
    user.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or("there").to_owned()
}

impl Activation {
    // ---- activation ----

    /// A new activation link for `user` (shown once): the page's URL and the token.
    async fn new_activation_link(&self, user: UserId, ttl: Duration) -> CoreResult<(String, String)> {
        let token = random_token();
        let now = self.clock.now();
        let expires = now + ttl;
        self.store.issue_secret(user, SecretPurpose::Activation, &sha256_hex(&token), now, expires).await?;
        Ok((format!("{}/account/activate?userId={user}&token={token}", self.app_url), token))
    }

    /// Emails `user` a new activation link (nothing for a user without an email address).
    pub async fn send_activation_email(&self, user: &User) -> CoreResult<()> {
        if user.email.is_empty() {
            return Ok(());
        }
        let strategy = self.activation_strategy_in_force().await?;
        if strategy.strategy == LinkOrCode::Code {
            let ttl = Duration::seconds(strategy.code_expiration);
            let (link, _) = self.new_activation_link(user.id, ttl).await?;
            let code = numeric_code();
            let now = self.clock.now();
            self.store.set_secret_code(user.id, SecretPurpose::Activation, None, &sha256_hex(&code), now).await?;
            let vars = Vars::new()
                .set("name", greeting(user))
                .set("email", user.email.as_str())
                .set("code", code)
                .set("redirectURL", link)
                .set("expirationMinutes", (strategy.code_expiration / 60).to_string());
            return self.delivery.send_email_template(EmailTemplateType::ActivateUserWithCode, &user.email, vars).await;
        }
        let (link, _) = self.new_activation_link(user.id, Duration::hours(ACTIVATION_TTL_HOURS)).await?;
        let vars = Vars::new()
            .set("name", greeting(user))
            .set("email", user.email.as_str())
            .set("redirectURL", link)
            .set("expirationHours", ACTIVATION_TTL_HOURS.to_string());
        self.delivery.send_email_template(EmailTemplateType::ActivateUser, &user.email, vars).await
    }

    /// After a sign-up that requires activation: emails the activation link. A failed delivery is logged, not
    /// returned (the user exists; `activate/reset` sends another link).
    pub async fn after_sign_up(&self, user: &User, should_activate: bool) {
        if should_activate && let Err(e) = self.send_activation_email(user).await {
            tracing::warn!(error = %e, "an activation email was not sent");
        }
    }

    /// `POST /users/v1/activate/reset` (the login box's "resend activation email"): answers at once, the same for
    /// every address; an unverified user with that address then gets a new activation link.
    pub fn resend_activation(&self, email: &str) -> CoreResult<()> {
        let email = email.trim().to_owned();
        if email.is_empty() {
            return Err(CoreError::BadRequest("email is required".into()));
        }
        let this = self.clone();
        tokio::spawn(async move {
            let user = match this.store.get_user_by_email(&email).await {
                Ok(user) if !user.verified => user,
                Ok(_) | Err(StoreError::NotFound(_)) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "an activation email was not sent");
                    return;
                }
            };
            if let Err(e) = this.send_activation_email(&user).await {
                tracing::warn!(error = %e, "an activation email was not sent");
            }
        });
        Ok(())
    }

    /// `POST /users/v1/{userId}/links/generate-activation-token`: a new activation link for the environment to
    /// deliver itself (no email). `NotFound(User)` for an unknown user; 400 for a user already activated.
    pub async fn generate_activation_link(&self, _: &Environment, user: UserId) -> CoreResult<GeneratedLink> {
        let found = self.store.get_user(user).await?;
        if found.verified {
            return Err(CoreError::BadRequest("User is already activated".into()));
        }
        let (link, token) = self.new_activation_link(user, Duration::hours(ACTIVATION_TTL_HOURS)).await?;
        Ok(GeneratedLink { user_id: user, link, token })
    }

    /// `POST /users/v1/{userId}/links/generate-password-reset-token`: a new password reset link (the one
    /// `passwords/reset/verify` takes) for the environment to deliver itself. `NotFound(User)` for an unknown user.
    pub async fn generate_password_reset_link(&self, _: &Environment, user: UserId) -> CoreResult<GeneratedLink> {
        self.store.get_user(user).await?;
        let token = random_token();
        let now = self.clock.now();
        let expires = now + Duration::minutes(RESET_TTL_MINUTES);
        self.store.issue_secret(user, SecretPurpose::PasswordReset, &sha256_hex(&token), now, expires).await?;
        let link = format!("{}/account/reset-password?userId={user}&token={token}", self.app_url);
        Ok(GeneratedLink { user_id: user, link, token })
    }

    /// The environment's activation strategy (the link, until set).
    pub async fn activation_strategy_in_force(&self) -> CoreResult<ActivationStrategy> {
        self.settings.get_or_default::<ActivationStrategy>(Scope::Environment).await
    }

    /// The environment's invitation strategy (the link, until set).
    pub async fn invitation_strategy_in_force(&self) -> CoreResult<InvitationStrategy> {
        self.settings.get_or_default::<InvitationStrategy>(Scope::Environment).await
    }

    /// The user and its live activation secret when `token` is that secret; a wrong token counts against it.
    async fn check_activation(&self, user: UserId, token: &str) -> CoreResult<(User, LiveSecret)> {
        let now = self.clock.now();
        let live = self.store.live_secret(user, SecretPurpose::Activation, now, MAX_FAILURES).await?;
        let Some(secret) = live else { return Err(invalid_activation()) };
        if !constant_time_eq(&sha256_hex(token), &secret.hash) {
            self.store.fail_secret(&secret.id).await?;
            return Err(invalid_activation());
        }
        let user = match self.store.get_user(user).await {
            Ok(user) if !user.locked => user,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(invalid_activation()),
            Err(e) => return Err(e.into()),
        };
        Ok((user, secret))
    }

    /// Checks the code that came with a secret (the `code` strategies): a secret issued without one, or a wrong
    /// code, is the one 400, and a wrong code counts against the secret.
    async fn check_code(&self, secret: &LiveSecret, code: &str, invalid: fn() -> CoreError) -> CoreResult<()> {
        let Some(expected) = &secret.code_hash else { return Err(invalid()) };
        if !constant_time_eq(&sha256_hex(code.trim()), expected) {
            self.store.fail_secret(&secret.id).await?;
            return Err(invalid());
        }
        Ok(())
    }

    /// Whether the user has a password.
    async fn has_password(&self, user: &User) -> CoreResult<bool> {
        let ident = match user.username.as_deref() {
            Some(username) if user.email.is_empty() => LoginIdentifier::Username(username.into()),
            _ => LoginIdentifier::Email(user.email.clone()),
        };
        let candidate = self.store.login_candidate(&ident).await?;
        Ok(candidate.is_some_and(|(found, hash)| found.id == user.id && hash.is_some()))
    }

    /// `GET /users/v1/activate/strategy`: whether activating needs a password (a local user without one). A wrong
    /// token is a 400 and counts against the link.
    pub async fn activation_strategy(&self, user: UserId, token: &str) -> CoreResult<bool> {
        let (user, _) = self.check_activation(user, token).await?;
        Ok(user.provider == "local" && !self.has_password(&user).await?)
    }

    /// `POST /users/v1/activate`: verifies the user with its activation token, sets `password` (required when it
    /// has none; checked against the policy, and a refused one leaves the link usable), spends the token, and
    /// starts a session (or, when the MFA policy forces it, answers the MFA branch: see `crate::mfa`).
    pub async fn activate(&self, user: UserId, token: &str, password: Option<&str>) -> CoreResult<LoginOutcome> {
        let (found, secret) = self.check_activation(user, token).await?;
        self.finish_activation(found, secret.id, password).await
    }

    /// `POST /users/v1/activate/code`: [`Self::activate`] with the code the activation email carried as well (the
    /// `code` strategy): the token and the code must both be right; a wrong code counts against the link.
    pub async fn activate_with_code(
        &self,
        user: UserId,
        token: &str,
        code: &str,
        password: Option<&str>,
    ) -> CoreResult<LoginOutcome> {
        let (found, secret) = self.check_activation(user, token).await?;
        self.check_code(&secret, code, invalid_activation).await?;
        self.finish_activation(found, secret.id, password).await
    }

    async fn finish_activation(&self, found: User, secret: String, password: Option<&str>) -> CoreResult<LoginOutcome> {
        let user = found.id;
        let password = password.filter(|p| !p.is_empty());
        if password.is_none() && found.provider == "local" && !self.has_password(&found).await? {
            return Err(CoreError::BadRequest("password is required".into()));
        }
        let hash = match password {
            Some(p) => {
                check_new_password(&self.store, &self.settings, &self.passwords, &found, p).await?;
                Some(self.passwords.hash(p).await?)
            }
            None => None,
        };
        let now = self.clock.now();
        if !self.store.activate_with_secret(&secret, user, hash.as_deref(), now).await? {
            return Err(invalid_activation());
        }
        self.access.invalidate();
        let found = self.store.record_login(user, now).await?;
        self.auth.finish_first_factor(found, None, false).await
    }

    // ---- invitations ----

    /// `POST /users/v1`, `/users/v2` with the invitation email: [`UserService::invite`], then a new user (created
    /// unverified) gets an activation link and an existing one (a pending membership) an invitation link, unless
    /// `skip_email`. A failed delivery is logged, not returned (the member exists; the links can be re-sent).
    pub async fn invite(
        &self,
        permit: &Permit<WriteUsers>,
        input: NewUserFields,
        skip_email: bool,
    ) -> CoreResult<UserView> {
        let view = self.users.invite(permit, input).await?;
        if skip_email {
            return Ok(view);
        }
        let tenant = permit.tenant()?;
        let pending = view.memberships.iter().any(|m| &m.tenant_id == tenant && m.pending);
        let sent = if pending {
            self.send_invitation_email(&view.user, tenant).await
        } else if !view.user.verified {
            self.send_activation_email(&view.user).await
        } else {
            Ok(())
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "an invitation email was not sent");
        }
        Ok(view)
    }

    /// Emails `user` a new invitation link into `tenant`.
    pub async fn send_invitation_email(&self, user: &User, tenant: &TenantId) -> CoreResult<()> {
        if user.email.is_empty() {
            return Ok(());
        }
        let strategy = self.invitation_strategy_in_force().await?;
        let token = random_token();
        let now = self.clock.now();
        let ttl = match strategy.strategy {
            LinkOrCode::Code => Duration::seconds(strategy.code_expiration),
            LinkOrCode::Link => Duration::hours(INVITATION_TTL_HOURS),
        };
        self.store.issue_invitation_secret(user.id, tenant, &sha256_hex(&token), now, now + ttl).await?;
        let link = format!("{}/account/invitation/accept?userId={}&token={token}", self.app_url, user.id);
        if strategy.strategy == LinkOrCode::Code {
            let code = numeric_code();
            let purpose = SecretPurpose::Invitation;
            self.store.set_secret_code(user.id, purpose, Some(tenant), &sha256_hex(&code), now).await?;
            let vars = Vars::new()
                .set("name", greeting(user))
                .set("email", user.email.as_str())
                .set("code", code)
                .set("redirectURL", link)
                .set("expirationMinutes", (strategy.code_expiration / 60).to_string());
            let kind = EmailTemplateType::InviteToTenantWithCode;
            return self.delivery.send_email_template(kind, &user.email, vars).await;
        }
        let vars = Vars::new()
            .set("name", greeting(user))
            .set("email", user.email.as_str())
            .set("redirectURL", link)
            .set("expirationDays", (INVITATION_TTL_HOURS / 24).to_string());
        self.delivery.send_email_template(EmailTemplateType::InviteToTenant, &user.email, vars).await
    }

    /// `GET /tenants/invites/v1/configuration`: tenant invitation links (`tenants/invites/v1/*`) work while the
    /// environment's `allowTenantInvitations` is on; invitation emails always go out (by SMTP, or to the outbox).
    pub async fn tenant_invites_configuration(&self) -> CoreResult<TenantInvitesConfiguration> {
        let allowed = self.settings.vendor_config_in_force().await?.allow_tenant_invitations;
        Ok(TenantInvitesConfiguration { tenant_invitations_allowed: allowed, emails_enabled: true })
    }

    /// The user with `email` and its memberships (`NotFound(User)` for an unknown address; 400 for none).
    async fn invited(&self, email: &str) -> CoreResult<(User, Vec<yolk_domain::Membership>)> {
        let email = email.trim();
        if email.is_empty() {
            return Err(CoreError::BadRequest("email is required".into()));
        }
        let user = match self.store.get_user_by_email(email).await {
            Ok(user) => user,
            Err(StoreError::NotFound(_)) => return Err(CoreError::NotFound(yolk_store::Entity::User)),
            Err(e) => return Err(e.into()),
        };
        let memberships = self.store.memberships(&[user.id]).await?.remove(&user.id).unwrap_or_default();
        Ok((user, memberships))
    }

    /// `POST /users/v1/invitation/reset/all` `{email}` (environment): a new invitation link into every tenant where
    /// the user's membership is still pending, each emailed (the previous links die). `NotFound(User)` when no
    /// user with that address has a pending invitation.
    pub async fn resend_all_invitations(&self, _: &Environment, email: &str) -> CoreResult<()> {
        let not_found = || CoreError::NotFound(yolk_store::Entity::User);
        let (user, memberships) = self.invited(email).await?;
        let pending: Vec<_> = memberships.into_iter().filter(|m| m.pending).map(|m| m.tenant_id).collect();
        if pending.is_empty() {
            return Err(not_found());
        }
        for tenant in &pending {
            self.send_invitation_email(&user, tenant).await?;
        }
        Ok(())
    }

    /// `POST /users/v1/invitation/reset` `{email}`: a new invitation link into the tenant in scope, emailed to the
    /// user whose membership there is still pending (its previous link for that tenant dies). `NotFound(User)` when
    /// no user with that address has a pending invitation there (the same answer as an unknown address).
    pub async fn resend_invitation(&self, permit: &Permit<WriteUsers>, email: &str) -> CoreResult<()> {
        let tenant = permit.tenant()?.clone();
        let not_found = || CoreError::NotFound(yolk_store::Entity::User);
        let (user, memberships) = self.invited(email).await?;
        if !memberships.iter().any(|m| m.tenant_id == tenant && m.pending) {
            return Err(not_found());
        }
        self.send_invitation_email(&user, &tenant).await
    }

    /// `POST /users/v1/invitation/accept`: with the token of one of the user's live invitations, spends it and
    /// lets the user into that tenant (one transaction); an unverified account also loses its password and
    /// sessions and becomes verified. A wrong token is a 400 and counts against the user's live invitations.
    pub async fn accept_invitation(&self, user: UserId, token: &str) -> CoreResult<TenantId> {
        self.accept_invitation_checked(user, token, None).await
    }

    /// `POST /users/v1/invitation/accept/code`: [`Self::accept_invitation`] with the code the invitation email
    /// carried as well (the `code` strategy); a wrong code counts against that invitation.
    pub async fn accept_invitation_with_code(&self, user: UserId, token: &str, code: &str) -> CoreResult<TenantId> {
        self.accept_invitation_checked(user, token, Some(code)).await
    }

    async fn accept_invitation_checked(&self, user: UserId, token: &str, code: Option<&str>) -> CoreResult<TenantId> {
        let now = self.clock.now();
        let live = self.store.live_invitation_secrets(user, now, MAX_FAILURES).await?;
        let hash = sha256_hex(token);
        // Every candidate is compared (no early exit), each in constant time.
        let mut matched = None;
        for secret in &live {
            if constant_time_eq(&hash, &secret.hash) {
                matched = Some(secret);
            }
        }
        let Some(secret) = matched else {
            if !live.is_empty() {
                self.store.fail_user_secrets(user, SecretPurpose::Invitation, now).await?;
            }
            return Err(invalid_invitation());
        };
        if let Some(code) = code {
            self.check_code(secret, code, invalid_invitation).await?;
        }
        let tenant =
            self.store.accept_invitation_with_secret(&secret.id, user, now).await?.ok_or_else(invalid_invitation)?;
        self.access.invalidate();
        Ok(tenant)
    }
}
