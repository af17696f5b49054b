//! The SP's `AuthnRequest`, sent with the HTTP-Redirect binding (SAML bindings 3.4): DEFLATE, base64, URL-encode,
//! and, when the configuration asks for it, a signature over the query string (`SAMLRequest`, `RelayState`,
//! `SigAlg`, in that order, as they appear on the wire) with the SP's RSA key.

use std::io::Write;

use aws_lc_rs::{rand::SystemRandom, signature};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::{Compression, write::DeflateEncoder};
use url::form_urlencoded::byte_serialize;

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// What an `AuthnRequest` says.
pub struct AuthnRequest<'a> {
    /// The request's `ID` (starts with a letter or `_`, as `xs:ID` requires): the response's `InResponseTo`.
    pub id: &'a str,
    /// The IdP's single sign-on URL.
    pub destination: &'a str,
    pub acs_url: &'a str,
    pub sp_entity_id: &'a str,
    pub issue_instant: DateTime<Utc>,
}

impl AuthnRequest<'_> {
    pub fn to_xml(&self) -> String {
        format!(
            concat!(
                r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" "#,
                r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" "#,
                r#"IssueInstant="{instant}" Destination="{destination}" "#,
                r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" "#,
                r#"AssertionConsumerServiceURL="{acs}"><saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" "#,
                r#"AllowCreate="true"/></samlp:AuthnRequest>"#
            ),
            id = escape(self.id),
            instant = self.issue_instant.to_rfc3339_opts(SecondsFormat::Secs, true),
            destination = escape(self.destination),
            acs = escape(self.acs_url),
            issuer = escape(self.sp_entity_id),
        )
    }

    /// The IdP URL the browser is sent to: `destination?SAMLRequest=…&RelayState=…[&SigAlg=…&Signature=…]`.
    /// `signing_key` is the SP's RSA private key (PKCS#8 DER) when the configuration signs its requests.
    pub fn redirect_url(&self, relay_state: &str, signing_key: Option<&[u8]>) -> Result<String, String> {
        let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
        deflater.write_all(self.to_xml().as_bytes()).map_err(|e| e.to_string())?;
        let deflated = deflater.finish().map_err(|e| e.to_string())?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);

        let mut query = format!("SAMLRequest={}", enc(&encoded));
        if !relay_state.is_empty() {
            query.push_str("&RelayState=");
            query.push_str(&enc(relay_state));
        }
        if let Some(key) = signing_key {
            query.push_str("&SigAlg=");
            query.push_str(&enc(RSA_SHA256));
            let pair = signature::RsaKeyPair::from_pkcs8(key).map_err(|e| e.to_string())?;
            let mut sig = vec![0u8; pair.public_modulus_len()];
            pair.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), query.as_bytes(), &mut sig)
                .map_err(|e| e.to_string())?;
            query.push_str("&Signature=");
            query.push_str(&enc(&base64::engine::general_purpose::STANDARD.encode(sig)));
        }
        let separator = if self.destination.contains('?') { '&' } else { '?' };
        Ok(format!("{}{separator}{query}", self.destination))
    }
}

fn enc(value: &str) -> String {
    byte_serialize(value.as_bytes()).collect()
}

/// XML-escapes text for an attribute value or element content.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_redirect_carries_the_deflated_request_and_a_verifiable_signature() {
        use aws_lc_rs::encoding::AsDer;
        let pkcs8 = signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap().as_der().unwrap();
        let req = AuthnRequest {
            id: "_abc",
            destination: "https://idp.test/sso?tenant=1",
            acs_url: "https://sp.test/auth/saml/callback",
            sp_entity_id: "yolk & co",
            issue_instant: Utc::now(),
        };
        let url = req.redirect_url("relay/1", Some(pkcs8.as_ref())).unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let pairs: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs["tenant"], "1");
        assert_eq!(pairs["RelayState"], "relay/1");
        let raw = base64::engine::general_purpose::STANDARD.decode(&pairs["SAMLRequest"]).unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&raw[..]).read_to_string(&mut xml).unwrap();
        assert!(xml.contains(r#"ID="_abc""#) && xml.contains("<saml:Issuer>yolk &amp; co</saml:Issuer>"));
        roxmltree::Document::parse(&xml).unwrap();

        // The signature is over the query as sent, minus `&Signature=…`.
        let query = parsed.query().unwrap();
        let signed = &query[query.find("SAMLRequest").unwrap()..query.find("&Signature=").unwrap()];
        let sig = base64::engine::general_purpose::STANDARD.decode(&pairs["Signature"]).unwrap();
        let pair = signature::RsaKeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        use aws_lc_rs::signature::KeyPair;
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref())
            .verify(signed.as_bytes(), &sig)
            .unwrap();
    }
}
