//! `/health`, JWKS and the public key.

use axum::http::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn health_is_200_when_the_store_answers() {
    let app = TestApp::new().await;
    let res = app.get("/health").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["store"], app.db.backend);
}

#[tokio::test]
async fn jwks_publishes_the_signing_key_with_alg_kid_use() {
    let app = TestApp::new().await;
    let res = app.get("/.well-known/jwks.json").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let key = &res.body["keys"][0];
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["kid"], yolk_testkit::signing_key().kid);
    let res = app.get("/frontegg/.well-known/jwks.json").send().await;
    assert_eq!(res.status, StatusCode::OK);
}
