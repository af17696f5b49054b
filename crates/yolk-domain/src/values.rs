//! Values validated once where they enter the system (parse, don't validate).

/// An email address as stored: trimmed, with the comparison form lower-cased.
///
/// Frontegg treats emails case-insensitively; the original spelling is kept for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    /// Parses an address. Accepts `local@domain` with a dot in the domain and no whitespace, at most 254 bytes.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let valid = s.len() <= 254
            && !s.chars().any(char::is_whitespace)
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if !valid {
            return Err("email must be a valid email".to_owned());
        }
        Ok(Self { display: s.to_owned(), normalized: s.to_lowercase() })
    }

    /// The address as the user typed it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The lower-cased form used for uniqueness and lookups.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// A login username: `^[a-zA-Z0-9._-]+$`, at most 255 characters (surrounding whitespace dropped). The one rule
/// for sign-up, user creation and login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// The rule, for error messages.
    pub const RULE: &'static str = "username must match ^[a-zA-Z0-9._-]+$ (at most 255 characters)";

    /// Parses a username.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let u = raw.trim();
        let valid = !u.is_empty()
            && u.len() <= 255
            && u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if valid { Ok(Self(u.to_owned())) } else { Err(Self::RULE.to_owned()) }
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The username as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The longest `profilePictureUrl` the spec allows.
pub const MAX_PICTURE_URL: usize = 4095;

/// A phone number in the spec's format (`^\+[1-9]{1}(\-?)(([0-9])(\-?)){5,13}(([0-9]$){1})`): a `+`, then 7 to 15
/// digits, the first not 0, optionally separated by single dashes, ending in a digit.
pub fn check_phone_number(p: &str) -> Result<(), String> {
    const RULE: &str = "phoneNumber must be in international format, e.g. +14155552671";
    let Some(rest) = p.strip_prefix('+') else { return Err(RULE.into()) };
    let bytes = rest.as_bytes();
    if !matches!(bytes.first(), Some(b'1'..=b'9')) || !bytes.last().is_some_and(u8::is_ascii_digit) {
        return Err(RULE.into());
    }
    let mut digits = 0;
    let mut after_dash = false;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                after_dash = false;
            }
            b'-' if !after_dash => after_dash = true,
            _ => return Err(RULE.into()),
        }
    }
    if (7..=15).contains(&digits) { Ok(()) } else { Err(RULE.into()) }
}

/// Normalizes a JSON metadata value to the form Frontegg returns: a JSON-encoded string.
///
/// Clients send metadata either as an object or as a string holding JSON; both are stored as the string.
pub fn metadata_to_string(value: &serde_json::Value) -> Result<Option<String>, String> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => {
            if s.is_empty() {
                return Ok(None);
            }
            serde_json::from_str::<serde_json::Value>(s)
                .map_err(|_| "metadata must be a JSON object or a JSON-encoded string".to_owned())?;
            Ok(Some(s.clone()))
        }
        serde_json::Value::Object(_) => Ok(Some(value.to_string())),
        _ => Err("metadata must be a JSON object or a JSON-encoded string".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalized_for_comparison_only() {
        let e = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Alice@Example.COM");
        assert_eq!(e.normalized(), "alice@example.com");
    }

    #[test]
    fn bad_emails_are_rejected() {
        for bad in ["", "a", "a@b", "@x.io", "a b@x.io", "a@x.io.", "a@@x.io"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_follow_one_rule() {
        assert_eq!(Username::parse(" ann.b_c-1 ").unwrap().as_str(), "ann.b_c-1");
        for bad in ["", " ", "a b", "ann@x", "é", &"a".repeat(256)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phone_numbers_follow_the_spec_pattern() {
        for ok in ["+14155552671", "+972-54-1234567", "+1234567", "+123456789012345", "+1-2-3-4-5-6-7"] {
            assert!(check_phone_number(ok).is_ok(), "{ok}");
        }
        for bad in [
            "14155552671",
            "+04155552671",
            "+123456",
            "+1234567890123456",
            "+1--234567",
            "+1234567-",
            "+-1234567",
            "+1 415 555",
        ] {
            assert!(check_phone_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_accepts_object_or_json_string() {
        let obj = serde_json::json!({"a": 1});
        assert_eq!(metadata_to_string(&obj).unwrap().as_deref(), Some(r#"{"a":1}"#));
        let s = serde_json::json!(r#"{"a":1}"#);
        assert_eq!(metadata_to_string(&s).unwrap().as_deref(), Some(r#"{"a":1}"#));
        assert!(metadata_to_string(&serde_json::json!("not json")).is_err());
        assert!(metadata_to_string(&serde_json::json!(5)).is_err());
    }
}
