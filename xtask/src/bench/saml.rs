//! SAML sign-ons/s: `POST .../auth/v1/user/saml/postlogin` with IdP-initiated responses signed by xmlsec1 (the
//! test IdP of `yolk_testkit::saml_idp`), each one consumed once (the replay cache refuses a second use), for a
//! pool of returning users of a tenant whose SAML configuration trusts that IdP for `bench-sso.test`. Each request
//! is the whole assertion consumer: the signature and conditions checked (off the async threads), the assertion
//! recorded, the user found (provisioned on its first sign-on), roles added, session and access token issued.
//!
//! The responses are signed before the run (xmlsec1, a process per response) and live 5 minutes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::json;
use yolk_testkit::saml_idp::{ResponseSpec, idp_certificate};

use super::http;
use super::load::{self, LoadResult, Plan};
use super::scenarios::expect_ok;

const POSTLOGIN: &str = "/identity/resources/auth/v1/user/saml/postlogin";
const IDP: &str = "https://idp.bench-sso.test/metadata";
/// Returning users the sign-ons cycle through.
const USERS: usize = 50;

/// Configures SAML for a new tenant, signs `n` responses and runs them.
pub async fn run(
    addr: SocketAddr,
    env_token: &str,
    n: usize,
    connections: usize,
    duration: Duration,
    pid: u32,
) -> anyhow::Result<LoadResult> {
    let headers = [("x-access-token", env_token)];
    let tenant = "bench-sso";
    expect_ok(
        http::call(
            addr,
            "POST",
            "/tenants/resources/tenants/v1",
            &headers,
            Some(&json!({"tenantId": tenant, "name": "Bench SSO"})),
        )
        .await?,
        "create the SSO tenant",
    )?;
    let scoped = [("x-access-token", env_token), ("frontegg-tenant-id", tenant)];
    let config = json!({
        "enabled": true, "type": "saml", "ssoEndpoint": "https://idp.bench-sso.test/sso",
        "publicCertificate": idp_certificate(), "signRequest": false, "configMetadata": {"entityId": IDP},
    });
    let res = http::call(addr, "POST", "/team/resources/sso/v1/configurations", &scoped, Some(&config)).await?;
    let config_id =
        res.json()["id"].as_str().map(str::to_owned).with_context(|| format!("create SSO: {}", res.text()))?;
    let path = format!("/team/resources/sso/v1/configurations/{config_id}/domains");
    expect_ok(
        http::call(addr, "POST", &path, &scoped, Some(&json!({"domain": "bench-sso.test"}))).await?,
        "add the domain",
    )?;
    let path = "/team/resources/sso/v1/configurations/domains/bench-sso.test/force-validate";
    expect_ok(http::call(addr, "PUT", path, &headers, None).await?, "validate the domain")?;
    let res =
        http::call(addr, "GET", "/team/resources/sso/v1/saml/configurations/vendor-config", &headers, None).await?;
    let vendor = res.json();
    let (acs, sp) = match (vendor["acsUrl"].as_str(), vendor["spEntityId"].as_str()) {
        (Some(a), Some(s)) => (a.to_owned(), s.to_owned()),
        _ => bail!("vendor-config: {}", res.text()),
    };

    println!("    signing {n} SAML responses with xmlsec1...");
    let started = std::time::Instant::now();
    let mut signing = tokio::task::JoinSet::new();
    let workers = 4;
    for w in 0..workers {
        let (acs, sp, config_id) = (acs.clone(), sp.clone(), config_id.clone());
        signing.spawn_blocking(move || {
            (w..n)
                .step_by(workers)
                .map(|i| {
                    let email = format!("sso.user.{}@bench-sso.test", i % USERS);
                    let saml = ResponseSpec::new(IDP, &acs, &sp, &email, None).signed_base64();
                    let body = json!({"SAMLResponse": saml, "RelayState": config_id}).to_string();
                    http::request("POST", POSTLOGIN, &[], Some(body.as_bytes()))
                })
                .collect::<Vec<_>>()
        });
    }
    let mut requests = Vec::with_capacity(n);
    while let Some(part) = signing.join_next().await {
        requests.extend(part?);
    }
    println!("    signed in {:.1} s", started.elapsed().as_secs_f64());
    // The first sign-on of each user provisions it: done before the run, so the run measures returning users.
    let warm: Vec<Vec<u8>> = requests.drain(..USERS.min(requests.len())).collect();
    for req in warm {
        let mut conn = http::Conn::connect(addr).await?;
        let res = conn.send(&req).await?;
        if res.status != 200 {
            bail!("SAML warm-up sign-on: {} {}", res.status, res.text());
        }
    }
    let count = requests.len();
    let plan = Plan::Queue { requests: Arc::new(std::sync::Mutex::new(requests)), expect: 200 };
    println!("    SAML postlogin: {connections} connections, up to {} s or {count} sign-ons", duration.as_secs());
    let result = load::run(addr, plan, connections, duration, pid).await?;
    if result.ok == 0 {
        bail!("SAML postlogin: no success ({:?})", result.first_error);
    }
    Ok(result)
}
