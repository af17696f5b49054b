//! A user's addresses and usernames.

use yolk_api_types::identifiers::{UserEmailResponse, UsernameResponse};
use yolk_store::identifiers::{UserEmail, UsernameEntry};

use super::time;

/// `UserEmailResponseDto`.
pub fn user_email_dto(e: &UserEmail) -> UserEmailResponse {
    UserEmailResponse {
        id: e.id.to_string(),
        user_id: e.user_id.to_string(),
        email: e.email.clone(),
        verified: e.verified,
        is_primary: e.is_primary,
        created_at: time(e.created_at),
        updated_at: time(e.updated_at),
    }
}

/// `UsernameResponseDto`.
pub fn username_dto(u: &UsernameEntry) -> UsernameResponse {
    UsernameResponse { username: u.username.clone(), user_id: u.user_id.to_string() }
}
