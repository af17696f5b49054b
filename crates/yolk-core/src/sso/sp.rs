//! The environment's SAML service provider: its signing key and self-signed certificate (made once, kept in the
//! store, shared by every node) and its metadata document.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use yolk_domain::PrivateKey;
use yolk_store::sso::SpKey;

use crate::keys::MasterKey;
use crate::{CoreError, CoreResult};

/// The SP key in the forms a signer needs.
#[derive(Clone)]
pub struct SpSigningKey {
    /// PKCS#8 PEM of the RSA private key.
    pub private_key_pem: String,
    /// PKCS#8 DER of the same key (for `aws_lc_rs::rsa::KeyPair::from_pkcs8`).
    pub private_key_der: Vec<u8>,
    /// The self-signed certificate, PEM.
    pub certificate_pem: String,
    /// The certificate's DER, base64 (what `<ds:X509Certificate>` holds).
    pub certificate_base64: String,
}

impl std::fmt::Debug for SpSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpSigningKey").field("certificate_pem", &self.certificate_pem).finish_non_exhaustive()
    }
}

/// The base64 body of a PEM block (armor and whitespace removed).
pub(crate) fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).flat_map(|l| l.chars()).filter(|c| !c.is_whitespace()).collect()
}

/// The name the SP key is sealed under (the envelope's associated data; no signing key has it).
pub(crate) const SP_KEY_ID: &str = "saml-sp";

impl SpSigningKey {
    /// Opens a stored SP key (a sealed one with `master`).
    pub(crate) fn from_stored(key: &SpKey, master: Option<&MasterKey>) -> CoreResult<Self> {
        let private_key_pem = crate::keys::envelope::open(master, SP_KEY_ID, &key.private_key)?;
        let private_key_der = STANDARD
            .decode(pem_body(&private_key_pem))
            .map_err(|_| CoreError::Internal("stored SP key is not PEM".into()))?;
        Ok(Self {
            private_key_pem,
            private_key_der,
            certificate_pem: key.certificate_pem.clone(),
            certificate_base64: pem_body(&key.certificate_pem),
        })
    }
}

/// A new RSA-2048 key and its self-signed certificate (CN `yolk SAML SP`), the key sealed with `master` when
/// there is one. Slow-ish: call off the async threads.
pub(crate) fn generate_sp_key(now: DateTime<Utc>, master: Option<&MasterKey>) -> CoreResult<SpKey> {
    let signing = crate::keys::generate_signing_key(now)?;
    let PrivateKey::Clear(private_key_pem) = signing.private_key else {
        return Err(CoreError::Internal("new key is sealed".into()));
    };
    let pair = rcgen::KeyPair::from_pem_and_sign_algo(&private_key_pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| CoreError::Internal(format!("SP key: {e}")))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| CoreError::Internal(format!("SP certificate: {e}")))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "yolk SAML SP");
    let cert = params.self_signed(&pair).map_err(|e| CoreError::Internal(format!("SP certificate: {e}")))?;
    let private_key = match master {
        Some(m) => crate::keys::envelope::seal(m, SP_KEY_ID, &private_key_pem)?,
        None => PrivateKey::Clear(private_key_pem),
    };
    Ok(SpKey { private_key, certificate_pem: cert.pem(), created_at: now })
}

/// Escapes text for an XML attribute value or element content.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The SP's `EntityDescriptor`: entity id, the signing certificate, the ACS (HTTP-POST).
pub(crate) fn sp_metadata_xml(entity_id: &str, acs_url: &str, certificate_base64: &str, sign_requests: bool) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">
  <md:SPSSODescriptor AuthnRequestsSigned="{sign}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{cert}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        entity = xml_escape(entity_id),
        acs = xml_escape(acs_url),
        cert = xml_escape(certificate_base64),
        sign = sign_requests,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sp_key_is_an_rsa_key_with_a_certificate_and_the_metadata_parses() {
        let key = generate_sp_key(Utc::now(), None).unwrap();
        let signing = SpSigningKey::from_stored(&key, None).unwrap();
        assert!(aws_lc_rs::rsa::KeyPair::from_pkcs8(&signing.private_key_der).is_ok());
        assert!(key.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let xml = sp_metadata_xml(
            "urn:a\"<b>&",
            "https://x.io/auth/saml/callback?a=1&b=2",
            &signing.certificate_base64,
            true,
        );
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("entityID"), Some("urn:a\"<b>&"));
        let acs = doc.descendants().find(|n| n.has_tag_name("AssertionConsumerService")).unwrap();
        assert_eq!(acs.attribute("Location"), Some("https://x.io/auth/saml/callback?a=1&b=2"));
    }
}
