//! The browser SDK's page load (`shared/BROWSER-SDK.md`): every call answers 200 without a token, under
//! `/frontegg` too, in the SDK's shapes, and the public configuration follows the vendor configuration.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn every_page_load_call_answers_without_a_token_in_the_sdks_shapes() {
    let app = TestApp::new().await;
    let expect = [
        ("/flags", json!({})),
        ("/metadata?entityName=adminBox", json!({"rows": [{"configuration": {}}]})),
        (
            "/metadata?entityName=saml",
            json!({"rows": [{"configuration": {
                "acsUrl": "http://127.0.0.1:8080/auth/saml/callback", "spEntityId": "http://127.0.0.1:8080"
            }}]}),
        ),
        ("/vendors/public", json!({"name": "yolk", "logo": "", "icon": "", "whiteLabelMode": false})),
        ("/identity/resources/sso/v2", json!([])),
        ("/identity/resources/sso/custom/v1", json!({"providers": []})),
        ("/team/resources/sso/v2/configurations/public", json!({"isActive": false})),
        (
            "/identity/resources/configurations/v1/sign-up/strategies",
            json!([{"strategy": "email", "isActive": true, "isRequired": true}]),
        ),
        (
            "/identity/resources/configurations/v1/auth/strategies/public",
            json!({"mainAuthStrategies": [{"strategy": "EmailAndPassword"}], "secondaryAuthStrategies": []}),
        ),
    ];
    for (path, body) in expect {
        for prefix in ["", "/frontegg"] {
            let res = app.get(&format!("{prefix}{path}")).send().await;
            assert_eq!(res.status, StatusCode::OK, "{prefix}{path}: {}", res.body);
            assert_eq!(res.body, body, "{prefix}{path}");
        }
    }
    let res = app.get("/frontegg/identity/resources/configurations/v1/public").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.body,
        json!({
            "allowSignups": true,
            "allowNotVerifiedUsersLogin": false,
            "apiTokensEnabled": true,
            "forcePermissions": false,
            "authStrategy": "EmailAndPassword",
            "machineToMachineAuthStrategy": "ClientCredentials",
        })
    );
}

/// What the login box shows follows the environment's configuration at once (on the node that changed it).
#[tokio::test]
async fn the_public_configuration_follows_the_vendor_configuration() {
    let app = TestApp::new().await;
    let token = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&token)
        .json(json!({"allowSignups": false, "authStrategy": "MagicLink"}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let res = app.get("/identity/resources/configurations/v1/public").send().await;
    assert_eq!(res.body["allowSignups"], false);
    assert_eq!(res.body["authStrategy"], "MagicLink");
    let res = app.get("/identity/resources/configurations/v1/auth/strategies/public").send().await;
    assert_eq!(res.body["mainAuthStrategies"], json!([{"strategy": "MagicLink"}]));
}
