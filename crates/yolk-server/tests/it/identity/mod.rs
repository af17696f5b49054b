//! identity.json routes.

mod access_tokens;
mod activation;
mod auth;
mod configurations;
mod configurations_captcha;
mod delivery;
mod invitations;
mod me;
mod me_tenants;
mod mfa;
mod password_change;
mod password_reset;
mod password_settings;
mod passwordless;
mod passwordless_code;
mod permissions;
mod phone_numbers;
mod roles;
mod roles_support;
mod roles_v2;
mod saml;
mod tenant_invites;
mod user_emails;
mod usernames;
mod users;
mod webauthn;
