//! Item 8: an environment token is bound to the credential it was issued under. Changing the API key (a restart
//! with another `YOLK_API_KEY`) ends every environment token of the old key, on every kind of route that takes
//! one (`VendorAuth`, `TenantScope`, `UserContext`): the restarted node refuses them at once, a node that has not
//! restarted within its credential cache's TTL (2 s by default). Tokens of the new key work on every node at once.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{API_KEY, CLIENT_ID, TestApp, TestResponse, assert_error, claims};

const NEW_KEY: &str = "rotated-api-key-9876543210";
const CONFIG: &str = "/identity/resources/configurations/v1";
const ME: &str = "/identity/resources/users/v2/me";
/// The credential cache's TTL under the default configuration (`access_cache_ttl_ms`), in seconds.
const TTL_SECS: i64 = 2;

/// A tenant with a user: what the tenant-scoped and self-service routes address.
async fn tenant_and_user(app: &TestApp) -> (String, String) {
    let tenant = app.seed_tenant("acme").await;
    let user = app.seed_user("ann@acme.io", &tenant, &[]).await;
    (tenant, user.to_string())
}

/// `token` on one route of each kind that takes an environment token: management (`VendorAuth`), tenant-scoped
/// (`TenantScope`) and self-service naming the user in `frontegg-user-id` (`UserContext`).
async fn calls(node: &TestApp, token: &str, (tenant, user): &(String, String)) -> [TestResponse; 3] {
    [
        node.get(CONFIG).access_token(token).send().await,
        node.get(&format!("/identity/resources/users/v1/{user}")).bearer(token).tenant(tenant).send().await,
        node.get(ME).access_token(token).user(user).send().await,
    ]
}

#[track_caller]
fn assert_all_accepted(responses: &[TestResponse; 3]) {
    for res in responses {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
}

#[track_caller]
fn assert_all_refused(responses: &[TestResponse; 3]) {
    for res in responses {
        assert_error(res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT");
    }
}

#[tokio::test]
async fn changing_the_api_key_ends_the_environment_tokens_of_the_old_key() {
    let a = TestApp::new().await;
    let scope = tenant_and_user(&a).await;
    let old = a.vendor_token().await;
    assert_all_accepted(&calls(&a, &old, &scope).await);

    // The operator changes YOLK_API_KEY and restarts one node: it refuses the old key's token from its first
    // request, and the old secret no longer buys a token.
    let b = a.restarted_with_api_key(NEW_KEY).await;
    assert_all_refused(&calls(&b, &old, &scope).await);
    let res = b.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID, "secret": API_KEY })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let new = b.vendor_token_for(NEW_KEY).await;
    assert_all_accepted(&calls(&b, &new, &scope).await);

    // The node that has not restarted answers from its cached reading of the credential (no store query per
    // request) until it is TTL old: that is the bound on how long it may still admit the old key's token...
    a.clock.advance_secs(TTL_SECS - 1);
    assert_all_accepted(&calls(&a, &old, &scope).await);
    // ...and once the reading is TTL old, it reads the credential again and refuses it.
    a.clock.advance_secs(1);
    assert_all_refused(&calls(&a, &old, &scope).await);
    assert_all_accepted(&calls(&a, &new, &scope).await);
    let res = a.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID, "secret": API_KEY })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_of_the_new_key_works_at_once_on_a_node_that_has_not_restarted() {
    let a = TestApp::new().await;
    let scope = tenant_and_user(&a).await;
    let old = a.vendor_token().await;
    let b = a.restarted_with_api_key(NEW_KEY).await;
    let from_b = b.vendor_token_for(NEW_KEY).await;
    // No time passes: `a`'s cached reading still names the old credential, but a token of another generation makes
    // it read the credential again, so the new key's token works...
    assert_all_accepted(&calls(&a, &from_b, &scope).await);
    // ...and from then on `a` refuses the old key's token too, without waiting for the TTL.
    assert_all_refused(&calls(&a, &old, &scope).await);
    // A token `a` issues for the new key works on both nodes.
    let from_a = a.vendor_token_for(NEW_KEY).await;
    assert_all_accepted(&calls(&a, &from_a, &scope).await);
    assert_all_accepted(&calls(&b, &from_a, &scope).await);
}

#[tokio::test]
async fn a_restart_with_the_same_key_keeps_the_environment_tokens() {
    let a = TestApp::new().await;
    let scope = tenant_and_user(&a).await;
    let token = a.vendor_token().await;
    // Start-up writes the configured credential again (the same one): nothing changes for the tokens.
    let b = a.second_node().await;
    assert_all_accepted(&calls(&b, &token, &scope).await);
    a.clock.advance_secs(TTL_SECS * 10);
    assert_all_accepted(&calls(&a, &token, &scope).await);
    assert_all_accepted(&calls(&b, &token, &scope).await);
}

#[tokio::test]
async fn the_token_names_the_credential_generation_beside_the_claims_clients_read() {
    let a = TestApp::new().await;
    let c = claims(&a.vendor_token().await);
    assert_eq!(c["sub"], CLIENT_ID);
    assert_eq!(c["type"], "vendor");
    assert!(c["iss"].is_string() && c["iat"].is_i64() && c["exp"].is_i64(), "{c}");
    let generation = c["credentialGeneration"].as_str().expect("credentialGeneration");
    assert_eq!(generation.len(), 16, "{generation}");
    // Not the stored hash of the secret, nor a part of it.
    let stored = a.store.credentials().await.unwrap().unwrap().secret_sha256;
    assert!(!stored.contains(generation), "{generation}");
    // Another key is another generation.
    let b = a.restarted_with_api_key(NEW_KEY).await;
    let other = claims(&b.vendor_token_for(NEW_KEY).await);
    assert_ne!(other["credentialGeneration"], c["credentialGeneration"]);
    assert_eq!(other["sub"], CLIENT_ID);
}

/// Signs `claims` with the environment's own key (as yolk would): only the claims differ from a real token.
fn sign(claims: &serde_json::Value) -> String {
    let key = yolk_testkit::signing_key();
    let yolk_domain::PrivateKey::Clear(pem) = &key.private_key else { panic!("the test key is in clear") };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("pem");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

#[tokio::test]
async fn a_validly_signed_token_without_the_current_generation_is_refused() {
    let a = TestApp::new().await;
    let scope = tenant_and_user(&a).await;
    let real = claims(&a.vendor_token().await);
    assert_all_accepted(&calls(&a, &sign(&real), &scope).await);
    // An environment token of an older build: no generation at all.
    let mut older = real.clone();
    older.as_object_mut().unwrap().remove("credentialGeneration");
    // Generations that are not the one in force: empty, and another credential's.
    let mut empty = real.clone();
    empty["credentialGeneration"] = json!("");
    let mut other = real.clone();
    other["credentialGeneration"] = json!("0123456789abcdef");
    for forged in [older, empty, other] {
        assert_all_refused(&calls(&a, &sign(&forged), &scope).await);
    }
}

#[tokio::test]
async fn a_node_that_has_not_restarted_sells_tokens_for_the_old_key_at_most_for_the_ttl() {
    let a = TestApp::new().await;
    let scope = tenant_and_user(&a).await;
    a.vendor_token().await;
    let b = a.restarted_with_api_key(NEW_KEY).await;
    // `POST /auth/vendor` checks the secret against the node's cached reading of the credential (no store query
    // per request). `a` read it before the change: the old secret still buys a token there until the reading is
    // TTL old, the same window in which `a` still admits the old key's tokens...
    a.clock.advance_secs(TTL_SECS - 1);
    let late = a.vendor_token_for(API_KEY).await;
    // ...and no longer: the secret is checked against the store again, and the token bought late dies with it.
    a.clock.advance_secs(1);
    let res = a.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID, "secret": API_KEY })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_all_refused(&calls(&a, &late, &scope).await);
    assert_all_refused(&calls(&b, &late, &scope).await);
    // The new key's secret worked on `a` all along (a mismatch reads the store again).
    let new = a.vendor_token_for(NEW_KEY).await;
    assert_all_accepted(&calls(&a, &new, &scope).await);
}
