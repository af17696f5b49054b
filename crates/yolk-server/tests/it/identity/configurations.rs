//! identity.json tag Core settings (`/resources/configurations/v1`): the stored configuration and its effect on
//! signup and login.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::roles_support::{claims, create_permission, create_role, login_claims, set_permissions, uuid};
use crate::support::{CLIENT_ID, PASSWORD, TestApp, assert_error};

const CONFIG: &str = "/identity/resources/configurations/v1";
const BASIC: &str = "/identity/resources/configurations/v1/basic";
const SIGNUP: &str = "/identity/resources/users/v1/signUp";
const LOGIN: &str = "/identity/resources/auth/v1/user";
const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";

async fn configure(app: &TestApp, vt: &str, body: Value) -> Value {
    let res = app.post(CONFIG).bearer(vt).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

#[tokio::test]
async fn the_configuration_carries_the_public_key_and_the_defaults() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    // The Python SDK asks with a trailing slash and x-access-token.
    let res = app.get(&format!("{CONFIG}/")).access_token(&vt).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let c = &res.body;
    assert!(c["publicKey"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(c["id"], CLIENT_ID);
    assert_eq!(c["jwtAlgorithm"], "RS256");
    assert_eq!(c["jwtSecret"], "");
    assert_eq!(c["defaultTokenExpiration"], 300);
    assert!(c["defaultRefreshTokenExpiration"].as_i64().unwrap() > 300);
    assert_eq!(c["cookieSameSite"], "LAX");
    assert_eq!(c["allowSignups"], true);
    assert_eq!(c["addRolesToJwt"], true);
    assert_eq!(c["refreshTokensRotationLimit"], 0);

    let basic = app.get(BASIC).bearer(&vt).send().await;
    assert_eq!(basic.status, StatusCode::OK, "{}", basic.text);
    assert_eq!(basic.body, json!({ "forcePermissions": false, "machineToMachineAuthStrategy": "ClientCredentials" }));
}

#[tokio::test]
async fn configuration_routes_require_an_environment_token() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let user = app.user_token("ann@acme.io").await;
    for (method, path) in [(Method::GET, CONFIG), (Method::POST, CONFIG), (Method::GET, BASIC)] {
        let body = json!({ "allowSignups": false });
        assert_error(&app.request(method.clone(), path).json(body.clone()).send().await, StatusCode::UNAUTHORIZED);
        let res = app.request(method.clone(), path).bearer(&user).json(body).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
        assert_eq!(res.error(), "Failed to verify vendor JWT");
    }
    let vt = app.vendor_token().await;
    assert_eq!(app.get(CONFIG).bearer(&vt).send().await.body["allowSignups"], true);
}

#[tokio::test]
async fn post_merges_the_given_fields_into_the_stored_configuration() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let first = configure(&app, &vt, json!({ "allowSignups": false, "defaultTokenExpiration": 900 })).await;
    assert_eq!(first["allowSignups"], false);
    assert_eq!(first["defaultTokenExpiration"], 900);
    assert!(first["publicKey"].is_string());
    let second = configure(
        &app,
        &vt,
        json!({ "cookieSameSite": "STRICT", "machineToMachineAuthStrategy": "AccessToken", "forcePermissions": true,
                "jwtAlgorithm": "RS256", "skipTenantValidation": true }),
    )
    .await;
    assert_eq!(second["allowSignups"], false);
    assert_eq!(second["defaultTokenExpiration"], 900);
    assert_eq!(second["cookieSameSite"], "STRICT");
    let stored = app.get(CONFIG).bearer(&vt).send().await.body;
    assert_eq!(stored, second);
    let basic = app.get(BASIC).bearer(&vt).send().await;
    assert_eq!(basic.body, json!({ "forcePermissions": true, "machineToMachineAuthStrategy": "AccessToken" }));
}

#[tokio::test]
async fn invalid_settings_are_refused_and_nothing_changes() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let before = app.get(CONFIG).bearer(&vt).send().await.body;
    let res = app.post(CONFIG).bearer(&vt).json(json!({ "allowSignups": false, "jwtAlgorithm": "HS256" })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("RS256"), "{}", res.text);
    for body in [
        json!({ "jwtAlgorithm": "none" }),
        json!({ "cookieSameSite": "lax" }),
        json!({ "authStrategy": "Telepathy" }),
        json!({ "machineToMachineAuthStrategy": "Magic" }),
        json!({ "defaultTokenExpiration": 0 }),
        json!({ "defaultTokenExpiration": -5 }),
        json!({ "defaultTokenExpiration": 1.5 }),
        json!({ "defaultTokenExpiration": "300" }),
        json!({ "defaultRefreshTokenExpiration": 15_552_001 }),
        json!({ "defaultPasswordlessTokenExpiration": 0 }),
        json!({ "allowSignups": "no" }),
        json!([]),
    ] {
        let res = app.post(CONFIG).bearer(&vt).json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_error(&app.post(CONFIG).bearer(&vt).raw("{", "application/json").send().await, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(CONFIG).bearer(&vt).send().await.body, before);
}

#[tokio::test]
async fn token_lifetimes_govern_login_and_refresh() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    configure(&app, &vt, json!({ "defaultTokenExpiration": 120, "defaultRefreshTokenExpiration": 600 })).await;

    let login = app.login("ann@acme.io").await;
    assert_eq!(login.body["expiresIn"], 120);
    let c = claims(login.body["accessToken"].as_str().unwrap());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);

    // The session lives 600 s: a refresh after 500 s works, one after another 601 s does not.
    let token = login.body["refreshToken"].as_str().unwrap().to_owned();
    app.clock.advance_secs(500);
    let res = app.post(REFRESH).json(json!({ "refreshToken": token })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["expiresIn"], 120);
    let token = res.body["refreshToken"].as_str().unwrap().to_owned();
    app.clock.advance_secs(101);
    assert_error(&app.post(REFRESH).json(json!({ "refreshToken": token })).send().await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn allow_signups_governs_sign_up() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    configure(&app, &vt, json!({ "allowSignups": false })).await;
    let body = json!({ "email": "new@acme.io", "password": PASSWORD, "companyName": "Acme" });
    let res = app.post(SIGNUP).json(body.clone()).send().await;
    assert_error(&res, StatusCode::FORBIDDEN);
    assert!(app.store.get_user_by_email("new@acme.io").await.is_err());

    configure(&app, &vt, json!({ "allowSignups": true })).await;
    let res = app.post(SIGNUP).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

#[tokio::test]
async fn unverified_users_are_refused_when_the_environment_says_so() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    configure(&app, &vt, json!({ "allowNotVerifiedUsersLogin": false })).await;
    let res = app
        .post(SIGNUP)
        .json(json!({ "email": "new@acme.io", "password": PASSWORD, "companyName": "Acme" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["shouldActivate"], true);
    assert!(res.body.get("authResponse").is_none(), "{}", res.text);
    let login = app.post(LOGIN).json(json!({ "email": "new@acme.io", "password": PASSWORD })).send().await;
    assert_error(&login, StatusCode::UNAUTHORIZED);

    configure(&app, &vt, json!({ "allowNotVerifiedUsersLogin": true })).await;
    let login = app.post(LOGIN).json(json!({ "email": "new@acme.io", "password": PASSWORD })).send().await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
}

#[tokio::test]
async fn roles_and_permissions_in_the_token_can_be_switched_off() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let perm = create_permission(&app, &vt, "reports.read").await;
    let role = create_role(&app, &vt, "admin", None).await;
    set_permissions(&app, &vt, &role, &[&perm]).await;
    app.seed_user("ann@acme.io", &tenant, &[uuid(&role)]).await;

    configure(&app, &vt, json!({ "addRolesToJwt": false })).await;
    let c = login_claims(&app, "ann@acme.io").await;
    assert_eq!((c["roles"].clone(), c["permissions"].clone()), (json!([]), json!(["reports.read"])));
    configure(&app, &vt, json!({ "addRolesToJwt": true, "addPermissionsToJwt": false })).await;
    let c = login_claims(&app, "ann@acme.io").await;
    assert_eq!((c["roles"].clone(), c["permissions"].clone()), (json!(["admin"]), json!([])));
}

#[tokio::test]
async fn a_configuration_change_applies_at_once_on_its_node_and_within_the_cache_ttl_on_the_others() {
    // Each node caches the vendor configuration it enforces for the access cache's TTL (2 s by default).
    const TTL_SECS: i64 = 2;
    let a = TestApp::new().await;
    let b = a.second_node().await;
    let tenant = a.seed_tenant("acme").await;
    a.seed_user("ann@acme.io", &tenant, &[]).await;
    async fn expires_in(node: &TestApp) -> Value {
        node.login("ann@acme.io").await.body["expiresIn"].clone()
    }
    assert_eq!(expires_in(&a).await, 300);
    assert_eq!(expires_in(&b).await, 300);

    let vt = b.vendor_token().await;
    configure(&b, &vt, json!({ "defaultTokenExpiration": 120 })).await;
    assert_eq!(expires_in(&b).await, 120, "the node that made the change enforces it at once");
    // The other node answers from its reading (no store query per login or refresh) until it is TTL old...
    a.clock.advance_secs(TTL_SECS - 1);
    assert_eq!(expires_in(&a).await, 300);
    // ...then reads the configuration again.
    a.clock.advance_secs(1);
    assert_eq!(expires_in(&a).await, 120, "another node within the TTL");
}
