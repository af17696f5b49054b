//! yolk's SAML response checks against responses signed by xmlsec1 (the reference XML-DSig implementation), valid
//! and hostile. The end-to-end flows (prelogin, ACS, the session, no user created on refusal) are in
//! yolk-server's `tests/it/team/saml.rs`; this file is the verifier's own matrix, no store involved.

use chrono::{Duration, Utc};
use yolk_core::saml::response::{Expectations, SamlError, decode_post_binding, verify};
use yolk_testkit::saml_idp::{ResponseSpec, SigningKey, base64_encode, idp_certificate, idp_certificate_base64};

const IDP: &str = "https://idp.example.test/metadata";
const ACS: &str = "https://yolk.test/auth/saml/callback";
const SP: &str = "yolk-test-sp";

fn spec() -> ResponseSpec {
    ResponseSpec::new(IDP, ACS, SP, "kim@corp.test", Some("_req1"))
}

fn check(xml: &str) -> Result<yolk_core::saml::SamlAssertion, SamlError> {
    let cert = idp_certificate();
    verify(
        xml,
        &Expectations {
            sp_entity_id: SP,
            acs_url: ACS,
            idp_entity_id: Some(IDP),
            idp_certificate: &cert,
            now: Utc::now(),
        },
    )
}

fn assertion_span(xml: &str) -> (usize, usize) {
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    (start, end)
}

fn without_signature(xml: &str) -> String {
    let s = xml.find("<ds:Signature").unwrap();
    let e = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    format!("{}{}", &xml[..s], &xml[e..])
}

fn id_of(element: &str) -> String {
    let i = element.find("ID=\"").unwrap() + 4;
    element[i..i + element[i..].find('"').unwrap()].to_owned()
}

/// The document without its XML declaration.
fn body(xml: &str) -> &str {
    let t = xml.trim_start();
    match t.strip_prefix("<?xml") {
        Some(rest) => rest[rest.find("?>").unwrap() + 2..].trim_start(),
        None => t,
    }
}

#[test]
fn a_response_signed_by_xmlsec1_verifies_and_yields_its_facts() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("a_response_signed_by_xmlsec1_verifies_and_yields_its_facts") {
        return;
    }
    let mut s = spec();
    s.groups = vec!["admins".into(), "dev & ops".into()];
    let got = check(&s.signed()).expect("valid response");
    assert_eq!(got.email.as_deref(), Some("kim@corp.test"));
    assert_eq!(got.name_id, "kim@corp.test");
    assert_eq!(got.first_name.as_deref(), Some("Sam"));
    assert_eq!(got.last_name.as_deref(), Some("Ell"));
    assert_eq!(got.groups, vec!["admins".to_string(), "dev & ops".to_string()]);
    assert_eq!(got.in_response_to.as_deref(), Some("_req1"));
    assert_eq!(got.assertion_id, s.assertion_id);
    assert_eq!(got.issuer.as_deref(), Some(IDP));

    // Signed at the response only, and at both levels; the certificate as metadata carries it (bare base64).
    let mut s = spec();
    s.sign_assertion = false;
    s.sign_response = true;
    check(&s.signed()).expect("response-signed");
    s.sign_assertion = true;
    let xml = s.signed();
    check(&xml).expect("both signed");
    let cert = idp_certificate_base64();
    verify(
        &xml,
        &Expectations { sp_entity_id: SP, acs_url: ACS, idp_entity_id: None, idp_certificate: &cert, now: Utc::now() },
    )
    .expect("bare base64 certificate, issuer unknown");
    // The POST binding's encoding.
    assert_eq!(decode_post_binding(&base64_encode(xml.as_bytes())).unwrap(), xml);
}

#[test]
fn unsigned_other_key_tampered_and_sha1_are_refused() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("unsigned_other_key_tampered_and_sha1_are_refused") {
        return;
    }
    let mut s = spec();
    s.sign_assertion = false;
    assert!(matches!(check(&s.signed()), Err(SamlError::Signature(_))), "unsigned");

    let mut s = spec();
    s.key = SigningKey::Other;
    let got = check(&s.signed());
    assert!(matches!(&got, Err(SamlError::Signature(m)) if m.contains("does not verify")), "other key: {got:?}");

    let xml = spec().signed().replace("kim@corp.test", "boss@corp.test");
    let got = check(&xml);
    assert!(matches!(&got, Err(SamlError::Signature(m)) if m.contains("digest")), "tampered: {got:?}");

    let mut s = spec();
    s.sha1 = true;
    let got = check(&s.signed());
    assert!(matches!(&got, Err(SamlError::Signature(m)) if m.contains("algorithm")), "sha1: {got:?}");

    // A response signature over a tampered assertion.
    let mut s = spec();
    s.sign_assertion = false;
    s.sign_response = true;
    let xml = s.signed().replace(">kim@corp.test<", ">boss@corp.test<");
    assert!(matches!(check(&xml), Err(SamlError::Signature(_))), "tampered under a response signature");
}

type Case = (&'static str, Box<dyn Fn(&mut ResponseSpec)>, fn(&SamlError) -> bool);

#[test]
fn each_condition_is_enforced() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("each_condition_is_enforced") {
        return;
    }
    let cases: Vec<Case> = vec![
        ("audience", Box::new(|s| s.audience = "someone-else".into()), |e| *e == SamlError::Audience),
        ("recipient", Box::new(|s| s.recipient = "https://evil.test/acs".into()), |e| *e == SamlError::Recipient),
        ("destination", Box::new(|s| s.destination = Some("https://evil.test/acs".into())), |e| {
            *e == SamlError::Destination
        }),
        ("issuer", Box::new(|s| s.issuer = "https://evil.test".into()), |e| *e == SamlError::Issuer),
        ("expired", Box::new(|s| s.not_on_or_after = Utc::now() - Duration::minutes(3)), |e| *e == SamlError::Time),
        ("not yet valid", Box::new(|s| s.not_before = Utc::now() + Duration::minutes(10)), |e| *e == SamlError::Time),
        ("failure status", Box::new(|s| s.status = "urn:oasis:names:tc:SAML:2.0:status:Requester".into()), |e| {
            matches!(e, SamlError::Status(_))
        }),
    ];
    for (name, change, expected) in cases {
        let mut s = spec();
        change(&mut s);
        let got = check(&s.signed());
        assert!(matches!(&got, Err(e) if expected(e)), "{name}: {got:?}");
    }
    // Within the skew is fine.
    let mut s = spec();
    s.not_on_or_after = Utc::now() - Duration::seconds(20);
    check(&s.signed()).expect("20 s past NotOnOrAfter is within the skew");
    // A signed response without a Destination is refused.
    let mut s = spec();
    s.sign_response = true;
    s.destination = None;
    assert_eq!(check(&s.signed()).unwrap_err(), SamlError::Destination);
}

#[test]
fn signature_wrapping_layouts_are_refused() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("signature_wrapping_layouts_are_refused") {
        return;
    }
    let xml = spec().signed();
    let (start, end) = assertion_span(&xml);
    let signed_assertion = &xml[start..end];
    let evil = signed_assertion.replace("kim@corp.test", "boss@corp.test");
    let evil_unsigned = without_signature(&evil);
    let evil_new_id = evil_unsigned.replacen(&id_of(signed_assertion), "_evil", 1);

    let sig_start = signed_assertion.find("<ds:Signature").unwrap();
    let sig_end = signed_assertion.find("</ds:Signature>").unwrap();
    let layouts: Vec<(&str, String)> = vec![
        // XSW3: a forged assertion beside the signed one.
        ("sibling before", format!("{}{}{}", &xml[..start], evil_new_id, &xml[start..])),
        ("sibling after", format!("{}{}{}", &xml[..end], evil_new_id, &xml[end..])),
        // XSW4: the signed assertion inside the forged one.
        (
            "wrapped inside",
            format!(
                "{}{}{}",
                &xml[..start],
                evil_new_id.replace("</saml:Assertion>", &format!("{signed_assertion}</saml:Assertion>")),
                &xml[end..]
            ),
        ),
        // XSW7: the signed assertion moved into Extensions, the forged one in its place.
        ("in Extensions", {
            let x = format!("{}{}{}", &xml[..start], evil_new_id, &xml[end..]);
            x.replacen(
                "<samlp:Status>",
                &format!("<samlp:Extensions>{signed_assertion}</samlp:Extensions><samlp:Status>"),
                1,
            )
        }),
        // XSW8: the signed assertion inside the forged one's Signature/Object, keeping the signed ID.
        ("in ds:Object", {
            let forged = format!(
                "{}{}<ds:Object>{}</ds:Object>{}",
                &evil[..sig_start],
                &signed_assertion[sig_start..sig_end],
                signed_assertion,
                &evil[sig_end..]
            );
            format!("{}{}{}", &xml[..start], forged, &xml[end..])
        }),
        // The forged assertion with the signed one's ID and the copied signature.
        ("same id, copied signature", format!("{}{}{}", &xml[..start], evil, &xml[end..])),
        // Both, same ID.
        ("duplicate ids", format!("{}{}{}", &xml[..start], evil_unsigned, &xml[start..])),
    ];
    for (name, doc) in layouts {
        let got = check(&doc);
        assert!(got.is_err(), "{name} was accepted: {got:?}");
        assert!(!matches!(got, Err(SamlError::Xml(_))), "{name}: the layout should be well-formed XML: {got:?}");
    }

    // XSW1/XSW2 on a response signature: the signed response wrapped by a forged one.
    let mut s = spec();
    s.sign_assertion = false;
    s.sign_response = true;
    let signed = s.signed();
    let original = body(&signed);
    let forged_root = original.replacen(&s.response_id, "_evilroot", 1).replace(">kim@corp.test<", ">boss@corp.test<");
    let wrapped = without_signature(&forged_root).replacen(
        "<samlp:Status>",
        &format!("<samlp:Extensions>{original}</samlp:Extensions><samlp:Status>"),
        1,
    );
    let got = check(&wrapped);
    assert!(got.is_err() && !matches!(got, Err(SamlError::Xml(_))), "response wrapped in Extensions: {got:?}");
    let mut in_object = forged_root.clone();
    let at = in_object.find("</ds:Signature>").unwrap();
    in_object.insert_str(at, &format!("<ds:Object>{original}</ds:Object>"));
    let got = check(&in_object);
    assert!(
        got.is_err() && !matches!(got, Err(SamlError::Xml(_))),
        "response in the copied signature's Object: {got:?}"
    );
}

#[test]
fn a_comment_in_the_name_id_does_not_cut_it_short() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("a_comment_in_the_name_id_does_not_cut_it_short") {
        return;
    }
    let s = ResponseSpec::new(IDP, ACS, SP, "kim@corp.test.evil.test", Some("_req1"));
    let xml = s.signed().replace("kim@corp.test.evil.test<", "kim@corp.test<!---->.evil.test<");
    assert!(xml.contains("<!---->"));
    let got = check(&xml).expect("comments are outside the signature; the response is still authentic");
    assert_eq!(got.name_id, "kim@corp.test.evil.test");
    assert_eq!(got.email.as_deref(), Some("kim@corp.test.evil.test"));
}

#[test]
fn dtds_and_entities_are_refused() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("dtds_and_entities_are_refused") {
        return;
    }
    let xml = spec().signed();
    let b = body(&xml);
    let xxe = format!("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n{b}");
    assert!(matches!(check(&xxe), Err(SamlError::Xml(_))));
    let laughs = format!("<!DOCTYPE r [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n{b}");
    assert!(matches!(check(&laughs), Err(SamlError::Xml(_))));
    assert!(matches!(check("<not-xml"), Err(SamlError::Xml(_))));
    assert!(matches!(decode_post_binding("%%%"), Err(SamlError::Encoding)));
}
