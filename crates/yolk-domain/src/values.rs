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
    fn metadata_accepts_object_or_json_string() {
        let obj = serde_json::json!({"a": 1});
        assert_eq!(metadata_to_string(&obj).unwrap().as_deref(), Some(r#"{"a":1}"#));
        let s = serde_json::json!(r#"{"a":1}"#);
        assert_eq!(metadata_to_string(&s).unwrap().as_deref(), Some(r#"{"a":1}"#));
        assert!(metadata_to_string(&serde_json::json!("not json")).is_err());
        assert!(metadata_to_string(&serde_json::json!(5)).is_err());
    }
}
