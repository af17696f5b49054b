//! Values validated once where they enter the system (parse, don't validate). Every path that writes a field
//! uses the one rule here for it: emails, usernames, display names, picture URLs, phone numbers, metadata, and
//! free text (no control characters anywhere).

use unicode_normalization::UnicodeNormalization;

/// The comparison form of an email address: Unicode NFKC, then lower case. Two spellings of one address (a
/// precomposed `é` or `e` plus a combining accent, full-width letters, any letter case) have one form, so they are
/// one account. Every store and lookup of an email goes through this.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().nfkc().collect::<String>().to_lowercase()
}

/// An email address as stored: trimmed and NFKC-normalized for display, with the comparison form
/// ([`normalize_email`]) for uniqueness and lookups.
///
/// Frontegg treats emails case-insensitively; the spelling's case is kept for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    /// Parses an address. Accepts `local@domain` with a dot in the domain and no whitespace or control
    /// characters, at most 254 bytes once normalized.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s: String = raw.trim().nfkc().collect();
        let valid = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
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
        let normalized = normalize_email(&s);
        Ok(Self { display: s, normalized })
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

/// The longest display name (a user's or a tenant's), in characters.
pub const MAX_NAME: usize = 255;

/// The largest metadata document (a user's or a tenant's, as stored: JSON-encoded), in bytes. User metadata is
/// copied into every access token, so it must stay small.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

/// Free text as a client may store it: at most `max` characters and no control characters (a NUL, say, which
/// PostgreSQL refuses in text, or line breaks smuggled into logs and headers).
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    if value.chars().count() > max {
        return Err(format!("{field} must be at most {max} characters"));
    }
    Ok(())
}

/// A display name: trimmed, 1 to [`MAX_NAME`] characters, no control characters.
pub fn display_name(field: &str, raw: &str) -> Result<String, String> {
    let n = raw.trim();
    if n.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    check_text(field, n, MAX_NAME)?;
    Ok(n.to_owned())
}

/// A picture URL: an `http` or `https` URL (never `javascript:`, `data:` or another scheme a browser would run or
/// inline), at most [`MAX_PICTURE_URL`] characters, without whitespace or control characters.
pub fn picture_url(raw: &str) -> Result<String, String> {
    const RULE: &str = "profilePictureUrl must be an http or https URL";
    let u = raw.trim();
    check_text("profilePictureUrl", u, MAX_PICTURE_URL)?;
    let scheme = u.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let host = u.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
    if !matches!(scheme.as_deref(), Some("http" | "https")) || host.is_empty() || u.chars().any(char::is_whitespace) {
        return Err(RULE.into());
    }
    Ok(u.to_owned())
}

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

/// The one spelling of a phone number that [`check_phone_number`] accepts: trimmed, without its dashes
/// (`+1-555-0100-123` and `+15550100123` are one number). Uniqueness and lookups compare this form.
pub fn normalize_phone_number(p: &str) -> String {
    p.trim().chars().filter(|c| *c != '-').collect()
}

/// Normalizes a JSON metadata value to the form Frontegg returns: a JSON-encoded string.
///
/// Clients send metadata either as an object or as a string holding JSON; both are stored as the string. At most
/// [`MAX_METADATA_BYTES`].
pub fn metadata_to_string(value: &serde_json::Value) -> Result<Option<String>, String> {
    let stored = match value {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::String(s) => {
            if s.is_empty() {
                return Ok(None);
            }
            serde_json::from_str::<serde_json::Value>(s)
                .map_err(|_| "metadata must be a JSON object or a JSON-encoded string".to_owned())?;
            s.clone()
        }
        serde_json::Value::Object(_) => value.to_string(),
        _ => return Err("metadata must be a JSON object or a JSON-encoded string".to_owned()),
    };
    check_metadata_size(&stored)?;
    Ok(Some(stored))
}

/// Refuses stored metadata over [`MAX_METADATA_BYTES`].
pub fn check_metadata_size(stored: &str) -> Result<(), String> {
    if stored.len() > MAX_METADATA_BYTES {
        return Err(format!("metadata must be at most {MAX_METADATA_BYTES} bytes"));
    }
    Ok(())
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
    fn nfc_nfd_and_case_variants_of_an_email_are_one_address() {
        let nfc = Email::parse("Jos\u{e9}@Example.com").unwrap();
        let nfd = Email::parse("jose\u{301}@example.COM").unwrap();
        assert_eq!(nfc.normalized(), nfd.normalized());
        assert_eq!(nfc.normalized(), "jos\u{e9}@example.com");
        assert_eq!(normalize_email("\u{ff21}nn@x.io"), "ann@x.io"); // full-width A
        assert!(Email::parse("a\u{0}b@x.io").is_err());
    }

    #[test]
    fn text_names_urls_and_metadata_follow_one_rule() {
        assert_eq!(display_name("name", "  Ann ").unwrap(), "Ann");
        assert!(display_name("name", "   ").is_err());
        assert!(display_name("name", "A\u{0}B").is_err());
        assert!(display_name("name", &"x".repeat(256)).is_err());
        assert!(picture_url("https://img.example/a.png").is_ok());
        for bad in ["javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://x/y", "https://", "http://a b"] {
            assert!(picture_url(bad).is_err(), "{bad}");
        }
        let big = serde_json::json!({ "k": "x".repeat(MAX_METADATA_BYTES) });
        assert!(metadata_to_string(&big).is_err());
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
