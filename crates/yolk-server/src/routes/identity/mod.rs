//! identity.json, served under `/identity`. One module per resource group (spec tag).

pub mod access_tokens;
pub mod auth;
pub mod configurations;
pub mod delivery;
pub mod invitations;
pub mod me;
pub mod mfa;
pub mod password_settings;
pub mod passwordless_code;
pub mod permission_categories;
pub mod permissions;
pub mod phone_numbers;
pub mod roles;
pub mod roles_v2;
pub mod social;
pub mod sso_login;
pub mod tenant_invites;
pub mod user_emails;
pub mod usernames;
pub mod users;
pub mod webauthn;

use axum::Router;

use crate::state::AppState;

/// Every identity route (paths relative to `/identity`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(configurations::router())
        .merge(delivery::router())
        .merge(access_tokens::router())
        .merge(users::router())
        .merge(me::router())
        .merge(mfa::router())
        .merge(password_settings::router())
        .merge(passwordless_code::router())
        .merge(roles::router())
        .merge(roles_v2::router())
        .merge(permissions::router())
        .merge(permission_categories::router())
        .merge(invitations::router())
        .merge(user_emails::router())
        .merge(phone_numbers::router())
        .merge(usernames::router())
        .merge(tenant_invites::router())
        .merge(webauthn::router())
        .merge(sso_login::router())
        .merge(social::router())
}
