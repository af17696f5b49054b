//! yolk's services: the rules of every capability, over the store's traits. Handlers authorize (a proof from
//! [`access`]), convert, call one service method and render; nothing here knows about HTTP or SQL.

pub mod access;
pub mod activation;
pub mod auth;
pub mod bulk_invite;
pub mod captcha;
pub mod delivery;
mod error;
pub mod grants;
pub mod identifiers;
mod jws;
pub mod keys;
pub mod lockout;
pub mod mfa;
pub mod passkeys;
pub mod password_rules;
pub mod passwordless;
pub mod passwordless_code;
pub mod passwords;
pub mod phone_numbers;
pub mod recovery;
pub mod recovery_sms;
pub mod roles;
pub mod saml;
pub mod scim;
pub mod secrets;
pub mod settings;
pub mod social;
pub mod sso;
pub mod sso_login;
pub mod start;
pub mod tenant_invites;
pub mod tenants;
pub mod tokens;
pub mod users;
pub mod webauthn;

use std::sync::Arc;

use yolk_domain::Clock;
use yolk_store::Store;

pub use error::{CoreError, CoreResult};

use crate::access::Gate;
use crate::auth::AuthService;
use crate::delivery::{Channels, Delivery};
use crate::grants::AccessCache;
use crate::lockout::PasswordCheck;
use crate::passwords::Passwords;
use crate::roles::RoleService;
use crate::settings::Settings;
use crate::tenants::TenantService;
use crate::tokens::Tokens;
use crate::users::UserService;

/// Every service, built once at start-up over one store, token service, password hasher and clock.
#[derive(Clone)]
pub struct Services {
    /// Verifies tokens and hands out the authorization proofs.
    pub gate: Gate,
    /// Login, refresh, logout.
    pub auth: AuthService,
    pub users: UserService,
    pub tenants: TenantService,
    /// Roles, permissions and permission categories.
    pub roles: RoleService,
    /// Settings documents.
    pub settings: Settings,
    pub tokens: Tokens,
    /// The password hasher (shared by every path that sets or checks a password).
    pub passwords: Passwords,
    /// Emails and SMS (to the outbox until [`Services::with_channels`] names real channels).
    pub delivery: Delivery,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    access: AccessCache,
    password_check: PasswordCheck,
    /// Where the app's login box runs ([`Services::with_app_url`]): links in emails point at its pages.
    app_url: Arc<str>,
    /// The captcha policy's check ([`Services::with_captcha_url`] names the service).
    pub captcha: captcha::Captcha,
    /// WebAuthn's relying party: `app_url`'s host ([`Services::with_app_url`]); `None` when it names none.
    webauthn: Option<Arc<::webauthn_rs::Webauthn>>,
    /// Answers DNS TXT lookups for SSO domain proofs ([`Services::with_txt_resolver`]; the system's by default).
    txt_resolver: Arc<dyn sso::TxtResolver>,
    /// The master key, when configured ([`Services::with_master_key`]): seals the SAML SP key at rest.
    master_key: Option<Arc<keys::MasterKey>>,
}

impl Services {
    /// Wires the services together. `access_ttl_ms` bounds how long another node's revocation may go unseen
    /// (see [`grants`]).
    pub fn new(
        store: Arc<dyn Store>,
        tokens: Tokens,
        passwords: Passwords,
        clock: Arc<dyn Clock>,
        access_ttl_ms: u64,
    ) -> Self {
        let settings = Settings::new(store.clone(), clock.clone(), tokens.settings().clone(), access_ttl_ms);
        let settings_for_captcha = settings.clone();
        let access = AccessCache::new(store.clone(), clock.clone(), access_ttl_ms);
        let password_check =
            PasswordCheck::new(store.clone(), settings.clone(), passwords.clone(), clock.clone(), access.clone());
        let auth = AuthService::new(
            store.clone(),
            tokens.clone(),
            password_check.clone(),
            settings.clone(),
            clock.clone(),
            access.clone(),
        );
        let delivery = Delivery::new(store.clone(), clock.clone(), Channels::default());
        let app_url: Arc<str> = Arc::from("http://localhost:8080");
        password_check.set_mailer(delivery.clone(), app_url.clone());
        Self {
            gate: Gate::new(tokens.clone(), store.clone(), access.clone()),
            auth,
            users: UserService::new(
                store.clone(),
                clock.clone(),
                passwords.clone(),
                settings.clone(),
                access.clone(),
                password_check.clone(),
            ),
            tenants: TenantService::new(store.clone(), clock.clone(), settings.clone(), access.clone()),
            roles: RoleService::new(store.clone(), clock.clone(), access.clone()),
            settings,
            tokens,
            passwords,
            delivery,
            store,
            clock,
            access,
            password_check,
            webauthn: webauthn::relying_party(&app_url, &[]),
            app_url,
            captcha: captcha::Captcha::new(settings_for_captcha, captcha::RECAPTCHA_VERIFY_URL),
            txt_resolver: Arc::new(sso::SystemTxtResolver::default()),
            master_key: None,
        }
    }

    /// The same services, SSO domain proofs looking TXT records up with `resolver` (tests answer from memory).
    pub fn with_txt_resolver(mut self, resolver: Arc<dyn sso::TxtResolver>) -> Self {
        self.txt_resolver = resolver;
        self
    }

    /// The same services, sealing the SAML SP key with `master` (the signing keys' master key).
    pub fn with_master_key(mut self, master: Option<keys::MasterKey>) -> Self {
        self.master_key = master.map(Arc::new);
        self
    }

    /// SSO configuration (and the lookups the SSO login flows need).
    pub fn sso(&self) -> sso::Sso {
        sso::Sso {
            store: self.store.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            resolver: self.txt_resolver.clone(),
            public_url: Arc::from(self.tokens.settings().issuer.as_str()),
            master_key: self.master_key.clone(),
        }
    }

    /// Signing in through a tenant's IdP (SSO prelogin, the SAML assertion consumer).
    pub fn sso_logins(&self) -> sso_login::SsoLogins {
        sso_login::SsoLogins {
            store: self.store.clone(),
            clock: self.clock.clone(),
            sso: self.sso(),
            auth: self.auth.clone(),
            users: self.users.clone(),
            app_url: self.app_url.clone(),
        }
    }

    /// Social login: built-in and custom OAuth providers, and the sign-in through them.
    pub fn social(&self) -> social::Social {
        social::Social {
            store: self.store.clone(),
            clock: self.clock.clone(),
            auth: self.auth.clone(),
            users: self.users.clone(),
        }
    }

    /// The same services, with links in emails pointing at `app_url` (no trailing slash needed).
    pub fn with_app_url(mut self, app_url: &str) -> Self {
        self.app_url = Arc::from(app_url.trim_end_matches('/'));
        self.password_check.set_mailer(self.delivery.clone(), self.app_url.clone());
        self.webauthn = webauthn::relying_party(&self.app_url, &[]);
        self
    }

    /// The same services, WebAuthn also accepting ceremonies from `origins` on the app's site (the RP id's host or
    /// a subdomain of it). Call after [`Services::with_app_url`].
    pub fn with_webauthn_origins(mut self, origins: &[String]) -> Self {
        self.webauthn = webauthn::relying_party(&self.app_url, origins);
        self
    }

    /// The same services, checking captcha tokens with the `siteverify` service at `url`.
    pub fn with_captcha_url(mut self, url: &str) -> Self {
        self.captcha = captcha::Captcha::new(self.settings.clone(), url);
        self
    }

    /// Passwordless sign-in.
    pub fn passwordless(&self) -> passwordless::Passwordless {
        passwordless::Passwordless {
            store: self.store.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            delivery: self.delivery.clone(),
            auth: self.auth.clone(),
            app_url: self.app_url.clone(),
        }
    }

    /// Multi-factor authentication.
    pub fn mfa(&self) -> mfa::Mfa {
        mfa::Mfa {
            store: self.store.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            delivery: self.delivery.clone(),
            auth: self.auth.clone(),
            webauthn: self.webauthn.clone(),
        }
    }

    /// Passkeys.
    pub fn passkeys(&self) -> passkeys::Passkeys {
        passkeys::Passkeys {
            store: self.store.clone(),
            clock: self.clock.clone(),
            auth: self.auth.clone(),
            webauthn: self.webauthn.clone(),
        }
    }

    /// A user's own phone numbers, proved by texted codes.
    pub fn phone_numbers(&self) -> phone_numbers::PhoneNumbers {
        phone_numbers::PhoneNumbers {
            store: self.store.clone(),
            clock: self.clock.clone(),
            mfa: self.mfa(),
            identifiers: self.identifiers(),
        }
    }

    /// A user's addresses, email change, usernames and phone numbers.
    pub fn identifiers(&self) -> identifiers::Identifiers {
        identifiers::Identifiers {
            store: self.store.clone(),
            clock: self.clock.clone(),
            delivery: self.delivery.clone(),
            app_url: self.app_url.clone(),
            settings: self.settings.clone(),
        }
    }

    /// Password recovery.
    pub fn recovery(&self) -> recovery::Recovery {
        recovery::Recovery {
            store: self.store.clone(),
            clock: self.clock.clone(),
            passwords: self.passwords.clone(),
            settings: self.settings.clone(),
            access: self.access.clone(),
            password_check: self.password_check.clone(),
            delivery: self.delivery.clone(),
            app_url: self.app_url.clone(),
        }
    }

    /// SCIM connections and the SCIM protocol.
    pub fn scim(&self) -> scim::Scim {
        scim::Scim {
            store: self.store.clone(),
            clock: self.clock.clone(),
            users: self.users.clone(),
            access: self.access.clone(),
        }
    }

    /// Activation and invitation links.
    pub fn activation(&self) -> activation::Activation {
        activation::Activation {
            store: self.store.clone(),
            clock: self.clock.clone(),
            passwords: self.passwords.clone(),
            settings: self.settings.clone(),
            access: self.access.clone(),
            delivery: self.delivery.clone(),
            auth: self.auth.clone(),
            users: self.users.clone(),
            app_url: self.app_url.clone(),
        }
    }

    /// The same services, delivering through `channels` (a missing channel keeps sending to the outbox).
    pub fn with_channels(mut self, channels: Channels) -> Self {
        self.delivery = Delivery::new(self.store.clone(), self.clock.clone(), channels);
        self.password_check.set_mailer(self.delivery.clone(), self.app_url.clone());
        self
    }

    /// The lockout policy's checker (`POST /users/v3/me/unlock`).
    pub fn lockout(&self) -> &PasswordCheck {
        &self.password_check
    }

    /// Whether the store answers; its backend (`sqlite`, `postgres`) when it does.
    pub async fn health(&self) -> CoreResult<&'static str> {
        self.store.ping().await?;
        Ok(self.store.backend())
    }
}
