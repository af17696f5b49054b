//! Typed ids: a `UserId` cannot be passed where a `RoleId` is expected, and every id is parsed once where it
//! enters the system (a path, a body, a store row).
//!
//! Entities with server-made ids use UUIDs ([`UserId`], [`RoleId`], ...). A tenant's public id ([`TenantId`]) is
//! chosen by the client (Frontegg lets it be any string), so it is a validated string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// Why an id did not parse; the message names the expectation, the caller names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Not a UUID.
    NotUuid,
    /// Not a valid tenant id (see [`TenantId::parse`]).
    BadTenantId,
}

impl IdError {
    /// What the value must be, for a message `"{field} {expectation}"`.
    pub fn expectation(self) -> &'static str {
        match self {
            Self::NotUuid => "must be a UUID",
            Self::BadTenantId => TenantId::RULE,
        }
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random (v4) id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// The UUID inside.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the textual UUID form.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                Uuid::parse_str(raw.trim()).map(Self).map_err(|_| IdError::NotUuid)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A user.
    UserId
);
uuid_id!(
    /// A role.
    RoleId
);
uuid_id!(
    /// A permission.
    PermissionId
);
uuid_id!(
    /// A permission category.
    CategoryId
);
uuid_id!(
    /// A login session (the `sid` claim).
    SessionId
);
uuid_id!(
    /// One of a user's email addresses.
    UserEmailId
);
uuid_id!(
    /// One of a user's phone numbers.
    PhoneNumberId
);
uuid_id!(
    /// A tenant's SSO configuration (SAML or OIDC).
    SsoConfigurationId
);
uuid_id!(
    /// A domain of an SSO configuration.
    SsoDomainId
);
uuid_id!(
    /// An IdP group's role mapping in an SSO configuration.
    SsoGroupId
);
uuid_id!(
    /// A message in the outbox (an email or SMS kept instead of sent).
    MessageId
);

/// A tenant's public id (`tenantId`): chosen by the client or generated (a UUID). One rule everywhere a tenant id
/// enters: surrounding whitespace is dropped; the rest must be 1 to 255 characters without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    /// The longest tenant id, in characters.
    pub const MAX_CHARS: usize = 255;
    /// The rule, for error messages.
    pub const RULE: &'static str = "must be a non-empty string of at most 255 characters without control characters";

    /// Parses a tenant id by the one rule above.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim();
        let valid = !s.is_empty() && s.chars().count() <= Self::MAX_CHARS && !s.chars().any(char::is_control);
        if valid { Ok(Self(s.to_owned())) } else { Err(IdError::BadTenantId) }
    }

    /// A new generated tenant id (a UUID, as Frontegg generates).
    pub fn generate() -> Self {
        Self(Uuid::new_v4().to_string())
    }

    /// A tenant id read back from the store, which only ever holds parsed ones.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for TenantId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for TenantId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl FromStr for TenantId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        // The path to the field (`parentTenantId: ...`) is added by the caller's deserializer.
        Self::parse(&raw).map_err(|_| serde::de::Error::custom(TenantId::RULE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_parse_and_print() {
        let id = UserId::new();
        assert_eq!(UserId::parse(&id.to_string()), Ok(id));
        assert_eq!(UserId::parse(&format!(" {id} ")), Ok(id));
        assert_eq!(UserId::parse("nope"), Err(IdError::NotUuid));
    }

    #[test]
    fn tenant_ids_follow_one_rule() {
        assert_eq!(TenantId::parse(" acme ").unwrap().as_str(), "acme");
        for bad in ["", "   ", "a\u{0}b", "tab\there", &"x".repeat(256)] {
            assert_eq!(TenantId::parse(bad), Err(IdError::BadTenantId), "{bad:?}");
        }
        assert!(TenantId::parse(&"é".repeat(255)).is_ok());
    }
}
