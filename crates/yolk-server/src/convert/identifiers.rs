//! A user's addresses, usernames and phone numbers.

use yolk_api_types::identifiers::{UserEmailResponse, UserPhoneNumberResponse, UsernameResponse};
use yolk_store::identifiers::{UserEmail, UserPhoneNumber, UsernameEntry};

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

/// `UserPhoneNumberResponseDto`.
pub fn phone_number_dto(p: &UserPhoneNumber) -> UserPhoneNumberResponse {
    UserPhoneNumberResponse {
        id: p.id.to_string(),
        user_id: p.user_id.to_string(),
        phone_number: p.phone_number.clone(),
        verified: p.verified,
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
    }
}
