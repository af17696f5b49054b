//! A SAML 2.0 `Response` from an IdP, checked as an SP must before it believes a word of it.
//!
//! The order matters: the document is parsed without DTDs (no entities, no external anything), the one assertion
//! is found by structure (exactly one `Assertion`, a child of the root `Response`; no encrypted ones; every `ID`
//! in the document unique), its signature — or the response's, which then covers it — is verified by
//! [`super::dsig`], and only then are the conditions read, all from that same node: `Status`, `Destination`,
//! `Issuer`, `Audience`, the bearer `SubjectConfirmationData` (`Recipient`, `NotOnOrAfter`, `NotBefore`,
//! `InResponseTo`), the `Conditions` window with a small clock skew. What the caller still has to do, because it
//! needs the store: spend the `InResponseTo` request id (SP-initiated) and record the assertion id until it
//! expires (the replay cache).

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use roxmltree::{Document, Node, ParsingOptions};

use super::dsig::{self, IdpKey, SignatureError, text_of};

pub(crate) const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Largest `SAMLResponse` accepted, decoded (real responses are a few KB; a cap bounds parse time and memory).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Most XML nodes parsed from one response.
const MAX_NODES: u32 = 10_000;
/// Clock skew allowed on every time bound.
pub const CLOCK_SKEW_SECONDS: i64 = 90;

/// What the SP expects of a response: who it is, where it listens, whom it trusts.
pub struct Expectations<'a> {
    /// Our entity id: must be an `Audience` of the assertion.
    pub sp_entity_id: &'a str,
    /// Our ACS URL: the response's `Destination` (when present) and the bearer confirmation's `Recipient`.
    pub acs_url: &'a str,
    /// The IdP's entity id when known (from its metadata): the `Issuer` of the response and the assertion.
    pub idp_entity_id: Option<&'a str>,
    /// The IdP's signing certificate (PEM or base64 DER).
    pub idp_certificate: &'a str,
    pub now: DateTime<Utc>,
}

/// The facts of a verified assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAssertion {
    /// The assertion's `ID`: the replay cache's key.
    pub assertion_id: String,
    /// When the assertion (and so its replay-cache entry) stops being valid.
    pub not_on_or_after: DateTime<Utc>,
    /// The request this answers (SP-initiated), `None` for an IdP-initiated response.
    pub in_response_to: Option<String>,
    /// The assertion's `Issuer`.
    pub issuer: Option<String>,
    pub name_id: String,
    /// The first email-like attribute, else the `NameID` when it is an address.
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub groups: Vec<String>,
}

/// Why a response was refused. The client is told only that SSO failed; the reason goes to the log.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SamlError {
    #[error("SAMLResponse is not base64")]
    Encoding,
    #[error("SAMLResponse is too large")]
    TooLarge,
    #[error("SAMLResponse is not acceptable XML: {0}")]
    Xml(String),
    #[error("the response's structure is refused: {0}")]
    Structure(&'static str),
    #[error("the IdP answered a failure status: {0}")]
    Status(String),
    #[error("signature: {0}")]
    Signature(String),
    #[error("the response is for another destination")]
    Destination,
    #[error("the response comes from another issuer")]
    Issuer,
    #[error("the assertion is for another audience")]
    Audience,
    #[error("the assertion is for another recipient")]
    Recipient,
    #[error("the assertion is expired or not yet valid")]
    Time,
    #[error("InResponseTo does not match")]
    InResponseTo,
}

impl From<SignatureError> for SamlError {
    fn from(e: SignatureError) -> Self {
        SamlError::Signature(e.to_string())
    }
}

/// Decodes the POST binding's base64 `SAMLResponse` (line breaks allowed).
pub fn decode_post_binding(saml_response: &str) -> Result<String, SamlError> {
    let compact: String = saml_response.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() > MAX_RESPONSE_BYTES * 4 / 3 + 4 {
        return Err(SamlError::TooLarge);
    }
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).map_err(|_| SamlError::Encoding)?;
    String::from_utf8(bytes).map_err(|_| SamlError::Encoding)
}

/// Checks a decoded response against `expect`. Pure and synchronous: run it off the async runtime.
pub fn verify(xml: &str, expect: &Expectations<'_>) -> Result<SamlAssertion, SamlError> {
    if xml.len() > MAX_RESPONSE_BYTES {
        return Err(SamlError::TooLarge);
    }
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, entity_resolver: None };
    let doc = Document::parse_with_options(xml, options).map_err(|e| SamlError::Xml(e.to_string()))?;
    let key = IdpKey::from_certificate(expect.idp_certificate)?;

    let response = doc.root_element();
    if !is(&response, PROTOCOL_NS, "Response") {
        return Err(SamlError::Structure("the root is not a samlp:Response"));
    }
    unique_ids(&doc)?;
    if doc.descendants().any(|n| is(&n, ASSERTION_NS, "EncryptedAssertion")) {
        return Err(SamlError::Structure("encrypted assertions are not supported"));
    }
    let mut assertions = doc.descendants().filter(|n| is(n, ASSERTION_NS, "Assertion"));
    let assertion = assertions.next().ok_or(SamlError::Structure("no assertion"))?;
    if assertions.next().is_some() {
        return Err(SamlError::Structure("more than one assertion"));
    }
    if assertion.parent() != Some(response) {
        return Err(SamlError::Structure("the assertion is not a child of the response"));
    }

    // The signature: the assertion's own, or the response's (which covers the assertion). Whichever is present
    // must verify; at least one must be.
    let response_signed = has_signature(response);
    let assertion_signed = has_signature(assertion);
    if !response_signed && !assertion_signed {
        return Err(SamlError::Signature(SignatureError::Missing.to_string()));
    }
    if response_signed {
        dsig::verify_enveloped(xml, response, &key)?;
    }
    if assertion_signed {
        dsig::verify_enveloped(xml, assertion, &key)?;
    }

    // Status.
    let status = child(response, PROTOCOL_NS, "Status").ok_or(SamlError::Structure("no Status"))?;
    let code = child(status, PROTOCOL_NS, "StatusCode").and_then(|c| c.attribute("Value")).unwrap_or("");
    if code != SUCCESS {
        return Err(SamlError::Status(code.to_owned()));
    }
    // A signed response must say where it was sent (SAML profiles 4.1.4.5); when it says, it must be here.
    match response.attribute("Destination") {
        Some(destination) if destination != expect.acs_url => return Err(SamlError::Destination),
        None if response_signed => return Err(SamlError::Destination),
        _ => {}
    }
    let response_issuer = child(response, ASSERTION_NS, "Issuer").map(text_of);
    let issuer = child(assertion, ASSERTION_NS, "Issuer").map(text_of).ok_or(SamlError::Issuer)?;
    if let Some(ri) = &response_issuer
        && ri.trim() != issuer.trim()
    {
        return Err(SamlError::Issuer);
    }
    if let Some(expected) = expect.idp_entity_id
        && issuer.trim() != expected
    {
        return Err(SamlError::Issuer);
    }
    let in_response_to = response.attribute("InResponseTo").map(str::to_owned);

    let skew = Duration::seconds(CLOCK_SKEW_SECONDS);
    let now = expect.now;

    // Subject: a NameID and a bearer confirmation for us.
    let subject = child(assertion, ASSERTION_NS, "Subject").ok_or(SamlError::Structure("no Subject"))?;
    let name_id = child(subject, ASSERTION_NS, "NameID").map(text_of).ok_or(SamlError::Structure("no NameID"))?;
    let name_id = name_id.trim().to_owned();
    let mut bearer_ok = false;
    let mut confirmation_expiry = None;
    for confirmation in children(subject, ASSERTION_NS, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        let data = child(confirmation, ASSERTION_NS, "SubjectConfirmationData")
            .ok_or(SamlError::Structure("no SubjectConfirmationData"))?;
        if data.attribute("Recipient") != Some(expect.acs_url) {
            return Err(SamlError::Recipient);
        }
        let not_on_or_after = time(data.attribute("NotOnOrAfter")).ok_or(SamlError::Time)?;
        if now >= not_on_or_after + skew {
            return Err(SamlError::Time);
        }
        if let Some(not_before) = data.attribute("NotBefore") {
            let not_before = time(Some(not_before)).ok_or(SamlError::Time)?;
            if now + skew < not_before {
                return Err(SamlError::Time);
            }
        }
        if data.attribute("InResponseTo") != in_response_to.as_deref() {
            return Err(SamlError::InResponseTo);
        }
        bearer_ok = true;
        confirmation_expiry = Some(not_on_or_after);
    }
    if !bearer_ok {
        return Err(SamlError::Structure("no bearer SubjectConfirmation"));
    }

    // Conditions: the window and the audience.
    let conditions = child(assertion, ASSERTION_NS, "Conditions").ok_or(SamlError::Structure("no Conditions"))?;
    if let Some(nb) = conditions.attribute("NotBefore") {
        let nb = time(Some(nb)).ok_or(SamlError::Time)?;
        if now + skew < nb {
            return Err(SamlError::Time);
        }
    }
    let mut expiry = confirmation_expiry.unwrap_or(now);
    if let Some(na) = conditions.attribute("NotOnOrAfter") {
        let na = time(Some(na)).ok_or(SamlError::Time)?;
        if now >= na + skew {
            return Err(SamlError::Time);
        }
        expiry = expiry.max(na);
    }
    let restrictions: Vec<Node<'_, '_>> = children(conditions, ASSERTION_NS, "AudienceRestriction").collect();
    if restrictions.is_empty() {
        return Err(SamlError::Audience);
    }
    // Every restriction must admit us (each is a separate condition).
    for r in restrictions {
        if !children(r, ASSERTION_NS, "Audience").any(|a| text_of(a).trim() == expect.sp_entity_id) {
            return Err(SamlError::Audience);
        }
    }

    // Attributes.
    let mut email = None;
    let mut first_name = None;
    let mut last_name = None;
    let mut groups = Vec::new();
    for statement in children(assertion, ASSERTION_NS, "AttributeStatement") {
        for attr in children(statement, ASSERTION_NS, "Attribute") {
            let name = attr.attribute("Name").unwrap_or("");
            let values: Vec<String> =
                children(attr, ASSERTION_NS, "AttributeValue").map(|v| text_of(v).trim().to_owned()).collect();
            let first = values.iter().find(|v| !v.is_empty()).cloned();
            match attribute_kind(name) {
                Some(Kind::Email) if email.is_none() => email = first,
                Some(Kind::FirstName) if first_name.is_none() => first_name = first,
                Some(Kind::LastName) if last_name.is_none() => last_name = first,
                Some(Kind::Groups) => groups.extend(values.into_iter().filter(|v| !v.is_empty())),
                _ => {}
            }
        }
    }
    if email.is_none() && name_id.contains('@') {
        email = Some(name_id.clone());
    }

    Ok(SamlAssertion {
        assertion_id: assertion.attribute("ID").ok_or(SamlError::Structure("the assertion has no ID"))?.to_owned(),
        not_on_or_after: expiry,
        in_response_to,
        issuer: Some(issuer.trim().to_owned()),
        name_id,
        email,
        first_name,
        last_name,
        groups,
    })
}

enum Kind {
    Email,
    FirstName,
    LastName,
    Groups,
}

/// The attribute names IdPs use (Okta, Entra ID, Google, ADFS, Keycloak, and the OIDs of eduPerson/inetOrgPerson).
fn attribute_kind(name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "email"
        | "emailaddress"
        | "mail"
        | "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
        | "urn:oid:0.9.2342.19200300.100.1.3" => Some(Kind::Email),
        "firstname"
        | "first_name"
        | "givenname"
        | "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
        | "urn:oid:2.5.4.42" => Some(Kind::FirstName),
        "lastname"
        | "last_name"
        | "surname"
        | "sn"
        | "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
        | "urn:oid:2.5.4.4" => Some(Kind::LastName),
        "groups"
        | "group"
        | "memberof"
        | "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
        | "http://schemas.xmlsoap.org/claims/group" => Some(Kind::Groups),
        _ => None,
    }
}

fn is(node: &Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == local
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| is(n, ns, local))
}

fn children<'a, 'i>(node: Node<'a, 'i>, ns: &'static str, local: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |n| is(n, ns, local))
}

fn has_signature(node: Node<'_, '_>) -> bool {
    node.children().any(|n| is(&n, dsig::DSIG_NS, "Signature"))
}

/// Every `ID` attribute in the document is unique: a duplicate is how a wrapped copy would share the signed one's id.
fn unique_ids(doc: &Document<'_>) -> Result<(), SamlError> {
    let mut ids: Vec<&str> = doc.descendants().filter_map(|n| n.attribute("ID")).collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != count {
        return Err(SamlError::Structure("duplicate ID attributes"));
    }
    Ok(())
}

fn time(value: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value?.trim()).ok().map(|t| t.with_timezone(&Utc))
}
