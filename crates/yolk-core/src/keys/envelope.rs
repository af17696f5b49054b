//! The signing keys' private halves at rest: sealed with the master key when one is configured.
//!
//! Scheme `aes-256-gcm.v1` (the `protection` stored beside the key): AES-256-GCM under the 32-byte master key, a
//! fresh random 96-bit nonce per sealing, and the key's `kid` bound as associated data (so a sealed key moved to
//! another row does not open). The stored text is `<master key id>.<nonce>.<ciphertext and tag>`, the last two in
//! base64url without padding; the master key id (16 hex digits of HMAC-SHA256(master key, "yolk master key id"))
//! tells a wrong master key apart from a damaged ciphertext without revealing anything about the key.

use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use yolk_domain::PrivateKey;

use crate::{CoreError, CoreResult};

/// The sealing scheme this version writes.
pub const SCHEME: &str = "aes-256-gcm.v1";

/// The master key's length, bytes.
pub const MASTER_KEY_LEN: usize = 32;

/// The key that seals the signing keys. Its bytes never leave this module; `Debug` shows only its id.
pub struct MasterKey {
    key: RandomizedNonceKey,
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id {})", self.id)
    }
}

impl MasterKey {
    /// A master key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> CoreResult<Self> {
        if bytes.len() != MASTER_KEY_LEN {
            return Err(config_error(format!(
                "the master key must be {MASTER_KEY_LEN} bytes, got {} (give 64 hex digits or base64 of 32 random \
                 bytes, e.g. the output of `openssl rand -base64 32`)",
                bytes.len()
            )));
        }
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .map_err(|_| CoreError::Internal("AES-256-GCM key setup failed".into()))?;
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, bytes), b"yolk master key id");
        Ok(Self { key, id: hex::encode(&tag.as_ref()[..8]) })
    }

    /// A master key from text: 64 hex digits, or base64 (standard or URL-safe, padded or not) of 32 bytes.
    /// Surrounding whitespace (a key file's final newline) is ignored. The error never quotes the text.
    pub fn parse(text: &str) -> CoreResult<Self> {
        let text = text.trim();
        if text.len() == 2 * MASTER_KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let bytes = hex::decode(text).map_err(|_| config_error("the master key is not valid hex".into()))?;
            return Self::from_bytes(&bytes);
        }
        let bytes = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or_else(|| {
                config_error(
                    "the master key is neither 64 hex digits nor base64 (e.g. the output of `openssl rand -base64 32`)"
                        .into(),
                )
            })?;
        Self::from_bytes(&bytes)
    }

    /// A master key from a file holding its text (see [`MasterKey::parse`]). Warns when others may read it.
    pub fn from_file(path: &Path) -> CoreResult<Self> {
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(path) {
            use std::os::unix::fs::PermissionsExt as _;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the master key file is readable by others: chmod 600 it");
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| config_error(format!("reading the master key file {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| match e {
            CoreError::BadRequest(msg) => config_error(format!("{msg} (in {})", path.display())),
            other => other,
        })
    }

    /// The master key configured by value or by file (at most one of them), if any.
    pub fn resolve(value: Option<&str>, file: Option<&Path>) -> CoreResult<Option<Self>> {
        match (value, file) {
            (Some(_), Some(_)) => Err(config_error(
                "configure the master key once: master_key (YOLK_MASTER_KEY) or master_key_file \
                 (YOLK_MASTER_KEY_FILE), not both"
                    .into(),
            )),
            (Some(text), None) => Self::parse(text).map(Some),
            (None, Some(path)) => Self::from_file(path).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The key's public id: 16 hex digits of HMAC-SHA256(key, "yolk master key id"). Safe to log.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn config_error(msg: String) -> CoreError {
    CoreError::BadRequest(msg)
}

fn aad(kid: &str) -> Vec<u8> {
    format!("yolk signing key\0{SCHEME}\0{kid}").into_bytes()
}

/// Seals a private key's PEM for the key `kid`.
pub fn seal(master: &MasterKey, kid: &str, pem: &str) -> CoreResult<PrivateKey> {
    let mut in_out = pem.as_bytes().to_vec();
    let nonce = master
        .key
        .seal_in_place_append_tag(Aad::from(aad(kid)), &mut in_out)
        .map_err(|_| CoreError::Internal("sealing a signing key failed".into()))?;
    let sealed =
        format!("{}.{}.{}", master.id, URL_SAFE_NO_PAD.encode(nonce.as_ref()), URL_SAFE_NO_PAD.encode(&in_out));
    Ok(PrivateKey::Sealed { scheme: SCHEME.to_owned(), sealed })
}

/// The PEM of the private key `kid` kept in `envelope`: as is when clear, opened with `master` when sealed.
/// Errors say what to configure (no master key, a different master key) or that the stored key is damaged; they
/// never quote key material.
pub fn open(master: Option<&MasterKey>, kid: &str, envelope: &PrivateKey) -> CoreResult<String> {
    let (scheme, sealed) = match envelope {
        PrivateKey::Clear(pem) => return Ok(pem.clone()),
        PrivateKey::Sealed { scheme, sealed } => (scheme, sealed),
    };
    if scheme != SCHEME {
        return Err(CoreError::Internal(format!(
            "signing key {kid} is sealed with an unknown scheme {scheme:?} (written by a newer yolk?)"
        )));
    }
    let damaged = || CoreError::Internal(format!("signing key {kid}: the sealed private key is malformed"));
    let mut parts = sealed.split('.');
    let (Some(id), Some(nonce), Some(ciphertext), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(damaged());
    };
    let Some(master) = master else {
        return Err(config_error(format!(
            "the signing keys in the store are encrypted with a master key (id {id}), and none is configured: set \
             master_key (YOLK_MASTER_KEY) or master_key_file (YOLK_MASTER_KEY_FILE)"
        )));
    };
    if id != master.id {
        return Err(config_error(format!(
            "the configured master key (id {}) is not the one the signing keys in the store were encrypted with \
             (id {id})",
            master.id
        )));
    }
    let nonce: [u8; NONCE_LEN] =
        URL_SAFE_NO_PAD.decode(nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(damaged)?;
    let mut in_out = URL_SAFE_NO_PAD.decode(ciphertext).map_err(|_| damaged())?;
    let plain = master.key.open_in_place(Nonce::from(&nonce), Aad::from(aad(kid)), &mut in_out).map_err(|_| {
        CoreError::Internal(format!(
            "signing key {kid}: the sealed private key does not open with the master key (id {id}): it was altered, \
             or moved from another key"
        ))
    })?;
    String::from_utf8(plain.to_vec()).map_err(|_| damaged())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIE...not-a-real-key\n-----END PRIVATE KEY-----\n";

    fn master() -> MasterKey {
        MasterKey::parse(HEX).unwrap()
    }

    fn other_master() -> MasterKey {
        MasterKey::from_bytes(&[7u8; 32]).unwrap()
    }

    fn sealed_text(envelope: &PrivateKey) -> String {
        match envelope {
            PrivateKey::Sealed { sealed, .. } => sealed.clone(),
            PrivateKey::Clear(_) => panic!("not sealed"),
        }
    }

    #[test]
    fn round_trip() {
        let envelope = seal(&master(), "kid1", PEM).unwrap();
        assert_eq!(envelope.scheme(), SCHEME);
        assert!(!envelope.stored_text().contains("PRIVATE KEY"), "nothing of the PEM in clear");
        assert!(!envelope.stored_text().contains("MIIE"));
        assert_eq!(open(Some(&master()), "kid1", &envelope).unwrap(), PEM);
    }

    #[test]
    fn every_sealing_uses_a_fresh_nonce() {
        let a = sealed_text(&seal(&master(), "kid1", PEM).unwrap());
        let b = sealed_text(&seal(&master(), "kid1", PEM).unwrap());
        assert_ne!(a.split('.').nth(1), b.split('.').nth(1), "nonces differ");
        assert_ne!(a, b);
    }

    #[test]
    fn a_clear_key_opens_without_a_master_key() {
        let clear = PrivateKey::Clear(PEM.into());
        assert_eq!(open(None, "kid1", &clear).unwrap(), PEM);
        assert_eq!(open(Some(&master()), "kid1", &clear).unwrap(), PEM);
    }

    #[test]
    fn a_sealed_key_without_a_master_key_is_a_configuration_error() {
        let envelope = seal(&master(), "kid1", PEM).unwrap();
        let err = open(None, "kid1", &envelope).unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("none is configured") && msg.contains(master().id()), "{msg}");
    }

    #[test]
    fn a_wrong_master_key_is_refused_by_its_id() {
        let envelope = seal(&master(), "kid1", PEM).unwrap();
        let err = open(Some(&other_master()), "kid1", &envelope).unwrap_err();
        assert!(matches!(err, CoreError::BadRequest(_)), "{err:?}");
        assert!(err.to_string().contains("is not the one"), "{err}");
    }

    #[test]
    fn a_wrong_master_key_is_refused_by_the_cipher_too() {
        // Even when the id is forged to match, the ciphertext does not open under another key.
        let envelope = seal(&master(), "kid1", PEM).unwrap();
        let text = sealed_text(&envelope);
        let forged = text.replacen(master().id(), other_master().id(), 1);
        let forged = PrivateKey::Sealed { scheme: SCHEME.into(), sealed: forged };
        let err = open(Some(&other_master()), "kid1", &forged).unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let envelope = seal(&master(), "kid1", PEM).unwrap();
        let text = sealed_text(&envelope);
        let (head, ct) = text.rsplit_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(ct).unwrap();
        for i in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x01;
            let tampered = PrivateKey::Sealed {
                scheme: SCHEME.into(),
                sealed: format!("{head}.{}", URL_SAFE_NO_PAD.encode(&flipped)),
            };
            let err = open(Some(&master()), "kid1", &tampered).unwrap_err();
            assert!(err.to_string().contains("does not open"), "byte {i}: {err}");
        }
        bytes.truncate(bytes.len() - 1);
        let truncated =
            PrivateKey::Sealed { scheme: SCHEME.into(), sealed: format!("{head}.{}", URL_SAFE_NO_PAD.encode(&bytes)) };
        assert!(open(Some(&master()), "kid1", &truncated).is_err());
        let mut nonce_changed = text.clone();
        let nonce_at = text.find('.').unwrap() + 1;
        let c = if &text[nonce_at..=nonce_at] == "A" { "B" } else { "A" };
        nonce_changed.replace_range(nonce_at..=nonce_at, c);
        let nonce_changed = PrivateKey::Sealed { scheme: SCHEME.into(), sealed: nonce_changed };
        assert!(open(Some(&master()), "kid1", &nonce_changed).is_err(), "the nonce is authenticated too");
    }

    #[test]
    fn the_sealed_key_is_bound_to_its_kid() {
        let envelope = seal(&master(), "kid1", PEM).unwrap();
        let err = open(Some(&master()), "kid2", &envelope).unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
    }

    #[test]
    fn malformed_or_unknown_envelopes_are_errors_not_panics() {
        for sealed in ["", "x", "a.b", "a.b.c.d", &format!("{}.!!.??", master().id())] {
            let envelope = PrivateKey::Sealed { scheme: SCHEME.into(), sealed: sealed.into() };
            assert!(open(Some(&master()), "kid1", &envelope).is_err(), "{sealed:?}");
        }
        let unknown = PrivateKey::Sealed { scheme: "rot13".into(), sealed: "x".into() };
        assert!(open(Some(&master()), "kid1", &unknown).unwrap_err().to_string().contains("unknown scheme"));
    }

    #[test]
    fn master_keys_parse_from_hex_and_base64_and_nothing_else() {
        let id = master().id().to_owned();
        assert_eq!(id.len(), 16);
        let bytes = hex::decode(HEX).unwrap();
        for text in [
            HEX.to_owned(),
            HEX.to_uppercase(),
            format!("  {HEX}\n"),
            STANDARD.encode(&bytes),
            STANDARD_NO_PAD.encode(&bytes),
            URL_SAFE.encode(&bytes),
            format!("{}\n", URL_SAFE_NO_PAD.encode(&bytes)),
        ] {
            assert_eq!(MasterKey::parse(&text).unwrap().id(), id, "{text:?}");
        }
        for bad in ["", "short", &HEX[..62], &STANDARD.encode([1u8; 16]), &STANDARD.encode([1u8; 33])] {
            let err = MasterKey::parse(bad).unwrap_err();
            assert!(matches!(err, CoreError::BadRequest(_)), "{bad:?}: {err:?}");
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad), "the error never quotes the key text");
            }
        }
        assert!(format!("{:?}", master()).contains(&id));
        assert!(!format!("{:?}", master()).contains(HEX));
    }

    #[test]
    fn master_key_is_configured_once() {
        let dir = std::env::temp_dir().join(format!("yolk-mk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("master.key");
        std::fs::write(&file, format!("{HEX}\n")).unwrap();
        assert_eq!(MasterKey::resolve(None, Some(&file)).unwrap().unwrap().id(), master().id());
        assert!(MasterKey::resolve(Some(HEX), Some(&file)).is_err(), "both is an error");
        assert!(MasterKey::resolve(None, None).unwrap().is_none());
        assert!(MasterKey::resolve(None, Some(&dir.join("missing"))).is_err());
        std::fs::write(&file, "not a key").unwrap();
        let err = MasterKey::resolve(None, Some(&file)).unwrap_err().to_string();
        assert!(err.contains("master.key") && !err.contains("not a key"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
