//! A signing SAML IdP for tests: responses written from a template and signed by `xmlsec1` (Debian's `xmlsec1`,
//! the reference XML-DSig implementation, installed by `.ci/run`), so yolk's verifier is checked against an
//! implementation that is not its own. The keys are fixed test keys in `fixtures/saml/` (`idp`: the trusted IdP;
//! `other`: an attacker's).

use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// The namespaces of a response.
const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml").join(name)
}

/// Which test key signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningKey {
    /// The IdP whose certificate the SP trusts.
    Idp,
    /// A key the SP has never seen.
    Other,
}

impl SigningKey {
    fn stem(self) -> &'static str {
        match self {
            SigningKey::Idp => "idp",
            SigningKey::Other => "other",
        }
    }
}

/// The trusted IdP's certificate (PEM), as an SSO configuration's `publicCertificate`.
pub fn idp_certificate() -> String {
    std::fs::read_to_string(fixture("idp.crt")).expect("fixtures/saml/idp.crt")
}

/// The same certificate as IdP metadata carries it: bare base64 DER.
pub fn idp_certificate_base64() -> String {
    idp_certificate().lines().filter(|l| !l.starts_with("-----")).collect()
}

/// Whether `xmlsec1` is on this machine.
pub fn xmlsec1_available() -> bool {
    Command::new("xmlsec1").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Whether a SAML test can run: `xmlsec1` is there. Without it the test is skipped (a newcomer's `cargo test` needs
/// only the Rust toolchain), except when `YOLK_TEST_REQUIRE_TOOLS` is set (`.ci/run` sets it), where it fails.
pub fn xmlsec1_or_skip(test: &str) -> bool {
    if xmlsec1_available() {
        return true;
    }
    assert!(
        std::env::var_os("YOLK_TEST_REQUIRE_TOOLS").is_none(),
        "{test}: xmlsec1 is required (Debian package xmlsec1; .ci/run installs it)"
    );
    eprintln!("skipping {test}: xmlsec1 is not installed (Debian package xmlsec1)");
    false
}

/// Everything a response says. [`ResponseSpec::new`] gives a valid SP-initiated response; tests change one field
/// to make it hostile.
#[derive(Clone, Debug)]
pub struct ResponseSpec {
    pub response_id: String,
    pub assertion_id: String,
    pub issuer: String,
    /// The response's `Destination`; `None` leaves it out.
    pub destination: Option<String>,
    /// The bearer confirmation's `Recipient`.
    pub recipient: String,
    pub audience: String,
    pub name_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub groups: Vec<String>,
    pub in_response_to: Option<String>,
    pub status: String,
    pub issue_instant: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub not_on_or_after: DateTime<Utc>,
    pub sign_assertion: bool,
    pub sign_response: bool,
    pub key: SigningKey,
    /// `rsa-sha256` unless a test asks for `rsa-sha1`.
    pub sha1: bool,
}

impl ResponseSpec {
    pub fn new(issuer: &str, acs_url: &str, audience: &str, email: &str, in_response_to: Option<&str>) -> Self {
        let now = Utc::now();
        Self {
            response_id: format!("_r{}", uuid::Uuid::new_v4().simple()),
            assertion_id: format!("_a{}", uuid::Uuid::new_v4().simple()),
            issuer: issuer.into(),
            destination: Some(acs_url.into()),
            recipient: acs_url.into(),
            audience: audience.into(),
            name_id: email.into(),
            email: Some(email.into()),
            first_name: Some("Sam".into()),
            last_name: Some("Ell".into()),
            groups: Vec::new(),
            in_response_to: in_response_to.map(str::to_owned),
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
            issue_instant: now,
            not_before: now - Duration::seconds(30),
            not_on_or_after: now + Duration::minutes(5),
            sign_assertion: true,
            sign_response: false,
            key: SigningKey::Idp,
            sha1: false,
        }
    }

    /// The unsigned document, with signature templates where signatures go.
    pub fn template(&self) -> String {
        let t = |d: DateTime<Utc>| d.to_rfc3339_opts(SecondsFormat::Secs, true);
        let irt = |v: &Option<String>| v.as_ref().map(|v| format!(r#" InResponseTo="{}""#, esc(v))).unwrap_or_default();
        let dest = self.destination.as_ref().map(|d| format!(r#" Destination="{}""#, esc(d))).unwrap_or_default();
        let mut attrs = String::new();
        let mut attr = |name: &str, values: &[String]| {
            attrs.push_str(&format!(r#"<saml:Attribute Name="{}">"#, esc(name)));
            for v in values {
                attrs.push_str(&format!(
                    r#"<saml:AttributeValue xsi:type="xs:string">{}</saml:AttributeValue>"#,
                    esc(v)
                ));
            }
            attrs.push_str("</saml:Attribute>");
        };
        if let Some(e) = &self.email {
            attr("email", std::slice::from_ref(e));
        }
        if let Some(f) = &self.first_name {
            attr("firstName", std::slice::from_ref(f));
        }
        if let Some(l) = &self.last_name {
            attr("lastName", std::slice::from_ref(l));
        }
        if !self.groups.is_empty() {
            attr("groups", &self.groups);
        }
        format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="{p}" xmlns:saml="{a}" xmlns:xs="http://www.w3.org/2001/XMLSchema" "#,
                r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{rid}" Version="2.0" IssueInstant="{now}"{dest}{irt}>"#,
                "\n  <saml:Issuer>{iss}</saml:Issuer>{rsig}\n",
                r#"  <samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>"#,
                "\n  ",
                r#"<saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{now}"><saml:Issuer>{iss}</saml:Issuer>{asig}"#,
                r#"<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{nameid}</saml:NameID>"#,
                r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
                r#"<saml:SubjectConfirmationData NotOnOrAfter="{nooa}" Recipient="{recipient}"{irt}/>"#,
                r#"</saml:SubjectConfirmation></saml:Subject>"#,
                r#"<saml:Conditions NotBefore="{nb}" NotOnOrAfter="{nooa}"><saml:AudienceRestriction>"#,
                r#"<saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"#,
                r#"<saml:AuthnStatement AuthnInstant="{now}" SessionIndex="{aid}"><saml:AuthnContext>"#,
                r#"<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"#,
                r#"</saml:AuthnContext></saml:AuthnStatement>"#,
                r#"<saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion>"#,
                "\n</samlp:Response>\n"
            ),
            p = PROTOCOL_NS,
            a = ASSERTION_NS,
            rid = self.response_id,
            aid = self.assertion_id,
            now = t(self.issue_instant),
            dest = dest,
            irt = irt(&self.in_response_to),
            iss = esc(&self.issuer),
            rsig = if self.sign_response { signature_template(&self.response_id, self.sha1) } else { String::new() },
            asig = if self.sign_assertion { signature_template(&self.assertion_id, self.sha1) } else { String::new() },
            status = esc(&self.status),
            nameid = esc(&self.name_id),
            nooa = t(self.not_on_or_after),
            nb = t(self.not_before),
            recipient = esc(&self.recipient),
            aud = esc(&self.audience),
            attrs = attrs,
        )
    }

    /// The signed document (assertion first, then the response, as a real IdP signs).
    pub fn signed(&self) -> String {
        let mut xml = self.template();
        if self.sign_assertion {
            xml = sign(&xml, self.key, "//*[local-name()='Assertion']/*[local-name()='Signature']");
        }
        if self.sign_response {
            xml = sign(&xml, self.key, "/*[local-name()='Response']/*[local-name()='Signature']");
        }
        xml
    }

    /// The signed document as the POST binding carries it.
    pub fn signed_base64(&self) -> String {
        base64_encode(self.signed().as_bytes())
    }
}

pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn signature_template(id: &str, sha1: bool) -> String {
    let (sig, digest) = if sha1 {
        ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1")
    } else {
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256")
    };
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r##"<ds:SignatureMethod Algorithm="{sig}"/><ds:Reference URI="#{id}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform>"#,
            r#"</ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference>"#,
            r#"</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"#
        ),
        sig = sig,
        digest = digest,
        id = id,
    )
}

/// Signs the `Signature` template at `xpath` with `xmlsec1`.
pub fn sign(xml: &str, key: SigningKey, xpath: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.xml");
    let output = dir.path().join("out.xml");
    std::fs::write(&input, xml).expect("write template");
    let keys = format!(
        "{},{}",
        fixture(&format!("{}.key", key.stem())).display(),
        fixture(&format!("{}.crt", key.stem())).display()
    );
    let out = Command::new("xmlsec1")
        .args(["--sign", "--privkey-pem", &keys])
        .args(["--id-attr:ID", &format!("{ASSERTION_NS}:Assertion")])
        .args(["--id-attr:ID", &format!("{PROTOCOL_NS}:Response")])
        .args(["--node-xpath", xpath, "--output"])
        .arg(&output)
        .arg(&input)
        .output()
        .expect("xmlsec1 is installed (.ci/run installs Debian's xmlsec1)");
    assert!(out.status.success(), "xmlsec1 --sign failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(&output).expect("signed output")
}

fn esc(v: &str) -> String {
    v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
