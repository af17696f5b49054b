//! Compact JWS (RFC 7515) with RS256 on keys parsed once: what `jsonwebtoken::encode` and `decode` do, without
//! parsing (and checking) the RSA private key on every signature and the public key on every verification.
//!
//! A token is `BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature)`, no padding. The header is the one
//! `jsonwebtoken` writes for `Header { kid, ..Header::new(RS256) }` (`{"typ":"JWT","alg":"RS256","kid":"…"}`),
//! serialized by `jsonwebtoken` itself once per key, so the bytes the SDKs see do not change; the claims are
//! `serde_json::to_vec` of the claims, as `jsonwebtoken` does; RSASSA-PKCS1-v1_5 is deterministic, so a token signed
//! here is byte for byte the token `jsonwebtoken::encode` gives for the same key, header and claims.

use std::borrow::Cow;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// The only algorithm yolk signs with and accepts.
pub(crate) const ALG: &str = "RS256";

/// One RSA key, ready to sign and verify.
pub(crate) struct JwsKey {
    pair: RsaKeyPair,
    public: ParsedPublicKey,
    /// `BASE64URL(header)` of the tokens this key signs.
    header: String,
}

impl JwsKey {
    /// The key from the DER of its private half (PKCS#1 `RSAPrivateKey`) and of its public half (PKCS#1
    /// `RSAPublicKey` or SPKI), parsed once here. Does not check that they belong together (see
    /// [`JwsKey::self_check`]).
    pub(crate) fn new(kid: &str, private_pkcs1: &[u8], public: &[u8]) -> Result<Self, &'static str> {
        let pair = RsaKeyPair::from_der(private_pkcs1).map_err(|_| "unreadable private key")?;
        let public = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public).map_err(|_| "unreadable public key")?;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        let header = serde_json::to_vec(&header).map_err(|_| "header")?;
        Ok(Self { pair, public, header: URL_SAFE_NO_PAD.encode(header) })
    }

    /// Whether the public half verifies what the private half signs.
    pub(crate) fn self_check(&self) -> bool {
        let probe = b"yolk signing key self-check";
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), probe, &mut signature).is_ok()
            && self.public.verify_sig(probe, &signature).is_ok()
    }

    /// A compact JWS of `claims` (serialized as JSON).
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, &'static str> {
        let claims = serde_json::to_vec(claims).map_err(|_| "claims do not serialize")?;
        let modulus = self.pair.public_modulus_len();
        let mut token = String::with_capacity(self.header.len() + 2 + b64_len(claims.len()) + b64_len(modulus));
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let mut signature = vec![0; modulus];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), token.as_bytes(), &mut signature)
            .map_err(|_| "RSA signing failed")?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }

    /// Whether `signature` (base64url, no padding) is this key's RS256 signature of `signing_input`.
    pub(crate) fn verify(&self, signing_input: &str, signature: &str) -> bool {
        // A 2048..8192-bit key's signature is at most 1 KiB: decode on the stack.
        let mut raw = [0u8; 1024];
        match URL_SAFE_NO_PAD.decode_slice(signature, &mut raw) {
            Ok(n) => self.public.verify_sig(signing_input.as_bytes(), &raw[..n]).is_ok(),
            Err(_) => false,
        }
    }
}

/// Base64 length of `n` bytes without padding.
fn b64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// A compact JWS cut in its parts (not yet verified).
pub(crate) struct Compact<'a> {
    /// `header "." payload`: what the signature covers.
    pub signing_input: &'a str,
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
}

/// Cuts a token in its three parts; `None` unless there are exactly three.
pub(crate) fn split(token: &str) -> Option<Compact<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    if payload.contains('.') || signature.is_empty() {
        return None;
    }
    Some(Compact { signing_input, header, payload, signature })
}

/// The header fields verification reads.
#[derive(Deserialize)]
pub(crate) struct JoseHeader<'a> {
    #[serde(borrow)]
    pub alg: Cow<'a, str>,
    #[serde(borrow, default)]
    pub kid: Option<Cow<'a, str>>,
    /// Critical extensions: yolk understands none, so a token naming any is refused.
    #[serde(default)]
    pub crit: Option<IgnoredAny>,
}

/// Decodes a base64url (no padding) part.
pub(crate) fn decode_part(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_wants_exactly_three_parts() {
        let c = split("aGVhZA.cGF5.c2ln").unwrap();
        assert_eq!((c.signing_input, c.header, c.payload, c.signature), ("aGVhZA.cGF5", "aGVhZA", "cGF5", "c2ln"));
        assert!(split("a.b").is_none());
        assert!(split("a.b.c.d").is_none());
        assert!(split("a.b.").is_none(), "an empty signature (alg none) is not a JWS yolk accepts");
        assert!(split("").is_none());
    }

    #[test]
    fn b64_len_matches_the_encoder() {
        for n in 0..40 {
            assert_eq!(b64_len(n), URL_SAFE_NO_PAD.encode(vec![0u8; n]).len());
        }
    }
}
