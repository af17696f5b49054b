//! WebAuthn's relying party: the one place that builds ceremonies and reads what browsers send back, shared by
//! WebAuthn second factors ([`crate::mfa`]) and passkeys ([`crate::passkeys`]).
//!
//! The cryptography (attestation and assertion verification, the signature counter, the origin and RP id checks) is
//! `webauthn-rs`'s. A ceremony's state is kept server-side, in an MFA challenge row (single-use, short-lived), never
//! handed to the client: nodes are stateless, and the state must not be forgeable.
//!
//! **The relying party** is the app where the login box runs (`app_url`): its host is the RP id, and its origin is
//! the origin browsers must report. The configured `allowed_origins` on the same site (the RP id or a subdomain of
//! it) are accepted too.
//!
//! **Wire shapes.** Frontegg's SDK sends the creation and request options to `navigator.credentials` after decoding
//! `challenge`, `user.id` and credential ids from base64url, and posts back `{id, response: {...}}` with every
//! buffer base64url-encoded (no `rawId`, no `type`): [`registration`] and [`assertion`] complete those.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential, Url, WebauthnError};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::{CoreError, CoreResult};

/// How long a ceremony (the browser's prompt) may take, in minutes.
pub const CEREMONY_TTL_MINUTES: i64 = 5;

/// What every failed WebAuthn proof is told.
pub const INVALID_WEBAUTHN: &str = "The authenticator's response is invalid or has expired";

/// The relying party: `app_url`'s host, with `extra_origins` on the same site allowed beside `app_url`'s origin.
/// `None` when `app_url` names no host a browser accepts as an RP id (then WebAuthn is off, with a clear error).
pub fn relying_party(app_url: &str, extra_origins: &[String]) -> Option<Arc<Webauthn>> {
    let origin = Url::parse(app_url).ok()?;
    let rp_id = origin.host_str()?.to_owned();
    let mut builder = WebauthnBuilder::new(&rp_id, &origin).ok()?.rp_name("yolk");
    for extra in extra_origins {
        let Ok(url) = Url::parse(extra.trim()) else { continue };
        let same_site = url.host_str().is_some_and(|h| h == rp_id || h.ends_with(&format!(".{rp_id}")));
        if same_site && url.origin() != origin.origin() {
            builder = builder.append_allowed_origin(&url);
        }
    }
    builder.build().ok().map(Arc::new)
}

/// The relying party, or the error that says why there is none.
pub(crate) fn require(rp: &Option<Arc<Webauthn>>) -> CoreResult<&Webauthn> {
    rp.as_deref().ok_or_else(|| {
        CoreError::BadRequest("WebAuthn needs the server's app_url to name the app's host (its relying party)".into())
    })
}

/// A browser's answer as Frontegg's SDK posts it: the credential id and the authenticator's response.
#[derive(Debug, Clone, Deserialize)]
pub struct BrowserCredential {
    pub id: String,
    pub response: Value,
}

/// Completes a registration answer into what `webauthn-rs` reads.
pub(crate) fn registration(c: &BrowserCredential) -> CoreResult<RegisterPublicKeyCredential> {
    serde_json::from_value(complete(c)).map_err(|_| invalid())
}

/// Completes an assertion answer into what `webauthn-rs` reads.
pub(crate) fn assertion(c: &BrowserCredential) -> CoreResult<PublicKeyCredential> {
    let mut value = complete(c);
    // The SDK sends `userHandle: null` for credentials that have none; `webauthn-rs` wants it absent.
    if let Some(r) = value.get_mut("response").and_then(Value::as_object_mut)
        && r.get("userHandle").is_some_and(|h| h.is_null() || h.as_str() == Some(""))
    {
        r.remove("userHandle");
    }
    serde_json::from_value(value).map_err(|_| invalid())
}

fn complete(c: &BrowserCredential) -> Value {
    json!({
        "id": c.id,
        "rawId": c.id,
        "response": c.response,
        "type": "public-key",
        "extensions": {},
    })
}

/// The challenge a browser's answer signed (base64url, as the options carried it), from its `clientDataJSON`.
pub(crate) fn signed_challenge(c: &BrowserCredential) -> CoreResult<String> {
    let data = c.response.get("clientDataJSON").and_then(Value::as_str).ok_or_else(invalid)?;
    let bytes = decode_b64url(data).ok_or_else(invalid)?;
    let client: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    client.get("challenge").and_then(Value::as_str).map(str::to_owned).ok_or_else(invalid)
}

/// Base64url, with or without padding (and tolerating standard base64's alphabet).
pub(crate) fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// Base64url without padding.
pub(crate) fn encode_b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The options object the SDK hands to `navigator.credentials` (the `publicKey` member of what `webauthn-rs` makes).
pub(crate) fn options<T: serde::Serialize>(challenge: &T) -> CoreResult<Value> {
    let mut value = serde_json::to_value(challenge).map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(value.get_mut("publicKey").map(Value::take).unwrap_or(value))
}

/// The challenge of options made by [`options`].
pub(crate) fn options_challenge(options: &Value) -> CoreResult<String> {
    options
        .get("challenge")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| CoreError::Internal("WebAuthn options without a challenge".into()))
}

pub(crate) fn invalid() -> CoreError {
    CoreError::Unauthorized(INVALID_WEBAUTHN.into())
}

/// A `webauthn-rs` refusal: the client's proof failed (never a server error for a bad answer).
pub(crate) fn refused(_: WebauthnError) -> CoreError {
    invalid()
}

/// Serializes a ceremony state or a credential for the store.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> CoreResult<String> {
    serde_json::to_string(value).map_err(|e| CoreError::Internal(e.to_string()))
}

/// Reads back what [`to_json`] stored.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: Option<&str>) -> CoreResult<T> {
    serde_json::from_str(text.unwrap_or_default()).map_err(|e| CoreError::Internal(format!("stored WebAuthn: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rp_is_the_app_host_and_other_sites_are_not_origins() {
        assert!(relying_party("https://app.example.com", &[]).is_some());
        assert!(relying_party("not a url", &[]).is_none());
        // An origin on another site is skipped, not an error.
        assert!(relying_party("https://app.example.com", &["https://evil.example.net".into()]).is_some());
    }

    #[test]
    fn base64url_is_read_with_or_without_padding() {
        assert_eq!(decode_b64url("aGk"), Some(b"hi".to_vec()));
        assert_eq!(decode_b64url("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_b64url("+/8"), decode_b64url("-_8"));
        assert_eq!(decode_b64url("!!"), None);
    }
}
