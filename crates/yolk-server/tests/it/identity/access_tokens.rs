//! The vendor-only access-token lookups the Node SDK makes on every `x-api-key` request: no access token exists
//! yet, so none is active and a lookup by id is a 404.

use axum::http::StatusCode;
use uuid::Uuid;

use crate::support::{TestApp, assert_error};

const USERS: &str = "/identity/resources/vendor-only/users/access-tokens/v1";
const TENANTS: &str = "/identity/resources/vendor-only/tenants/access-tokens/v1";

#[tokio::test]
async fn no_access_token_is_active_and_lookups_are_not_found() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    for base in [USERS, TENANTS] {
        let res = app.get(&format!("{base}/active")).access_token(&vendor).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body, serde_json::json!([]));
        let res = app.get(&format!("{base}/{}", Uuid::new_v4())).access_token(&vendor).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    // Environment only: a user token is refused.
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let user = app.user_token("ann@acme.io").await;
    let res = app.get(&format!("{USERS}/active")).bearer(&user).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    assert_eq!(res.error(), "Failed to verify vendor JWT");
}
