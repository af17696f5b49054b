//! SAML sign-on end to end: the SSO prelogin answers the IdP's redirect with an `AuthnRequest`, the IdP (xmlsec1,
//! `yolk_testkit::saml_idp`) signs a response to it, and the ACS turns it into a session in the configuration's
//! tenant, provisioning the user with the default and group-mapped roles. Every hostile response is refused with
//! no session and no user. The verifier's own matrix (each check, each wrapping layout) is in
//! `crates/yolk-core/tests/saml.rs`.

use std::io::Read;

use axum::http::StatusCode;
use base64::Engine;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use yolk_testkit::saml_idp::{ResponseSpec, SigningKey, idp_certificate};

use crate::support::{TestApp, claims};

const IDP: &str = "https://idp.corp.test/metadata";
const CONFIGS: &str = "/team/resources/sso/v1/configurations";
const PRELOGIN: &str = "/identity/resources/auth/v2/user/sso/prelogin";
const ACS: &str = "/auth/saml/callback";

/// An app with tenant `acme` whose SAML configuration trusts the test IdP for the validated domain `corp.test`.
struct Sso {
    app: TestApp,
    vendor: String,
    tenant: String,
    config_id: String,
    acs_url: String,
    sp_entity_id: String,
}

async fn setup() -> Sso {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let res = app
        .post(CONFIGS)
        .bearer(&vendor)
        .tenant(&tenant)
        .json(json!({
            "enabled": true, "type": "saml", "ssoEndpoint": "https://idp.corp.test/sso",
            "publicCertificate": idp_certificate(), "signRequest": false, "configMetadata": {"entityId": IDP},
        }))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let config_id = res.body["id"].as_str().unwrap().to_owned();
    let res = app
        .post(&format!("{CONFIGS}/{config_id}/domains"))
        .bearer(&vendor)
        .tenant(&tenant)
        .json(json!({"domain": "corp.test"}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = app.put(&format!("{CONFIGS}/domains/corp.test/force-validate")).bearer(&vendor).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = app.get("/team/resources/sso/v1/saml/configurations/vendor-config").bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let acs_url = res.body["acsUrl"].as_str().unwrap().to_owned();
    let sp_entity_id = res.body["spEntityId"].as_str().unwrap().to_owned();
    Sso { app, vendor, tenant, config_id, acs_url, sp_entity_id }
}

impl Sso {
    /// The prelogin for `email`: the request's ID (from the deflated `SAMLRequest`) and the whole address.
    async fn prelogin(&self, email: &str) -> (String, String) {
        let res = self.app.post(PRELOGIN).json(json!({"email": email})).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["idpType"], "saml");
        let address = res.body["address"].as_str().unwrap().to_owned();
        let url = url::Url::parse(&address).unwrap();
        assert!(address.starts_with("https://idp.corp.test/sso?"));
        let pairs: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["RelayState"], self.config_id);
        let raw = base64::engine::general_purpose::STANDARD.decode(&pairs["SAMLRequest"]).unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&raw[..]).read_to_string(&mut xml).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "AuthnRequest");
        assert_eq!(root.attribute("AssertionConsumerServiceURL"), Some(self.acs_url.as_str()));
        (root.attribute("ID").unwrap().to_owned(), address)
    }

    /// A valid response to request `id` for `email`.
    fn response(&self, email: &str, id: Option<&str>) -> ResponseSpec {
        ResponseSpec::new(IDP, &self.acs_url, &self.sp_entity_id, email, id)
    }

    async fn post_acs(&self, saml_response: &str, relay_state: Option<&str>) -> crate::support::TestResponse {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("SAMLResponse", saml_response);
        if let Some(r) = relay_state {
            form.append_pair("RelayState", r);
        }
        self.app.post(ACS).raw(form.finish(), "application/x-www-form-urlencoded").send().await
    }

    /// Follows a successful ACS: the refresh cookie gives an access token.
    async fn session_from(&self, res: &crate::support::TestResponse) -> Value {
        assert_eq!(res.status, StatusCode::FOUND, "{}", res.text);
        let location = res.headers["location"].to_str().unwrap();
        assert!(location.ends_with("/account/saml/callback"), "{location}");
        let cookie = res.cookie("fe_refresh_").expect("refresh cookie");
        let refreshed = self
            .app
            .post("/identity/resources/auth/v1/user/token/refresh")
            .header("cookie", &cookie)
            .json(json!({}))
            .send()
            .await;
        assert_eq!(refreshed.status, StatusCode::CREATED, "{}", refreshed.text);
        claims(refreshed.body["accessToken"].as_str().unwrap())
    }

    async fn user_exists(&self, email: &str) -> bool {
        self.app.store.get_user_by_email(email).await.is_ok()
    }
}

#[tokio::test]
async fn an_sp_initiated_sign_on_provisions_the_user_into_the_tenant_with_mapped_roles() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip(
        "an_sp_initiated_sign_on_provisions_the_user_into_the_tenant_with_mapped_roles",
    ) {
        return;
    }
    let s = setup().await;
    let default_role = s.app.seed_role("sso-member", None, false, &[]).await;
    let admin_role = s.app.seed_role("sso-admin", None, false, &[]).await;
    let res = s
        .app
        .put(&format!("{CONFIGS}/{}/roles", s.config_id))
        .bearer(&s.vendor)
        .tenant(&s.tenant)
        .json(json!({"roleIds": [default_role.to_string()]}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = s
        .app
        .post(&format!("{CONFIGS}/{}/groups", s.config_id))
        .bearer(&s.vendor)
        .tenant(&s.tenant)
        .json(json!({"group": "admins", "roleIds": [admin_role.to_string()]}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);

    let (id, _) = s.prelogin("Kim@Corp.Test").await;
    let mut spec = s.response("kim@corp.test", Some(&id));
    spec.groups = vec!["admins".into(), "unmapped".into()];
    let signed = spec.signed_base64();
    let res = s.post_acs(&signed, Some(&s.config_id)).await;
    let claims = s.session_from(&res).await;
    assert_eq!(claims["email"], "kim@corp.test");
    assert_eq!(claims["tenantId"], s.tenant);
    let mut roles: Vec<&str> = claims["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, vec!["sso-admin", "sso-member"]);
    let user = s.app.store.get_user_by_email("kim@corp.test").await.unwrap();
    assert_eq!((user.provider.as_str(), user.verified, user.name.as_deref()), ("saml", true, Some("Sam Ell")));

    // The same response again: a replay (and the request is spent).
    let again = s.post_acs(&signed, Some(&s.config_id)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    assert!(again.cookie("fe_refresh_").is_none());
    // A new assertion answering the spent request.
    let late = s.response("kim@corp.test", Some(&id)).signed_base64();
    assert_eq!(s.post_acs(&late, None).await.status, StatusCode::UNAUTHORIZED);

    // The second sign-on finds the same user.
    let (id, _) = s.prelogin("kim@corp.test").await;
    let res = s.post_acs(&s.response("kim@corp.test", Some(&id)).signed_base64(), None).await;
    assert_eq!(s.session_from(&res).await["sub"], user.id.to_string());

    // A returning member put in a mapped group since gets that group's roles on its next sign-on.
    let (id, _) = s.prelogin("lee@corp.test").await;
    let res = s.post_acs(&s.response("lee@corp.test", Some(&id)).signed_base64(), None).await;
    assert_eq!(s.session_from(&res).await["roles"], json!(["sso-member"]));
    let (id, _) = s.prelogin("lee@corp.test").await;
    let mut spec = s.response("lee@corp.test", Some(&id));
    spec.groups = vec!["admins".into()];
    let res = s.post_acs(&spec.signed_base64(), None).await;
    let mut roles: Vec<String> = serde_json::from_value(s.session_from(&res).await["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, vec!["sso-admin", "sso-member"]);
}

#[tokio::test]
async fn the_api_postlogin_and_idp_initiated_responses() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("the_api_postlogin_and_idp_initiated_responses") {
        return;
    }
    let s = setup().await;
    let (id, _) = s.prelogin("lee@corp.test").await;
    let res = s
        .app
        .post("/identity/resources/auth/v1/user/saml/postlogin")
        .json(
            json!({"SAMLResponse": s.response("lee@corp.test", Some(&id)).signed_base64(), "RelayState": s.config_id}),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["accessToken"].is_string());
    assert!(res.cookie("fe_refresh_").is_some());

    // IdP-initiated: no request; the RelayState names the configuration.
    let unsolicited = s.response("ida@corp.test", None).signed_base64();
    let res = s.post_acs(&unsolicited, Some(&s.config_id)).await;
    assert_eq!(s.session_from(&res).await["email"], "ida@corp.test");
    // Without a configuration named it is refused.
    let other = s.response("ivo@corp.test", None).signed_base64();
    assert_eq!(s.post_acs(&other, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.post_acs(&other, Some("not-a-config")).await.status, StatusCode::UNAUTHORIZED);
    assert!(!s.user_exists("ivo@corp.test").await);
}

#[tokio::test]
async fn every_hostile_response_is_refused_with_no_session_and_no_user() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("every_hostile_response_is_refused_with_no_session_and_no_user") {
        return;
    }
    let s = setup().await;
    type Change = Box<dyn Fn(&mut ResponseSpec)>;
    let cases: Vec<(&str, Change)> = vec![
        ("unsigned", Box::new(|r| r.sign_assertion = false)),
        ("another key", Box::new(|r| r.key = SigningKey::Other)),
        ("wrong audience", Box::new(|r| r.audience = "https://evil.test".into())),
        ("wrong recipient", Box::new(|r| r.recipient = "https://evil.test/acs".into())),
        ("wrong destination", Box::new(|r| r.destination = Some("https://evil.test/acs".into()))),
        ("wrong issuer", Box::new(|r| r.issuer = "https://evil.test/idp".into())),
        ("expired", Box::new(|r| r.not_on_or_after = Utc::now() - Duration::minutes(5))),
        ("not yet valid", Box::new(|r| r.not_before = Utc::now() + Duration::minutes(10))),
        ("failure status", Box::new(|r| r.status = "urn:oasis:names:tc:SAML:2.0:status:Responder".into())),
        ("wrong InResponseTo", Box::new(|r| r.in_response_to = Some("_never-asked".into()))),
        ("sha1", Box::new(|r| r.sha1 = true)),
        (
            "outside the validated domains",
            Box::new(|r| {
                r.name_id = "mallory@evil.test".into();
                r.email = Some("mallory@evil.test".into());
            }),
        ),
    ];
    for (i, (name, change)) in cases.into_iter().enumerate() {
        let email = format!("victim{i}@corp.test");
        let (id, _) = s.prelogin(&email).await;
        let mut spec = s.response(&email, Some(&id));
        change(&mut spec);
        let res = s.post_acs(&spec.signed_base64(), Some(&s.config_id)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{name}: {}", res.text);
        assert_eq!(res.body["errors"][0], "SSO login failed", "{name}");
        assert!(res.cookie("fe_refresh_").is_none(), "{name}");
        assert!(!s.user_exists(&email).await && !s.user_exists("mallory@evil.test").await, "{name}: a user was made");
    }

    // Tampered after signing, and a forged assertion beside the signed one.
    let (id, _) = s.prelogin("kim@corp.test").await;
    let xml = s.response("kim@corp.test", Some(&id)).signed().replace("kim@corp.test", "boss@corp.test");
    let res = s.post_acs(&yolk_testkit::saml_idp::base64_encode(xml.as_bytes()), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let (id, _) = s.prelogin("kim@corp.test").await;
    let xml = s.response("kim@corp.test", Some(&id)).signed();
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let forged = xml[start..end].replace("kim@corp.test", "boss@corp.test").replacen("ID=\"_a", "ID=\"_x", 1);
    let wrapped = format!("{}{}{}", &xml[..start], forged, &xml[start..]);
    let res = s.post_acs(&yolk_testkit::saml_idp::base64_encode(wrapped.as_bytes()), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(!s.user_exists("boss@corp.test").await && !s.user_exists("kim@corp.test").await);

    // Garbage: not base64, not XML, no SAMLResponse, not a form.
    assert_eq!(s.post_acs("%%%", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.post_acs("PG5vdC14bWw=", None).await.status, StatusCode::UNAUTHORIZED);
    let res = s.app.post(ACS).raw("RelayState=x", "application/x-www-form-urlencoded").send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = s.app.post(ACS).raw(vec![0xff, 0xfe], "application/x-www-form-urlencoded").send().await;
    assert!(res.status.is_client_error(), "{}", res.text);
}

#[tokio::test]
async fn prelogin_finds_sso_only_for_validated_domains_of_enabled_configurations() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip(
        "prelogin_finds_sso_only_for_validated_domains_of_enabled_configurations",
    ) {
        return;
    }
    let s = setup().await;
    let res = s.app.post(PRELOGIN).json(json!({"email": "kim@elsewhere.test"})).send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = s.app.post(PRELOGIN).json(json!({})).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = s
        .app
        .post("/identity/resources/auth/v1/user/saml/prelogin")
        .json(json!({"username": "kim@corp.test"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Disabled: no SSO, and its responses are refused.
    let (id, _) = s.prelogin("kim@corp.test").await;
    let res = s
        .app
        .patch(&format!("{CONFIGS}/{}", s.config_id))
        .bearer(&s.vendor)
        .tenant(&s.tenant)
        .json(json!({"enabled": false}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_eq!(s.app.post(PRELOGIN).json(json!({"email": "kim@corp.test"})).send().await.status, StatusCode::NOT_FOUND);
    let res = s.post_acs(&s.response("kim@corp.test", Some(&id)).signed_base64(), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(!s.user_exists("kim@corp.test").await);
}

#[tokio::test]
async fn an_existing_user_of_another_tenant_joins_the_sso_tenant() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("an_existing_user_of_another_tenant_joins_the_sso_tenant") {
        return;
    }
    let s = setup().await;
    let other = s.app.seed_tenant("other").await;
    let existing = s.app.seed_user("dana@corp.test", &other, &[]).await;
    let (id, _) = s.prelogin("dana@corp.test").await;
    let res = s.post_acs(&s.response("dana@corp.test", Some(&id)).signed_base64(), None).await;
    let claims = s.session_from(&res).await;
    assert_eq!(claims["sub"], existing.to_string());
    assert_eq!(claims["tenantId"], s.tenant);
    assert_eq!(claims["tenantIds"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn signed_requests_carry_a_signature_the_sp_certificate_verifies() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip("signed_requests_carry_a_signature_the_sp_certificate_verifies") {
        return;
    }
    let s = setup().await;
    let res = s
        .app
        .patch(&format!("{CONFIGS}/{}", s.config_id))
        .bearer(&s.vendor)
        .tenant(&s.tenant)
        .json(json!({"signRequest": true}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let (_, address) = s.prelogin("kim@corp.test").await;
    let query = address.split_once('?').unwrap().1;
    let signed = &query[..query.find("&Signature=").unwrap()];
    let url = url::Url::parse(&address).unwrap();
    let pairs: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs["SigAlg"], "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    let sig = base64::engine::general_purpose::STANDARD.decode(&pairs["Signature"]).unwrap();
    let cert = s.app.get("/team/resources/sso/v1/saml/configurations/sp-certificate").bearer(&s.vendor).send().await;
    let pem = cert.body["certificate"].as_str().expect("certificate PEM");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).unwrap();
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
    let key = parsed.public_key().subject_public_key.data.to_vec();
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(signed.as_bytes(), &sig)
        .expect("the AuthnRequest signature verifies with the SP certificate");
}

#[tokio::test]
async fn force_except_saml_lets_saml_sign_ons_through_and_force_asks_for_a_second_factor() {
    if !yolk_testkit::saml_idp::xmlsec1_or_skip(
        "force_except_saml_lets_saml_sign_ons_through_and_force_asks_for_a_second_factor",
    ) {
        return;
    }
    let s = setup().await;
    let policy = "/identity/resources/configurations/v1/mfa-policy";
    let res = s.app.put(policy).bearer(&s.vendor).json(json!({"enforceMFAType": "ForceExceptSAML"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = saml_postlogin(&s, "kim@corp.test").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["accessToken"].is_string(), "{}", res.text);

    let res = s.app.put(policy).bearer(&s.vendor).json(json!({"enforceMFAType": "Force"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = saml_postlogin(&s, "kim@corp.test").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["mfaRequired"], true, "{}", res.text);
    assert!(res.body.get("accessToken").is_none() && res.cookie("fe_refresh_").is_none());
    // The ACS sends such a sign-on to the login page without a session.
    let (id, _) = s.prelogin("kim@corp.test").await;
    let res = s.post_acs(&s.response("kim@corp.test", Some(&id)).signed_base64(), None).await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert!(res.headers["location"].to_str().unwrap().ends_with("/account/login"));
    assert!(res.cookie("fe_refresh_").is_none());
}

async fn saml_postlogin(s: &Sso, email: &str) -> crate::support::TestResponse {
    let (id, _) = s.prelogin(email).await;
    s.app
        .post("/identity/resources/auth/v1/user/saml/postlogin")
        .json(json!({"SAMLResponse": s.response(email, Some(&id)).signed_base64()}))
        .send()
        .await
}
