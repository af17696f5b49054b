//! identity.json tag General: login, refresh, logout, sign-up.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};
use yolk_store::tenants::TenantQuery;

use crate::support::{CLIENT_ID, PASSWORD, TestApp, assert_error, claims};

const LOGIN: &str = "/identity/resources/auth/v1/user";
const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
const LOGOUT: &str = "/identity/resources/auth/v1/logout";

fn cookie_name() -> String {
    format!("fe_refresh_{}", CLIENT_ID.replace('-', ""))
}

/// `name=value` of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn password_login_issues_a_user_token_with_frontegg_claims_and_a_refresh_cookie() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    let role_id = app.seed_role("admin", None, false, &["reports.read"]).await;
    let user_id = app.seed_user("Ann@Acme.io", &tenant, &[role_id]).await;

    let res = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": PASSWORD })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["mfaRequired"], false);
    assert_eq!(res.body["tokenType"], "bearer");
    assert_eq!(res.body["expiresIn"], 300);
    assert!(res.body["refreshToken"].as_str().is_some_and(|t| t.len() >= 43));
    let c = claims(res.body["accessToken"].as_str().unwrap());
    assert_eq!(c["sub"], user_id.to_string());
    assert_eq!(c["email"], "Ann@Acme.io");
    assert_eq!(c["type"], "userToken");
    assert_eq!(c["tenantId"], tenant);
    assert_eq!(c["tenantIds"], json!([tenant]));
    assert_eq!(c["roles"], json!(["admin"]));
    assert_eq!(c["permissions"], json!(["reports.read"]));
    assert_eq!(c["applicationId"], CLIENT_ID);
    assert_eq!(c["aud"], CLIENT_ID);
    assert!(c["metadata"].is_object());
    assert!(c["sid"].is_string() && c["iss"].is_string());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(res.body["accessToken"].as_str().unwrap().split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], yolk_testkit::signing_key().kid);

    let set_cookie = res.cookie(&cookie_name()).expect("refresh cookie");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("Path=/"), "{set_cookie}");
    assert_eq!(cookie_pair(&set_cookie), format!("{}={}", cookie_name(), res.body["refreshToken"].as_str().unwrap()));
}

#[tokio::test]
async fn a_token_carries_the_roles_and_permissions_of_its_own_tenant_and_the_tenants_that_admit_the_user() {
    let app = TestApp::new().await;
    let [a, b, off, invited] = [
        app.seed_tenant("a").await,
        app.seed_tenant("b").await,
        app.seed_tenant("off").await,
        app.seed_tenant("inv").await,
    ];
    let admin = app.seed_role("admin", None, false, &["reports.write", "reports.read"]).await;
    let bare = app.seed_role("bare", None, false, &[]).await;
    let viewer = app.seed_role("viewer", Some(&b), false, &["reports.read", "docs.read"]).await;
    let also = app.seed_role("also", Some(&b), false, &["docs.read"]).await;
    let user = app.seed_user("ann@acme.io", &a, &[admin, bare]).await;
    app.add_member(user, &b, &[viewer, also]).await;
    app.add_member(user, &off, &[admin]).await;
    let now = chrono::Utc::now();
    app.store.set_membership_disabled(user, &crate::support::tenant(&off), true, now).await.unwrap();
    app.store.invite_member(user, &crate::support::tenant(&invited), &[admin], now).await.unwrap();
    let sorted = |v: &Value| {
        let mut ids: Vec<String> = v.as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    let mut admitting = vec![a.clone(), b.clone()];
    admitting.sort();

    // Login: the active tenant's roles and permissions (sorted, distinct); a role without permissions counts.
    let res = app.login("ann@acme.io").await;
    let c = claims(res.body["accessToken"].as_str().unwrap());
    assert_eq!(c["tenantId"], a);
    assert_eq!(sorted(&c["tenantIds"]), admitting, "neither the disabled nor the pending membership");
    assert_eq!(c["roles"], json!(["admin", "bare"]));
    assert_eq!(c["permissions"], json!(["reports.read", "reports.write"]));

    // After a switch of the active tenant, the refresh carries the other tenant's, and only those.
    app.store.set_active_tenant(user, &crate::support::tenant(&b), None, &[], now).await.unwrap();
    let refresh = res.body["refreshToken"].as_str().unwrap();
    let res = app.post(REFRESH).json(json!({ "refreshToken": refresh })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let c = claims(res.body["accessToken"].as_str().unwrap());
    assert_eq!(c["tenantId"], b);
    assert_eq!(sorted(&c["tenantIds"]), admitting);
    assert_eq!(c["roles"], json!(["also", "viewer"]));
    assert_eq!(c["permissions"], json!(["docs.read", "reports.read"]));
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let wrong = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": "nope-nope" })).send().await;
    let unknown = app.post(LOGIN).json(json!({ "email": "bob@acme.io", "password": "nope-nope" })).send().await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn login_rejects_bad_input_with_400() {
    let app = TestApp::new().await;
    for body in [json!({ "password": "x" }), json!({ "email": "a@b.io" }), json!({ "email": 5, "password": "x" })] {
        let res = app.post(LOGIN).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.post(LOGIN).raw("", "application/json").send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn locked_user_cannot_log_in() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    let id = app.seed_user("ann@acme.io", &tenant, &[]).await;
    app.store
        .update_user(
            id,
            Box::new(|u| {
                u.locked = true;
                Ok(())
            }),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let res = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": PASSWORD })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_rotates_by_cookie_or_body_and_the_old_token_is_refused() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let login = app.login("ann@acme.io").await;
    let first = login.body["refreshToken"].as_str().unwrap().to_owned();

    // Browser style: cookie only, `{"tenantId": null}` body, through /frontegg.
    let res = app
        .post(&format!("/frontegg{REFRESH}"))
        .header("cookie", &format!("other=1; {}={first}", cookie_name()))
        .json(json!({ "tenantId": null }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let second = res.body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(res.cookie(&cookie_name()).unwrap().contains(&second));
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["tenantId"], tenant);

    // Mobile style: token in the body.
    let res = app.post(REFRESH).json(json!({ "refreshToken": second })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let third = res.body["refreshToken"].as_str().unwrap().to_owned();

    // The cookie name with only the first dash removed is accepted too (iOS, nextjs rewrite).
    let one_dash = format!("fe_refresh_{}", CLIENT_ID.replacen('-', "", 1));
    let res = app.post(REFRESH).header("cookie", &format!("{one_dash}={third}")).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let fourth = res.body["refreshToken"].as_str().unwrap().to_owned();

    // Reusing a rotated token fails and revokes the whole session: the current token dies too.
    let res = app.post(REFRESH).json(json!({ "refreshToken": first })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.post(REFRESH).json(json!({ "refreshToken": fourth })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_without_or_with_unknown_token_is_401() {
    let app = TestApp::new().await;
    let res = app.post(REFRESH).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    let res = app.post(REFRESH).json(json!({ "refreshToken": "made-up" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_without_body_revokes_the_cookie_session_and_clears_the_cookie() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let login = app.login("ann@acme.io").await;
    let token = login.body["refreshToken"].as_str().unwrap().to_owned();
    let res = app
        .post(&format!("/frontegg{LOGOUT}"))
        .header("content-type", "application/json")
        .header("cookie", &format!("{}={token}", cookie_name()))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    assert!(res.text.is_empty());
    assert!(res.cookie(&cookie_name()).unwrap().contains("Max-Age=0"));
    let res = app.post(REFRESH).json(json!({ "refreshToken": token })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_with_body_token_or_access_token_revokes_the_session() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let a = app.login("ann@acme.io").await;
    let res = app.post(LOGOUT).json(json!({ "refreshToken": a.body["refreshToken"] })).send().await;
    assert!(res.status.is_success());
    let res = app.post(REFRESH).json(json!({ "refreshToken": a.body["refreshToken"] })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);

    let b = app.login("ann@acme.io").await;
    let res = app.post(LOGOUT).bearer(b.body["accessToken"].as_str().unwrap()).send().await;
    assert!(res.status.is_success());
    let res = app.post(REFRESH).json(json!({ "refreshToken": b.body["refreshToken"] })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tampered_expired_and_hs256_tokens_are_refused() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let token = app.user_token("ann@acme.io").await;
    assert!(app.state.services.tokens.verify_user_token(&token).is_ok());

    // Tampered payload, original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut c = claims(&token);
    c["roles"] = json!(["admin"]);
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string());
    assert!(app.state.services.tokens.verify_user_token(&format!("{}.{forged}.{}", parts[0], parts[2])).is_err());

    // Algorithm confusion: HS256 signed with the public key as the secret.
    let pem = yolk_testkit::signing_key().public_pem;
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(&token),
        &jsonwebtoken::EncodingKey::from_secret(pem.as_bytes()),
    );
    if let Ok(hs) = hs {
        assert!(app.state.services.tokens.verify_user_token(&hs).is_err());
    }

    // Expired: issued ten minutes ago with a five-minute lifetime.
    app.clock.advance_secs(-600);
    let old = app.user_token("ann@acme.io").await;
    let err = app.state.services.tokens.verify_user_token(&old).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

/// By default (as in Frontegg) a new account must prove its email first: sign-up starts no session, and the
/// password alone does not log in.
#[tokio::test]
async fn sign_up_by_default_asks_for_activation_and_starts_no_session() {
    let app = TestApp::new().await;
    let res = app
        .post("/identity/resources/users/v1/signUp")
        .json(json!({ "email": "new@corp.io", "password": "Passw0rd!", "companyName": "Corp" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["shouldActivate"], true);
    assert!(res.body.get("authResponse").is_none_or(Value::is_null), "{}", res.text);
    assert!(res.cookie(&cookie_name()).is_none());
    let res = app.post(LOGIN).json(json!({ "email": "new@corp.io", "password": "Passw0rd!" })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_up_creates_tenant_and_user_who_can_then_log_in() {
    let app = TestApp::new().await;
    set_config(&app, json!({ "allowNotVerifiedUsersLogin": true })).await;
    let res = app
        .post("/frontegg/identity/resources/users/v1/signUp")
        .json(json!({ "email": "new@corp.io", "password": "Passw0rd!", "name": "New", "companyName": "Corp",
                      "metadata": "{\"plan\":\"free\"}" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["shouldActivate"], false);
    let tenant_id = res.body["tenantId"].as_str().unwrap();
    let c = claims(res.body["authResponse"]["accessToken"].as_str().unwrap());
    assert_eq!(c["tenantId"], tenant_id);
    assert_eq!(c["metadata"]["plan"], "free");
    assert!(res.cookie(&cookie_name()).is_some());
    let tenant = app.store.get_tenant(&crate::support::tenant(tenant_id)).await.unwrap();
    assert_eq!(tenant.name, "Corp");
    let res = app.post(LOGIN).json(json!({ "email": "NEW@corp.io", "password": "Passw0rd!" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn sign_up_with_a_taken_email_is_409_and_creates_no_tenant() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let before = app.store.list_tenants(&TenantQuery::default()).await.unwrap().1;
    let res = app
        .post("/identity/resources/users/v1/signUp")
        .json(json!({ "email": "ANN@acme.io", "password": "Passw0rd!", "companyName": "Dup" }))
        .send()
        .await;
    assert_error(&res, StatusCode::CONFLICT);
    assert_eq!(app.store.list_tenants(&TenantQuery::default()).await.unwrap().1, before);
}

#[tokio::test]
async fn sign_up_validates_email_password_and_company() {
    let app = TestApp::new().await;
    for body in [
        json!({ "email": "not-an-email", "password": "Passw0rd!", "companyName": "C" }),
        json!({ "email": "a@b.io", "password": "123", "companyName": "C" }),
        json!({ "email": "a@b.io", "password": "Passw0rd!" }),
    ] {
        let res = app.post("/identity/resources/users/v1/signUp").json(body.clone()).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    assert_eq!(app.store.list_tenants(&TenantQuery::default()).await.unwrap().1, 0);
}

#[tokio::test]
async fn sign_up_with_username_then_login_by_username() {
    let app = TestApp::new().await;
    set_config(&app, json!({ "allowNotVerifiedUsersLogin": true })).await;
    let res = app
        .post("/identity/resources/users/v1/signUp/username")
        .json(json!({ "username": "neo.anderson", "password": "Passw0rd!", "companyName": "Matrix" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.post(LOGIN).json(json!({ "username": "neo.anderson", "password": "Passw0rd!" })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .post("/identity/resources/users/v1/signUp/username")
        .json(json!({ "username": "bad name!", "password": "Passw0rd!", "companyName": "M" }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn disabled_sign_up_and_unverified_login_policies_are_enforced() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&vt)
        .json(json!({ "allowSignups": false, "allowNotVerifiedUsersLogin": false }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app
        .post("/identity/resources/users/v1/signUp")
        .json(json!({ "email": "a@b.io", "password": "Passw0rd!", "companyName": "C" }))
        .send()
        .await;
    assert_error(&res, StatusCode::FORBIDDEN);

    let tenant = app.seed_tenant("acme").await;
    let id = app.seed_user("ann@acme.io", &tenant, &[]).await;
    app.store
        .update_user(
            id,
            Box::new(|u| {
                u.verified = false;
                Ok(())
            }),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let res = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": PASSWORD })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

async fn set_config(app: &TestApp, body: Value) {
    let token = app.vendor_token().await;
    let res = app.post("/identity/resources/configurations/v1").access_token(&token).json(body).send().await;
    assert!(res.status.is_success(), "{}", res.text);
}

#[tokio::test]
async fn refresh_cookie_follows_cookie_same_site_and_the_session_lifetime() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let cookie = app.login("ann@acme.io").await.cookie(&cookie_name()).unwrap();
    assert!(cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");

    set_config(&app, json!({ "cookieSameSite": "NONE", "defaultRefreshTokenExpiration": 3600 })).await;
    let cookie = app.login("ann@acme.io").await.cookie(&cookie_name()).unwrap();
    assert!(cookie.contains("SameSite=None; Secure"), "None needs Secure: {cookie}");
    assert!(cookie.contains("Max-Age=3600"), "{cookie}");

    set_config(&app, json!({ "cookieSameSite": "STRICT" })).await;
    let login = app.login("ann@acme.io").await;
    assert!(login.cookie(&cookie_name()).unwrap().contains("SameSite=Strict"));
    // A refresh does not extend the session: the cookie lives as long as what is left of it.
    app.clock.advance_secs(600);
    let res = app.post(REFRESH).json(json!({ "refreshToken": login.body["refreshToken"] })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(res.cookie(&cookie_name()).unwrap().contains("Max-Age=3000"), "{:?}", res.cookie(&cookie_name()));
}

#[tokio::test]
async fn with_rotation_disabled_the_refresh_token_stays_valid() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    set_config(&app, json!({ "rotateRefreshTokens": false })).await;
    let token = app.login("ann@acme.io").await.body["refreshToken"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        let res = app.post(REFRESH).json(json!({ "refreshToken": token })).send().await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["refreshToken"], token.as_str());
    }
    // Logout still ends it.
    app.post(LOGOUT).json(json!({ "refreshToken": token })).send().await;
    let res = app.post(REFRESH).json(json!({ "refreshToken": token })).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn concurrent_configuration_updates_lose_nothing() {
    let app = TestApp::new().await;
    let token = app.vendor_token().await;
    let bodies = [
        json!({ "defaultTokenExpiration": 120 }),
        json!({ "allowSignups": false }),
        json!({ "cookieSameSite": "STRICT" }),
        json!({ "addRolesToJwt": false }),
        json!({ "rotateRefreshTokens": false }),
        json!({ "forcePermissions": true }),
    ];
    let sends = bodies
        .iter()
        .map(|b| app.post("/identity/resources/configurations/v1").access_token(&token).json(b.clone()).send());
    for res in futures::future::join_all(sends).await {
        assert!(res.status.is_success(), "{}", res.text);
    }
    let res = app.get("/identity/resources/configurations/v1").access_token(&token).send().await;
    let c = &res.body;
    assert_eq!(c["defaultTokenExpiration"], 120);
    assert_eq!(c["allowSignups"], false);
    assert_eq!(c["cookieSameSite"], "STRICT");
    assert_eq!(c["addRolesToJwt"], false);
    assert_eq!(c["rotateRefreshTokens"], false);
    assert_eq!(c["forcePermissions"], true);
}
