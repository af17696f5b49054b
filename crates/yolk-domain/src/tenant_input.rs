//! The rules for a tenant's client-given fields: its name, alias, metadata and descriptive profile. One set of
//! rules for creating tenants and sub-accounts, updating them and changing account settings.

use serde::Deserialize;
use serde_json::Value;

use crate::model::TenantProfile;
use crate::patch::Patch;
use crate::values::{MAX_NAME, check_metadata_size, check_text};
/// Longest descriptive field (URLs, addresses, formats); the base64 `logo` is bounded by the body limit only.
const MAX_TEXT: usize = 2048;

/// A display name: trimmed, non-empty, at most 255 characters, no control characters.
pub fn tenant_name(raw: Option<&str>) -> Result<String, String> {
    let n = raw.map(str::trim).unwrap_or_default();
    if n.is_empty() || n.chars().count() > MAX_NAME {
        return Err(format!("name is required (1 to {MAX_NAME} characters)"));
    }
    check_text("name", n, MAX_NAME)?;
    Ok(n.to_owned())
}

/// A login alias: 1 to 255 letters, digits, `-`, `_` or `.` (it travels in URLs and the `frontegg-login-alias`
/// header).
pub fn tenant_alias(raw: &str) -> Result<String, String> {
    let valid = !raw.is_empty()
        && raw.len() <= MAX_NAME
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid { Ok(raw.to_owned()) } else { Err("alias must be 1 to 255 letters, digits, '-', '_' or '.'".into()) }
}

/// Tenant metadata as stored: a JSON-encoded string. Accepts an object or a string holding JSON (Frontegg's
/// documented forms) and, as Frontegg does, any other JSON value, which is stored encoded (a Rust client sends
/// `42`).
pub fn tenant_metadata(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null | Value::Object(_) | Value::String(_) => crate::values::metadata_to_string(value),
        other => {
            let stored = other.to_string();
            check_metadata_size(&stored)?;
            Ok(Some(stored))
        }
    }
}

/// An optional descriptive field: empty means none.
fn text(raw: Option<&str>, field: &str) -> Result<Option<String>, String> {
    match raw {
        None | Some("") => Ok(None),
        Some(v) if field == "logo" => check_text(field, v, usize::MAX).map(|()| Some(v.to_owned())),
        Some(v) => check_text(field, v, MAX_TEXT).map(|()| Some(v.to_owned())),
    }
}

macro_rules! profile_fields {
    ($($field:ident => $wire:literal,)*) => {
        impl TenantProfile {
            /// Checks every field of a new tenant's profile (empty strings become none).
            pub fn validated(self) -> Result<Self, String> {
                Ok(Self { $($field: text(self.$field.as_deref(), $wire)?,)* })
            }
        }

        /// A partial update of a [`TenantProfile`]: each field absent (kept), `null` (cleared) or a value.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(rename_all = "camelCase", default)]
        pub struct TenantProfilePatch {
            $(pub $field: Patch<String>,)*
        }

        impl TenantProfilePatch {
            /// Whether any field was sent.
            pub fn is_empty(&self) -> bool {
                true $(&& !self.$field.is_present())*
            }

            /// Checks and applies the sent fields; on an invalid one the profile may be partly changed, so apply to a
            /// copy (or check first with [`TenantProfilePatch::check`]).
            pub fn apply(&self, p: &mut TenantProfile) -> Result<(), String> {
                $(match &self.$field {
                    Patch::Absent => {}
                    Patch::Null => p.$field = None,
                    Patch::Value(v) => p.$field = text(Some(v), $wire)?,
                })*
                Ok(())
            }

            /// Checks the sent fields without applying them.
            pub fn check(&self) -> Result<(), String> {
                self.apply(&mut TenantProfile::default())
            }
        }
    };
}

profile_fields! {
    status => "status",
    website => "website",
    application_url => "applicationUrl",
    logo => "logo",
    logo_url => "logoUrl",
    address => "address",
    timezone => "timezone",
    date_format => "dateFormat",
    time_format => "timeFormat",
    currency => "currency",
    creator_name => "creatorName",
    creator_email => "creatorEmail",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_patches_apply_only_sent_fields() {
        let patch: TenantProfilePatch =
            serde_json::from_value(serde_json::json!({ "website": "https://a.io", "timezone": null })).unwrap();
        let mut p = TenantProfile { timezone: Some("UTC".into()), currency: Some("EUR".into()), ..Default::default() };
        patch.apply(&mut p).unwrap();
        assert_eq!(p.website.as_deref(), Some("https://a.io"));
        assert_eq!(p.timezone, None);
        assert_eq!(p.currency.as_deref(), Some("EUR"));
        let long: TenantProfilePatch =
            serde_json::from_value(serde_json::json!({ "address": "x".repeat(2049) })).unwrap();
        assert!(long.check().is_err());
    }

    #[test]
    fn names_aliases_and_metadata() {
        assert_eq!(tenant_name(Some(" Acme ")).unwrap(), "Acme");
        assert!(tenant_name(Some("  ")).is_err());
        assert!(tenant_alias("acme-1.b_c").is_ok());
        assert!(tenant_alias("a b").is_err());
        assert_eq!(tenant_metadata(&serde_json::json!(42)).unwrap().as_deref(), Some("42"));
    }
}
