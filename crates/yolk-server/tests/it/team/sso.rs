//! team/sso.json: SSO configurations, domains (DNS, email, forced), default roles, group mappings, excluded emails,
//! the environment's settings, the SAML SP, and SSO enforcement on password login.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yolk_core::sso::TxtResolver;

use crate::support::{PASSWORD, TestApp, assert_error};

const CONFIGS: &str = "/team/resources/sso/v1/configurations";
const READ: &str = "fe.secure.read.samlConfig";
const WRITE: &str = "fe.secure.write.samlConfig";
/// The test IdP's certificate (`yolk-testkit/fixtures/saml/idp.crt`), bare base64 as metadata carries it.
const CERT: &str = "MIIDEzCCAfugAwIBAgIUQ1sIjESCbE2dcN0sLZVwl82daPMwDQYJKoZIhvcNAQELBQAwGDEWMBQGA1UEAwwNeW9sayB0ZXN0IGlkcDAgFw0yNjEyMDMxOTI0NTBaGA8yMTI2MTEwOTE5MjQ1MFowGDEWMBQGA1UEAwwNeW9sayB0ZXN0IGlkcDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMwpQrir/3HTlGGoPtsel6R0nGnx7xYRHtJfoHICBrlaDeoP83BTutiIBfacmRY0hZR/MR6BGoZA/HAmvGQGtEpiP1yCfE4wUEQ5Vn7maIpxZ+hZxrwRjHryg3QIfYhJ+KmDN6M0QHP5CILiWVsqKfr76RSq+TjVFswwc1i3wGz9mrwDiWD6CQ8Ccdqg3TpAR9n3jSpIxKMGgN2LsMG8baSCAFk8n6fV7MDv86sDjZfg8JAUC2VNygCnGrTw1UVb2AEzlST3q+nFR7Tjh/QhyBE38o26XfDSwbjgaQC9n0pEyzjhweC6xbUKVc7IS3utZA9vpg6uTl/WDmRkWP08l8ECAwEAAaNTMFEwHQYDVR0OBBYEFG/HWqMV8fmlV//TdyiQBK/w9OyeMB8GA1UdIwQYMBaAFG/HWqMV8fmlV//TdyiQBK/w9OyeMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAHP1bYkB5wjheGJ97DLKtzxi1Cxx2roxzW0UsIxVgX5LNa6/o8VJtqwe/JwC/FaQS9Lq2CkkVg34QWyluYebNp0295fsVTl6Jv17ctfn8v/AF4MCVTMspeSGxjrxuU9tpJ2xuDnRj3jLPB25asIGgnIdeTuckSCL2V4gJCAou2/+SdrpnPzRWppTxZbW61UQRCYz45TBiJj4CguxkR/SobN8s6QgcrQSIR6Dc6eJ2pJ0nixd2KNcf0TkbUh0jpra7AfIjDWRYuvXVfY4Ar3bmXI4q83FZKya6D1dxCkfIvlWMJy1LXjc1N69G26vReHUfG2UevRMyOCXuz/SOTxXK5A=";

/// TXT records served from memory.
#[derive(Default, Clone)]
struct FakeDns(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl FakeDns {
    fn set(&self, name: &str, values: &[&str]) {
        self.0.lock().unwrap().insert(name.to_owned(), values.iter().map(|v| (*v).to_owned()).collect());
    }
}

#[async_trait::async_trait]
impl TxtResolver for FakeDns {
    async fn lookup_txt(&self, name: &str) -> Result<Vec<String>, String> {
        Ok(self.0.lock().unwrap().get(name).cloned().unwrap_or_default())
    }
}

async fn app_with_dns() -> (TestApp, FakeDns) {
    let dns = FakeDns::default();
    let resolver = dns.clone();
    let app = TestApp::new().await.with_services(|s| s.with_txt_resolver(Arc::new(resolver)));
    (app, dns)
}

async fn create(app: &TestApp, token: &str, tenant: Option<&str>, body: Value) -> Value {
    let mut req = app.post(CONFIGS).bearer(token).json(body);
    if let Some(t) = tenant {
        req = req.tenant(t);
    }
    let res = req.send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

async fn configs(app: &TestApp, token: &str, tenant: &str) -> Value {
    let res = app.get(CONFIGS).bearer(token).tenant(tenant).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

async fn add_domain(app: &TestApp, token: &str, tenant: &str, config: &str, domain: &str) -> Value {
    let res = app
        .post(&format!("{CONFIGS}/{config}/domains"))
        .bearer(token)
        .tenant(tenant)
        .json(json!({"domain": domain}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

fn metadata_xml(location: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/e">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>{CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{location}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
    )
}

#[tokio::test]
async fn environment_creates_lists_updates_and_deletes_configurations() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    let c = create(
        &app,
        &vendor,
        Some(&acme),
        json!({"ssoEndpoint": "https://idp.example/sso", "publicCertificate": CERT, "signRequest": true,
               "type": "saml", "oidcSecret": "s3cret", "idpClientSecret": "hidden", "configMetadata": {"a": 1}}),
    )
    .await;
    assert_eq!(c["enabled"], true);
    assert_eq!(c["type"], "saml");
    assert_eq!(c["ssoEndpoint"], "https://idp.example/sso");
    assert_eq!(c["signRequest"], true);
    assert_eq!(c["oidcSecret"], "s3cret");
    assert!(c.get("idpClientSecret").is_none(), "idpClientSecret is never answered");
    assert_eq!(c["domains"], json!([]));
    assert!(!c["generatedVerification"].as_str().unwrap().is_empty());
    let id = c["id"].as_str().unwrap().to_owned();

    let list = configs(&app, &vendor, &acme).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.as_str());

    let res = app
        .patch(&format!("{CONFIGS}/{id}"))
        .bearer(&vendor)
        .tenant(&acme)
        .json(json!({"enabled": false, "type": "oidc", "oidcClientId": "client"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["enabled"].clone(), res.body["type"].clone()), (json!(false), json!("oidc")));
    assert_eq!(res.body["ssoEndpoint"], "https://idp.example/sso", "absent fields are kept");

    // Bad input: a 400 with an error body, and nothing changes.
    for bad in [
        json!({"type": "kerberos"}),
        json!({"ssoEndpoint": "javascript:alert(1)"}),
        json!({"enabled": "yes"}),
        json!({"publicCertificate": "not base64 !!"}),
        // base64, but no certificate: every sign-on would fail later.
        json!({"publicCertificate": "MIIBszCCAVmgAwIBAgIUXnFfZ2V0dGVzdA=="}),
        json!({"subAccountAccessLimit": 1.5}),
    ] {
        let res = app.patch(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&acme).json(bad.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app
        .patch(&format!("{CONFIGS}/{id}"))
        .bearer(&vendor)
        .tenant(&acme)
        .raw("{nope", "application/json")
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let after = configs(&app, &vendor, &acme).await;
    assert_eq!(after[0]["type"], "oidc");
    assert_eq!(after[0]["enabled"], false);

    // Unknown and malformed ids.
    let unknown = uuid::Uuid::new_v4();
    assert_error(
        &app.patch(&format!("{CONFIGS}/{unknown}")).bearer(&vendor).tenant(&acme).json(json!({})).send().await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        &app.delete(&format!("{CONFIGS}/not-a-uuid")).bearer(&vendor).tenant(&acme).send().await,
        StatusCode::BAD_REQUEST,
    );
    // The environment without a tenant header cannot create.
    assert_error(&app.post(CONFIGS).bearer(&vendor).json(json!({})).send().await, StatusCode::BAD_REQUEST);

    let res = app.delete(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&acme).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(configs(&app, &vendor, &acme).await, json!([]));
    assert_error(
        &app.delete(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&acme).send().await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn members_need_the_sso_keys_and_see_only_their_own_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let theirs = create(&app, &vendor, Some(&b), json!({"ssoEndpoint": "https://idp.b/sso"})).await;
    let theirs = theirs["id"].as_str().unwrap();

    let (_, nobody) = app.member_with("nobody@a.io", &a, &[]).await;
    assert_error(&app.get(CONFIGS).bearer(&nobody).send().await, StatusCode::FORBIDDEN);
    let (_, reader) = app.member_with("reader@a.io", &a, &[READ]).await;
    assert_eq!(app.get(CONFIGS).bearer(&reader).send().await.status, StatusCode::OK);
    assert_error(&app.post(CONFIGS).bearer(&reader).json(json!({})).send().await, StatusCode::FORBIDDEN);

    let (_, admin) = app.member_with("admin@a.io", &a, &[READ, WRITE]).await;
    let mine = create(&app, &admin, None, json!({"ssoEndpoint": "https://idp.a/sso"})).await;
    let res = app.get(CONFIGS).bearer(&admin).send().await;
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    assert_eq!(res.body[0]["id"], mine["id"]);
    // The header cannot widen a member's scope.
    assert_error(&app.get(CONFIGS).bearer(&admin).tenant(&b).send().await, StatusCode::FORBIDDEN);
    // Tenant b's configuration is a 404 for tenant a's admin, whatever the operation, and is left as it was.
    let attacks = [
        (Method::PATCH, format!("{CONFIGS}/{theirs}"), json!({"ssoEndpoint": "https://evil.example/sso"})),
        (Method::DELETE, format!("{CONFIGS}/{theirs}"), json!({})),
        (Method::POST, format!("{CONFIGS}/{theirs}/domains"), json!({"domain": "evil.io"})),
        (Method::PUT, format!("{CONFIGS}/{theirs}/roles"), json!({"roleIds": []})),
        (Method::GET, format!("{CONFIGS}/{theirs}/groups"), json!({})),
        (
            Method::PUT,
            format!("{CONFIGS}/{theirs}/metadata"),
            json!({"metadata": metadata_xml("https://evil.example/sso")}),
        ),
    ];
    for (method, path, body) in attacks {
        let res = app.request(method.clone(), &path).bearer(&admin).json(body).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    let left = configs(&app, &vendor, &b).await;
    assert_eq!(left[0]["ssoEndpoint"], "https://idp.b/sso");
    assert_eq!(left[0]["domains"], json!([]));

    // Environment-only operations refuse a user token.
    for (method, path) in [
        (Method::GET, format!("{CONFIGS}/excluded-emails")),
        (Method::PUT, format!("{CONFIGS}/domains/a.io/force-validate")),
        (Method::PUT, format!("{CONFIGS}/multiple-sso-per-domain")),
        (Method::GET, format!("{CONFIGS}/domains")),
        (Method::POST, "/team/resources/sso/v1/oidc/configurations".to_owned()),
    ] {
        let res = app.request(method, &path).bearer(&admin).json(json!({"active": true})).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT");
    }
}

#[tokio::test]
async fn configurations_are_created_and_updated_from_idp_metadata() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    let res = app
        .post(&format!("{CONFIGS}/metadata"))
        .bearer(&vendor)
        .tenant(&acme)
        .json(json!({"metadata": metadata_xml("https://idp.example/redirect")}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["ssoEndpoint"], "https://idp.example/redirect");
    assert_eq!(res.body["publicCertificate"], CERT);
    assert_eq!(res.body["type"], "saml");
    let id = res.body["id"].as_str().unwrap().to_owned();

    let res = app
        .put(&format!("{CONFIGS}/{id}/metadata"))
        .bearer(&vendor)
        .tenant(&acme)
        .json(json!({"metadata": metadata_xml("https://idp.example/new")}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["ssoEndpoint"], "https://idp.example/new");

    let dtd = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
    for bad in
        [json!({"metadata": "<md:EntityDescriptor"}), json!({"metadata": dtd}), json!({"metadata": 5}), json!({})]
    {
        let res = app.put(&format!("{CONFIGS}/{id}/metadata")).bearer(&vendor).tenant(&acme).json(bad).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(configs(&app, &vendor, &acme).await[0]["ssoEndpoint"], "https://idp.example/new");
    // metadata-url: only http(s), only public addresses (no way into the private network); never a 500.
    for url in [
        "file:///etc/passwd",
        "http://127.0.0.1:9/metadata",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
    ] {
        let res = app
            .post(&format!("{CONFIGS}/metadata-url"))
            .bearer(&vendor)
            .tenant(&acme)
            .json(json!({"url": url}))
            .send()
            .await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(configs(&app, &vendor, &acme).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn domains_are_validated_by_their_dns_record_only() {
    let (app, dns) = app_with_dns().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let ca = create(&app, &vendor, Some(&a), json!({})).await;
    let ca_id = ca["id"].as_str().unwrap();
    let d = add_domain(&app, &vendor, &a, ca_id, " Acme.IO ").await;
    assert_eq!((d["domain"].clone(), d["validated"].clone()), (json!("acme.io"), json!(false)));
    assert_eq!(d["txtRecord"], ca["generatedVerification"]);
    let d_id = d["id"].as_str().unwrap();
    // Bad and duplicate domains.
    for bad in [json!({"domain": "not a domain"}), json!({"domain": "com"}), json!({})] {
        let res = app.post(&format!("{CONFIGS}/{ca_id}/domains")).bearer(&vendor).tenant(&a).json(bad).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app
        .post(&format!("{CONFIGS}/{ca_id}/domains"))
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({"domain": "acme.io"}))
        .send()
        .await;
    assert_error(&res, StatusCode::CONFLICT);

    let validate = format!("/team/resources/sso/v2/configurations/{ca_id}/domains/{d_id}/validate");
    // No record, then a wrong one: 400, still unvalidated.
    assert_error(&app.put(&validate).bearer(&vendor).tenant(&a).send().await, StatusCode::BAD_REQUEST);
    dns.set("_saml-domain-challenge.acme.io", &["something-else"]);
    assert_error(&app.put(&validate).bearer(&vendor).tenant(&a).send().await, StatusCode::BAD_REQUEST);
    assert_eq!(configs(&app, &vendor, &a).await[0]["domains"][0]["validated"], false);
    // The right one validates.
    dns.set("_saml-domain-challenge.acme.io", &["x", ca["generatedVerification"].as_str().unwrap()]);
    let res = app.put(&validate).bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["validated"], true);
    assert_eq!(configs(&app, &vendor, &a).await[0]["domains"][0]["validated"], true);

    // Tenant b adds the same domain and even publishes its own record: one validated owner per domain (409)...
    let cb = create(&app, &vendor, Some(&b), json!({})).await;
    let cb_id = cb["id"].as_str().unwrap();
    let db = add_domain(&app, &vendor, &b, cb_id, "acme.io").await;
    let db_id = db["id"].as_str().unwrap();
    dns.set("_saml-domain-challenge.acme.io", &[cb["generatedVerification"].as_str().unwrap()]);
    let validate_b = format!("/team/resources/sso/v1/configurations/{cb_id}/domains/{db_id}/validate");
    assert_error(&app.put(&validate_b).bearer(&vendor).tenant(&b).send().await, StatusCode::CONFLICT);
    // ...unless the environment allows several tenants per domain.
    let res = app
        .put(&format!("{CONFIGS}/multiple-sso-per-domain"))
        .bearer(&vendor)
        .json(json!({"unspecifiedTenantStrategy": "FIRST_CREATED", "active": true, "useActiveTenant": false}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.put(&validate_b).bearer(&vendor).tenant(&b).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Deleting a domain.
    let res = app.delete(&format!("{CONFIGS}/{cb_id}/domains/{db_id}")).bearer(&vendor).tenant(&b).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(configs(&app, &vendor, &b).await[0]["domains"], json!([]));
    assert_error(
        &app.delete(&format!("{CONFIGS}/{cb_id}/domains/{d_id}")).bearer(&vendor).tenant(&b).send().await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn a_domain_is_validated_by_email_only_when_allowed_and_only_for_the_callers_own_domain() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let (_, admin) = app.member_with("admin@acme.io", &a, &[READ, WRITE]).await;
    let c = create(&app, &admin, None, json!({})).await;
    let id = c["id"].as_str().unwrap();
    let own = add_domain(&app, &admin, &a, id, "acme.io").await;
    let other = add_domain(&app, &admin, &a, id, "gmail.com").await;
    let by_email = |d: &Value| format!("{CONFIGS}/{id}/domains/{}/validate/email", d["id"].as_str().unwrap());

    assert_error(&app.put(&by_email(&own)).bearer(&admin).send().await, StatusCode::FORBIDDEN);
    let res = app.put(&format!("{CONFIGS}/domains")).bearer(&vendor).json(json!({
        "allowVerifiedUsersToAddDomains": true, "skipDomainVerification": false, "bypassDomainCrossValidation": false
    })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(
        app.get(&format!("{CONFIGS}/domains")).bearer(&vendor).send().await.body["allowVerifiedUsersToAddDomains"],
        true
    );

    assert_error(&app.put(&by_email(&other)).bearer(&admin).send().await, StatusCode::BAD_REQUEST);
    assert_error(&app.put(&by_email(&own)).bearer(&vendor).tenant(&a).send().await, StatusCode::BAD_REQUEST);
    let res = app.put(&by_email(&own)).bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["validated"], true);
    let domains = configs(&app, &vendor, &a).await[0]["domains"].clone();
    let validated = |name: &str| {
        domains.as_array().unwrap().iter().find(|d| d["domain"] == name).map(|d| d["validated"].clone()).unwrap()
    };
    assert_eq!((validated("acme.io"), validated("gmail.com")), (json!(true), json!(false)));
}

#[tokio::test]
async fn the_environment_force_validates_a_domain() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let c = create(&app, &vendor, Some(&a), json!({})).await;
    add_domain(&app, &vendor, &a, c["id"].as_str().unwrap(), "acme.io").await;
    let res =
        app.put(&format!("{CONFIGS}/domains/ACME.io/force-validate")).bearer(&vendor).json(json!({})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(configs(&app, &vendor, &a).await[0]["domains"][0]["validated"], true);
    let res =
        app.put(&format!("{CONFIGS}/domains/unknown.io/force-validate")).bearer(&vendor).json(json!({})).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    let res =
        app.put(&format!("{CONFIGS}/domains/bad%20domain/force-validate")).bearer(&vendor).json(json!({})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn default_roles_and_group_mappings_name_only_roles_the_tenant_has_and_the_caller_may_grant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let env_role = app.seed_role_at_level("viewer", None, false, 10, &[]).await;
    let own_role = app.seed_role_at_level("a-role", Some(&a), false, 10, &[]).await;
    let b_role = app.seed_role("b-role", Some(&b), false, &[]).await;
    let strong = app.seed_role_at_level("owner", None, false, 1, &[]).await;
    let with_key = app.seed_role_at_level("secret-keeper", None, false, 10, &["some.other.permission"]).await;
    // An admin whose own role is at level 5.
    let admin_role = app.seed_role_at_level("sso-admin", Some(&a), false, 5, &[READ, WRITE]).await;
    app.seed_user("admin@a.io", &a, &[admin_role]).await;
    let admin = app.user_token("admin@a.io").await;
    let c = create(&app, &admin, None, json!({})).await;
    let id = c["id"].as_str().unwrap();
    let roles = format!("{CONFIGS}/{id}/roles");

    let res = app
        .put(&roles)
        .bearer(&admin)
        .json(json!({"roleIds": [env_role.to_string(), own_role.to_string()]}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get(&roles).bearer(&admin).send().await;
    let mut got: Vec<String> = serde_json::from_value(res.body["roleIds"].clone()).unwrap();
    got.sort();
    let mut want = vec![env_role.to_string(), own_role.to_string()];
    want.sort();
    assert_eq!(got, want);

    // Another tenant's role is unknown here; a stronger role, or one with a permission the admin lacks, is refused.
    assert_error(
        &app.put(&roles).bearer(&admin).json(json!({"roleIds": [b_role.to_string()]})).send().await,
        StatusCode::NOT_FOUND,
    );
    assert_error(
        &app.put(&roles).bearer(&admin).json(json!({"roleIds": [strong.to_string()]})).send().await,
        StatusCode::FORBIDDEN,
    );
    assert_error(
        &app.put(&roles).bearer(&admin).json(json!({"roleIds": [with_key.to_string()]})).send().await,
        StatusCode::FORBIDDEN,
    );
    assert_error(
        &app.put(&roles).bearer(&admin).json(json!({"roleIds": ["nope"]})).send().await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(app.get(&roles).bearer(&admin).send().await.body["roleIds"].as_array().unwrap().len(), 2, "unchanged");
    // The environment may grant the strong role.
    let res = app.put(&roles).bearer(&vendor).tenant(&a).json(json!({"roleIds": [strong.to_string()]})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // Groups.
    let groups = format!("{CONFIGS}/{id}/groups");
    let res = app
        .post(&groups)
        .bearer(&admin)
        .json(json!({"group": "engineers", "roleIds": [env_role.to_string()]}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let group_id = res.body["id"].as_str().unwrap().to_owned();
    assert_error(
        &app.post(&groups).bearer(&admin).json(json!({"group": "engineers", "roleIds": []})).send().await,
        StatusCode::CONFLICT,
    );
    assert_error(
        &app.post(&groups)
            .bearer(&admin)
            .json(json!({"group": "bosses", "roleIds": [strong.to_string()]}))
            .send()
            .await,
        StatusCode::FORBIDDEN,
    );
    assert_error(
        &app.post(&groups).bearer(&admin).json(json!({"group": "", "roleIds": []})).send().await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(&app.post(&groups).bearer(&admin).json(json!({"group": "x"})).send().await, StatusCode::BAD_REQUEST);
    let res = app
        .patch(&format!("{groups}/{group_id}"))
        .bearer(&admin)
        .json(json!({"group": "devs", "roleIds": [own_role.to_string()]}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let list = app.get(&groups).bearer(&admin).send().await.body;
    assert_eq!(list, json!([{"id": group_id, "group": "devs", "roleIds": [own_role.to_string()]}]));
    assert_eq!(configs(&app, &vendor, &a).await[0]["groups"], list);

    // Deleting a role removes it from every mapping.
    let res = app.delete(&format!("/identity/resources/roles/v1/{own_role}")).bearer(&vendor).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_eq!(app.get(&groups).bearer(&admin).send().await.body[0]["roleIds"], json!([]));

    let unknown = uuid::Uuid::new_v4();
    assert_error(&app.delete(&format!("{groups}/{unknown}")).bearer(&admin).send().await, StatusCode::NOT_FOUND);
    let res = app.delete(&format!("{groups}/{group_id}")).bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(&groups).bearer(&admin).send().await.body, json!([]));
}

#[tokio::test]
async fn password_login_is_refused_only_for_validated_domains_of_enabled_configurations() {
    let (app, dns) = app_with_dns().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let evil = app.seed_tenant("evil").await;
    app.seed_user("ann@acme.io", &a, &[]).await;
    app.seed_user("bob@acme.io", &a, &[]).await;
    let login = |email: &'static str| {
        app.post("/identity/resources/auth/v1/user").json(json!({"email": email, "password": PASSWORD})).send()
    };

    // Another tenant claims acme.io without proving it: nobody is locked out.
    let c_evil = create(&app, &vendor, Some(&evil), json!({})).await;
    add_domain(&app, &vendor, &evil, c_evil["id"].as_str().unwrap(), "acme.io").await;
    assert_eq!(login("ann@acme.io").await.status, StatusCode::OK);

    // Acme proves it: password login of its domain's users is refused.
    let c = create(&app, &vendor, Some(&a), json!({})).await;
    let id = c["id"].as_str().unwrap();
    let d = add_domain(&app, &vendor, &a, id, "acme.io").await;
    dns.set("_saml-domain-challenge.acme.io", &[c["generatedVerification"].as_str().unwrap()]);
    let res = app
        .put(&format!("/team/resources/sso/v2/configurations/{id}/domains/{}/validate", d["id"].as_str().unwrap()))
        .bearer(&vendor)
        .tenant(&a)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = login("ann@acme.io").await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(res.error().contains("SSO"), "{}", res.text);
    let res = app
        .post("/identity/resources/auth/v1/user")
        .json(json!({"email": "ANN@Acme.io", "password": "wrong"}))
        .send()
        .await;
    assert_error(&res, StatusCode::FORBIDDEN);
    // Nor does it get a password reset link (the answer is the same as for anyone).
    app.seed_user("cat@other.io", &a, &[]).await;
    for email in ["ann@acme.io", "cat@other.io"] {
        let res = app.post("/identity/resources/users/v1/passwords/reset").json(json!({"email": email})).send().await;
        assert!(res.status.is_success(), "{}", res.text);
    }
    // Cat's link (outside SSO) arrives; Ann's, asked for first, never does.
    for _ in 0..100 {
        if !app.store.outbox(Some("cat@other.io"), 10).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.store.outbox(Some("cat@other.io"), 10).await.unwrap().len(), 1);
    assert!(app.store.outbox(Some("ann@acme.io"), 10).await.unwrap().is_empty(), "a reset link was sent");

    // An excluded email still signs in with its password; removing the exclusion ends that.
    let excluded = format!("{CONFIGS}/excluded-emails");
    let res = app.post(&excluded).bearer(&vendor).json(json!({"email": "Bob@acme.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_error(
        &app.post(&excluded).bearer(&vendor).json(json!({"email": "bob@acme.io"})).send().await,
        StatusCode::CONFLICT,
    );
    assert_error(
        &app.post(&excluded).bearer(&vendor).json(json!({"email": "not-an-email"})).send().await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(app.get(&excluded).bearer(&vendor).send().await.body[0]["email"], "Bob@acme.io");
    assert_eq!(login("bob@acme.io").await.status, StatusCode::OK);
    assert_error(&login("ann@acme.io").await, StatusCode::FORBIDDEN);
    let res = app.delete(&format!("{excluded}/bob@acme.io")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_error(&login("bob@acme.io").await, StatusCode::FORBIDDEN);
    assert_error(&app.delete(&format!("{excluded}/bob@acme.io")).bearer(&vendor).send().await, StatusCode::NOT_FOUND);

    // A disabled configuration enforces nothing.
    let res =
        app.patch(&format!("{CONFIGS}/{id}")).bearer(&vendor).tenant(&a).json(json!({"enabled": false})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(login("ann@acme.io").await.status, StatusCode::OK);
}

#[tokio::test]
async fn environment_settings_documents_default_and_are_validated() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let multi = format!("{CONFIGS}/multiple-sso-per-domain");
    let res = app.get(&multi).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        (res.body["active"].clone(), res.body["unspecifiedTenantStrategy"].clone()),
        (json!(false), json!("BLOCK"))
    );
    assert_error(
        &app.put(&multi)
            .bearer(&vendor)
            .json(json!({"unspecifiedTenantStrategy": "RANDOM", "active": true, "useActiveTenant": false}))
            .send()
            .await,
        StatusCode::BAD_REQUEST,
    );
    assert_error(&app.put(&multi).bearer(&vendor).json(json!({"active": "yes"})).send().await, StatusCode::BAD_REQUEST);

    let oidc = "/team/resources/sso/v1/oidc/configurations";
    assert_eq!(app.get(oidc).bearer(&vendor).send().await.body["active"], false);
    let res = app
        .post(oidc)
        .bearer(&vendor)
        .json(json!({"active": true, "redirectUri": "https://app.example/account/oidc/callback"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get(oidc).bearer(&vendor).send().await;
    assert_eq!(
        (res.body["active"].clone(), res.body["redirectUri"].clone()),
        (json!(true), json!("https://app.example/account/oidc/callback"))
    );
    assert_error(
        &app.post(oidc).bearer(&vendor).json(json!({"active": true, "redirectUri": "javascript:x"})).send().await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(
        app.get(oidc).bearer(&vendor).send().await.body["redirectUri"],
        "https://app.example/account/oidc/callback"
    );

    let policy = format!("{CONFIGS}/domains");
    assert_eq!(app.get(&policy).bearer(&vendor).send().await.body["skipDomainVerification"], false);
    assert_error(
        &app.put(&policy).bearer(&vendor).json(json!({"skipDomainVerification": 1})).send().await,
        StatusCode::BAD_REQUEST,
    );
}

#[tokio::test]
async fn the_saml_service_provider_is_described_by_its_settings_certificate_and_metadata() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let issuer = app.state.config.issuer();
    let res = app.get("/team/resources/sso/v1/saml/configurations/vendor-config").bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["acsUrl"], format!("{issuer}/auth/saml/callback"));
    let sp_entity = res.body["spEntityId"].clone();
    let res = app.get("/metadata?entityName=saml").send().await;
    assert_eq!(res.body["rows"][0]["configuration"]["acsUrl"], format!("{issuer}/auth/saml/callback"));
    assert_eq!(res.body["rows"][0]["configuration"]["spEntityId"], sp_entity);

    let res = app.get("/team/resources/sso/v1/saml/configurations/sp-certificate").bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let cert = res.body["certificate"].as_str().unwrap().to_owned();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    // One key per environment: a second read (or node) answers the same certificate.
    let again = app.second_node().await;
    let res = again.get("/team/resources/sso/v1/saml/configurations/sp-certificate").bearer(&vendor).send().await;
    assert_eq!(res.body["certificate"], cert.as_str());

    create(&app, &vendor, Some(&a), json!({"spEntityId": "urn:acme&co", "acsUrl": "https://sso.acme.io/acs?x=1&y=2"}))
        .await;
    let res = app.get("/team/resources/sso/v1/saml/configurations/sp-metadata").bearer(&vendor).tenant(&a).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.headers["content-type"].to_str().unwrap().starts_with("application/xml"));
    assert!(res.text.contains(r#"entityID="urn:acme&amp;co""#), "{}", res.text);
    assert!(res.text.contains(r#"Location="https://sso.acme.io/acs?x=1&amp;y=2""#), "{}", res.text);
    let body: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(res.text.contains(&body), "the SP certificate is in the metadata");
    // A member needs the read key.
    let (_, nobody) = app.member_with("nobody@a.io", &a, &[]).await;
    assert_error(
        &app.get("/team/resources/sso/v1/saml/configurations/sp-metadata").bearer(&nobody).send().await,
        StatusCode::FORBIDDEN,
    );
}

#[tokio::test]
async fn the_public_flag_says_whether_any_configuration_is_enabled() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let public = "/team/resources/sso/v2/configurations/public";
    assert_eq!(app.get(public).send().await.body, json!({"isActive": false}));
    let c = create(&app, &vendor, Some(&a), json!({"enabled": false})).await;
    assert_eq!(app.get(public).send().await.body, json!({"isActive": false}));
    let res = app
        .patch(&format!("{CONFIGS}/{}", c["id"].as_str().unwrap()))
        .bearer(&vendor)
        .tenant(&a)
        .json(json!({"enabled": true}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(app.get(public).send().await.body, json!({"isActive": true}));
    // Through the browser SDK's prefix too.
    assert_eq!(app.get(&format!("/frontegg{public}")).send().await.body, json!({"isActive": true}));
}

#[tokio::test]
async fn the_login_lookup_follows_the_multiple_sso_per_domain_policy() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let sso = app.state.services.sso();
    let ca = create(&app, &vendor, Some(&a), json!({})).await;
    add_domain(&app, &vendor, &a, ca["id"].as_str().unwrap(), "acme.io").await;
    assert!(sso.find_for_login("acme.io", None).await.unwrap().is_empty(), "not validated yet");
    app.put(&format!("{CONFIGS}/domains/acme.io/force-validate")).bearer(&vendor).json(json!({})).send().await;
    let found = sso.find_for_login("ACME.io", None).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id.to_string(), ca["id"].as_str().unwrap());
    let by_id = sso.configuration_by_id(found[0].id).await.unwrap();
    assert_eq!(by_id.tenant_id.as_str(), a);

    app.put(&format!("{CONFIGS}/multiple-sso-per-domain"))
        .bearer(&vendor)
        .json(json!({"unspecifiedTenantStrategy": "BLOCK", "active": true, "useActiveTenant": true}))
        .send()
        .await;
    let cb = create(&app, &vendor, Some(&b), json!({})).await;
    add_domain(&app, &vendor, &b, cb["id"].as_str().unwrap(), "acme.io").await;
    let res =
        app.put(&format!("{CONFIGS}/domains/acme.io/force-validate")).bearer(&vendor).json(json!({})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(sso.find_for_login("acme.io", None).await.is_err(), "BLOCK with two tenants");
    let named = sso.find_for_login("acme.io", Some(&crate::support::tenant(&b))).await.unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].tenant_id.as_str(), b);

    let key = sso.sp_signing_key().await.unwrap();
    assert!(!key.private_key_der.is_empty() && key.certificate_pem.contains("CERTIFICATE"));
}

#[tokio::test]
async fn a_magic_link_does_not_bypass_sso() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    app.seed_user("ann@acme.io", &a, &[]).await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&vendor)
        .json(json!({"authStrategy": "MagicLink", "defaultPasswordlessTokenExpiration": 600}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let c = create(&app, &vendor, Some(&a), json!({})).await;
    add_domain(&app, &vendor, &a, c["id"].as_str().unwrap(), "acme.io").await;
    app.put(&format!("{CONFIGS}/domains/acme.io/force-validate")).bearer(&vendor).json(json!({})).send().await;

    let res = app
        .post("/identity/resources/auth/v1/passwordless/magiclink/prelogin")
        .json(json!({"email": "ann@acme.io"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut token = None;
    for _ in 0..500 {
        if let Some(m) = app.store.outbox(Some("ann@acme.io"), 10).await.unwrap().first() {
            let link = m.text.split_whitespace().find(|w| w.contains("magic-link?token=")).unwrap().to_owned();
            token = Some(link.split_once("token=").unwrap().1.to_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let res = app
        .post("/identity/resources/auth/v1/passwordless/magiclink/postlogin")
        .json(json!({"token": token.expect("a magic link")}))
        .send()
        .await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(res.error().contains("SSO"), "{}", res.text);
}

#[tokio::test]
async fn the_legacy_single_saml_api_works_on_the_tenants_oldest_saml_configuration() {
    let (app, dns) = app_with_dns().await;
    let a = app.seed_tenant("a").await;
    let role = app.seed_role_at_level("viewer", None, false, 10, &[]).await;
    let (_, admin) = app.member_with("admin@a.io", &a, &[READ, WRITE]).await;
    let legacy = "/team/resources/sso/v1/saml/configurations";
    assert_eq!(app.get(legacy).bearer(&admin).send().await.body, json!({}));
    for path in [
        "/team/resources/sso/v1/saml/configurations/roles/default",
        "/team/resources/sso/v2/saml/configurations/groups",
    ] {
        assert_error(&app.get(path).bearer(&admin).send().await, StatusCode::NOT_FOUND);
    }

    let res = app
        .post(legacy)
        .bearer(&admin)
        .json(json!({"enabled": true, "ssoEndpoint": "https://idp.example/sso", "publicCertificate": CERT, "domain": "acme.io"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!((res.body["domain"].clone(), res.body["validated"].clone()), (json!("acme.io"), json!(false)));
    let verification = res.body["generatedVerification"].as_str().unwrap().to_owned();
    let res = app.post(legacy).bearer(&admin).json(json!({"signRequest": true, "domain": "acme.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["signRequest"], true);
    assert_eq!(res.body["domains"].as_array().unwrap().len(), 1, "the same configuration, the same domain");

    let validate = "/team/resources/sso/v1/saml/validations/domain";
    assert_error(&app.put(validate).bearer(&admin).send().await, StatusCode::BAD_REQUEST);
    dns.set("_saml-domain-challenge.acme.io", &[&verification]);
    assert_eq!(app.put(validate).bearer(&admin).send().await.body["validated"], true);

    let res = app
        .put("/team/resources/sso/v1/saml/configurations/metadata")
        .bearer(&admin)
        .json(json!({"metadata": metadata_xml("https://idp.example/meta")}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(legacy).bearer(&admin).send().await.body["ssoEndpoint"], "https://idp.example/meta");

    let roles = "/team/resources/sso/v1/saml/configurations/roles/default";
    let res = app.post(roles).bearer(&admin).json(json!({"roleIds": [role.to_string()]})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(app.get(roles).bearer(&admin).send().await.body["roleIds"], json!([role.to_string()]));

    let groups = "/team/resources/sso/v2/saml/configurations/groups";
    let res = app.post(groups).bearer(&admin).json(json!({"group": "devs", "roleIds": []})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let res = app
        .patch(&format!("{groups}/{id}"))
        .bearer(&admin)
        .json(json!({"group": "eng", "roleIds": [role.to_string()]}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(groups).bearer(&admin).send().await.body[0]["group"], "eng");
    assert_eq!(app.delete(&format!("{groups}/{id}")).bearer(&admin).send().await.status, StatusCode::OK);
    assert_eq!(app.get(groups).bearer(&admin).send().await.body, json!([]));
}

#[tokio::test]
async fn with_a_master_key_the_sp_key_is_sealed_at_rest() {
    let config = yolk_server::Config {
        master_key: Some("8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0".to_owned().into()),
        ..yolk_server::Config::default()
    };
    let app = TestApp::with_config(config).await;
    let vendor = app.vendor_token().await;
    let res = app.get("/team/resources/sso/v1/saml/configurations/sp-certificate").bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let stored = app.store.sp_key().await.unwrap().expect("made on first use");
    assert!(stored.private_key.is_sealed());
    assert!(!stored.private_key.stored_text().contains("PRIVATE KEY"));
    let key = app.state.services.sso().sp_signing_key().await.unwrap();
    assert!(key.private_key_pem.contains("PRIVATE KEY"));
    assert_eq!(key.certificate_pem, res.body["certificate"].as_str().unwrap());
}
