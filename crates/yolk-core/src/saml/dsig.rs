//! Enveloped XML signatures (<https://www.w3.org/TR/xmldsig-core1/>), verified the strict way SAML needs: the
//! caller names the element it will consume, and the only signature accepted is a `ds:Signature` child of that
//! element whose single `Reference` points at that element's own `ID`. A signature anywhere else, over anything
//! else, proves nothing about the element (the signature-wrapping attacks), so none is looked for.
//!
//! The key is the configured IdP certificate's, never one carried in the document (`KeyInfo` is ignored).
//! Algorithms: RSA PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512, and the same digests; SHA-1 is refused.
//! Transforms: the enveloped-signature transform and exclusive canonicalization, nothing else.

use aws_lc_rs::{digest, signature};
use base64::Engine;
use roxmltree::Node;
use subtle::ConstantTimeEq;

use super::c14n;

pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Why a signature was not accepted (for the log; the client only learns that the response was refused).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the element is not signed")]
    Missing,
    #[error("the element carries more than one signature")]
    Several,
    #[error("the signature's structure is not the one accepted: {0}")]
    Structure(&'static str),
    #[error("the signature or digest algorithm is not accepted: {0}")]
    Algorithm(String),
    #[error("the signed content does not match its digest")]
    Digest,
    #[error("the signature does not verify with the IdP's key")]
    Invalid,
    #[error("the IdP certificate cannot be used: {0}")]
    Certificate(String),
}

/// The IdP's verification key, from its X.509 certificate (PEM, or bare base64 DER as metadata carries it).
#[derive(Clone)]
pub struct IdpKey {
    /// PKCS#1 `RSAPublicKey` DER.
    rsa_public: Vec<u8>,
}

impl IdpKey {
    pub fn from_certificate(text: &str) -> Result<Self, SignatureError> {
        let body = crate::sso::sp::pem_body(text);
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| SignatureError::Certificate("not base64".into()))?;
        let (_, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| SignatureError::Certificate("not an X.509 certificate".into()))?;
        let spki = cert.public_key();
        // rsaEncryption
        if spki.algorithm.algorithm.to_id_string() != "1.2.840.113549.1.1.1" {
            return Err(SignatureError::Certificate("only RSA keys are supported".into()));
        }
        Ok(Self { rsa_public: spki.subject_public_key.data.to_vec() })
    }
}

/// Verifies the enveloped signature of `element` (a child `ds:Signature` referencing `#<element's ID>`).
pub(crate) fn verify_enveloped(source: &str, element: Node<'_, '_>, key: &IdpKey) -> Result<(), SignatureError> {
    let mut signatures = element.children().filter(|n| is(n, DSIG_NS, "Signature"));
    let sig = signatures.next().ok_or(SignatureError::Missing)?;
    if signatures.next().is_some() {
        return Err(SignatureError::Several);
    }
    let id = element.attribute("ID").ok_or(SignatureError::Structure("the signed element has no ID"))?;

    let signed_info = only_child(sig, "SignedInfo")?;
    let c14n_method = only_child(signed_info, "CanonicalizationMethod")?;
    if c14n_method.attribute("Algorithm") != Some(EXC_C14N) {
        return Err(SignatureError::Algorithm(c14n_method.attribute("Algorithm").unwrap_or("").into()));
    }
    let sig_alg = only_child(signed_info, "SignatureMethod")?.attribute("Algorithm").unwrap_or("");
    let verify_alg: &'static signature::RsaParameters = match sig_alg {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => &signature::RSA_PKCS1_2048_8192_SHA384,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => &signature::RSA_PKCS1_2048_8192_SHA512,
        other => return Err(SignatureError::Algorithm(other.into())),
    };

    let mut references = signed_info.children().filter(|n| is(n, DSIG_NS, "Reference"));
    let reference = references.next().ok_or(SignatureError::Structure("no Reference"))?;
    if references.next().is_some() {
        return Err(SignatureError::Structure("more than one Reference"));
    }
    if reference.attribute("URI") != Some(&format!("#{id}")) {
        return Err(SignatureError::Structure("the Reference does not point at the signed element"));
    }

    // Transforms: exactly the enveloped-signature transform, then exclusive canonicalization (optional: it is
    // the default after the enveloped transform), with its optional prefix list.
    let mut inclusive: Vec<String> = Vec::new();
    let mut saw_enveloped = false;
    if let Some(transforms) = element_children(reference).find(|n| is(n, DSIG_NS, "Transforms")) {
        for t in element_children(transforms) {
            if !is(&t, DSIG_NS, "Transform") {
                return Err(SignatureError::Structure("unexpected element in Transforms"));
            }
            match t.attribute("Algorithm").unwrap_or("") {
                ENVELOPED if !saw_enveloped => saw_enveloped = true,
                EXC_C14N => inclusive = prefix_list(t),
                other => return Err(SignatureError::Algorithm(other.into())),
            }
        }
    }
    if !saw_enveloped {
        return Err(SignatureError::Structure("the signature is not enveloped"));
    }
    let digest_alg = only_child(reference, "DigestMethod")?.attribute("Algorithm").unwrap_or("");
    let digest_alg: &'static digest::Algorithm = match digest_alg {
        "http://www.w3.org/2001/04/xmlenc#sha256" => &digest::SHA256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => &digest::SHA384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => &digest::SHA512,
        other => return Err(SignatureError::Algorithm(other.into())),
    };
    let expected_digest = decode_b64(&text_of(only_child(reference, "DigestValue")?))?;

    // The digest of the element itself, without its signature.
    let canonical = c14n::canonicalize(source, element, Some(sig), &inclusive)
        .map_err(|_| SignatureError::Structure("the signed element cannot be canonicalized"))?;
    let actual = digest::digest(digest_alg, &canonical);
    if !bool::from(actual.as_ref().ct_eq(&expected_digest)) {
        return Err(SignatureError::Digest);
    }

    // The signature over SignedInfo, canonicalized the same way.
    let si_inclusive = prefix_list(c14n_method);
    let canonical_si = c14n::canonicalize(source, signed_info, None, &si_inclusive)
        .map_err(|_| SignatureError::Structure("SignedInfo cannot be canonicalized"))?;
    let value = decode_b64(&text_of(only_child(sig, "SignatureValue")?))?;
    signature::UnparsedPublicKey::new(verify_alg, &key.rsa_public)
        .verify(&canonical_si, &value)
        .map_err(|_| SignatureError::Invalid)
}

fn is(node: &Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == local
}

fn element_children<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(|n| n.is_element())
}

/// The one `ds:<local>` child of `node`.
fn only_child<'a, 'input>(node: Node<'a, 'input>, local: &'static str) -> Result<Node<'a, 'input>, SignatureError> {
    let mut found = node.children().filter(|n| is(n, DSIG_NS, local));
    let first = found.next().ok_or(SignatureError::Structure(local))?;
    if found.next().is_some() {
        return Err(SignatureError::Structure(local));
    }
    Ok(first)
}

/// `<InclusiveNamespaces PrefixList="a b"/>` under a canonicalization method or transform.
fn prefix_list(method: Node<'_, '_>) -> Vec<String> {
    method
        .children()
        .find(|n| {
            n.is_element() && n.tag_name().name() == "InclusiveNamespaces" && n.tag_name().namespace() == Some(EXC_C14N)
        })
        .and_then(|n| n.attribute("PrefixList"))
        .map(|list| list.split_ascii_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Every text node under `node`, concatenated.
pub(crate) fn text_of(node: Node<'_, '_>) -> String {
    node.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect()
}

fn decode_b64(text: &str) -> Result<Vec<u8>, SignatureError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| SignatureError::Structure("a value is not base64"))
}
