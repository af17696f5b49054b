//! The SCIM 2.0 service: token → connection → tenant, Users and Groups with their side effects in the tenant,
//! SCIM error bodies, filters and paging, and the attacks the token scoping stops.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use yolk_domain::UserId;

use super::{SCIM, connection, create_scim_user, scim_user, tenant_emails};
use crate::support::{PASSWORD, TestApp, TestResponse};

#[track_caller]
fn assert_scim_error(res: &TestResponse, status: StatusCode, scim_type: Option<&str>) {
    assert_eq!(res.status, status, "{}", res.text);
    assert_eq!(res.body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]), "{}", res.text);
    assert_eq!(res.body["status"], status.as_u16().to_string());
    assert!(res.body["detail"].is_string());
    if let Some(t) = scim_type {
        assert_eq!(res.body["scimType"], t, "{}", res.text);
    }
    assert_eq!(res.headers[header::CONTENT_TYPE], "application/scim+json");
}

fn patch(ops: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
}

/// A password for a provisioned user (so it can sign in), set through the store.
async fn give_password(app: &TestApp, id: &str) {
    let hash = app.state.services.passwords.hash(PASSWORD).await.unwrap();
    app.store.change_password(UserId::parse(id).unwrap(), &hash, None, chrono::Utc::now()).await.unwrap();
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get("/identity/resources/users/v2/me").bearer(token).send().await.status
}

#[tokio::test]
async fn a_missing_unknown_or_deleted_token_is_a_scim_401() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let res = app.get(&format!("{SCIM}/Users")).send().await;
    assert_scim_error(&res, StatusCode::UNAUTHORIZED, None);
    assert_eq!(res.headers[header::WWW_AUTHENTICATE], "Bearer");
    let res = app.get(&format!("{SCIM}/Users")).bearer("not-a-token").send().await;
    assert_scim_error(&res, StatusCode::UNAUTHORIZED, None);
    // The environment's own token is not a SCIM token either.
    let res = app.post(&format!("{SCIM}/Users")).bearer(&vendor).json(scim_user("x", "x@acme.io")).send().await;
    assert_scim_error(&res, StatusCode::UNAUTHORIZED, None);
    let (id, token) = connection(&app, &vendor, &t, true).await;
    assert_eq!(app.get(&format!("{SCIM}/Users")).bearer(&token).send().await.status, StatusCode::OK);
    app.delete(&format!("{}/{id}", super::CONFIGS)).bearer(&vendor).send().await;
    let res = app.get(&format!("{SCIM}/Users")).bearer(&token).send().await;
    assert_scim_error(&res, StatusCode::UNAUTHORIZED, None);
    assert!(tenant_emails(&app, &vendor, &t).await.is_empty());
}

#[tokio::test]
async fn discovery_endpoints_answer_scim_json() {
    let app = TestApp::new().await;
    for path in ["ServiceProviderConfig", "Schemas", "ResourceTypes", "ResourceTypes/User"] {
        let res = app.get(&format!("/frontegg{SCIM}/{path}")).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert_eq!(res.headers[header::CONTENT_TYPE], "application/scim+json");
    }
    let res = app.get(&format!("{SCIM}/ServiceProviderConfig")).send().await;
    assert_eq!(res.body["patch"]["supported"], true);
    assert_eq!(res.body["filter"]["maxResults"], 200);
    let res = app.get(&format!("{SCIM}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).send().await;
    assert_eq!(res.body["name"], "User");
    assert_scim_error(&app.get(&format!("{SCIM}/ResourceTypes/Nope")).send().await, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn a_created_user_is_a_member_of_the_tenant_and_reads_back() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let res =
        app.post(&format!("{SCIM}/Users")).bearer(&token).json(scim_user("ann@acme.io", "Ann@Acme.io")).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.headers[header::CONTENT_TYPE], "application/scim+json");
    let id = res.body["id"].as_str().unwrap().to_owned();
    assert_eq!(res.body["userName"], "ann@acme.io");
    assert_eq!(res.body["externalId"], "ext-ann@acme.io");
    assert_eq!(res.body["active"], true);
    assert_eq!(res.body["name"]["givenName"], "Ann");
    assert_eq!(res.body["emails"][0]["value"], "Ann@Acme.io");
    assert_eq!(res.body["meta"]["resourceType"], "User");
    assert!(res.headers[header::LOCATION].to_str().unwrap().ends_with(&format!("/Users/{id}")));

    // The tenant's users list shows it: a yolk user with the same id, no password, provider scim2.
    assert_eq!(tenant_emails(&app, &vendor, &t).await, ["Ann@Acme.io"]);
    let user = app.store.get_user(UserId::parse(&id).unwrap()).await.unwrap();
    assert_eq!(user.provider, "scim2");
    assert_eq!(user.name.as_deref(), Some("Ann Lee"));
    assert!(user.verified);

    let res = app.get(&format!("{SCIM}/Users/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["id"], id.as_str());
    let res = app.get(&format!("{SCIM}/Users/{id}?attributes=userName")).bearer(&token).send().await;
    assert!(res.body.get("emails").is_none() && res.body["userName"] == "ann@acme.io", "{}", res.text);
}

#[tokio::test]
async fn bad_user_input_is_a_scim_400_or_409_and_changes_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let users = format!("{SCIM}/Users");
    let res = app.post(&users).bearer(&token).raw("{\"userName\":", "application/scim+json").send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    for body in [
        json!({ "emails": [{ "value": "a@acme.io" }] }),
        json!({ "userName": 7 }),
        json!({ "userName": "a", "active": "maybe" }),
        json!({ "userName": "a", "emails": "a@acme.io" }),
        json!({ "userName": "a", "emails": [{ "value": "not-an-email", "primary": true }] }),
        json!([1, 2]),
    ] {
        let res = app.post(&users).bearer(&token).json(body.clone()).send().await;
        assert_scim_error(&res, StatusCode::BAD_REQUEST, None);
    }
    create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    // userName is unique in the connection, case-insensitively.
    let res = app.post(&users).bearer(&token).json(scim_user("ANN", "other@acme.io")).send().await;
    assert_scim_error(&res, StatusCode::CONFLICT, Some("uniqueness"));
    // An email another yolk user holds.
    let res = app.post(&users).bearer(&token).json(scim_user("ann2", "ann@acme.io")).send().await;
    assert_scim_error(&res, StatusCode::CONFLICT, Some("uniqueness"));
    assert_eq!(tenant_emails(&app, &vendor, &t).await, ["ann@acme.io"]);
    let res = app.get(&users).bearer(&token).send().await;
    assert_eq!(res.body["totalResults"], 1);
    // Unknown ids.
    for id in ["nope", &UserId::new().to_string()] {
        assert_scim_error(&app.get(&format!("{users}/{id}")).bearer(&token).send().await, StatusCode::NOT_FOUND, None);
        let res = app.delete(&format!("{users}/{id}")).bearer(&token).send().await;
        assert_scim_error(&res, StatusCode::NOT_FOUND, None);
        let res = app
            .patch(&format!("{users}/{id}"))
            .bearer(&token)
            .json(patch(json!([{"op": "replace", "path": "active", "value": false}])))
            .send()
            .await;
        assert_scim_error(&res, StatusCode::NOT_FOUND, None);
    }
}

#[tokio::test]
async fn filters_and_paging() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    for n in ["ann", "bob", "carl", "dana", "eve"] {
        create_scim_user(&app, &token, n, &format!("{n}@acme.io")).await;
    }
    let list = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        let token = token.clone();
        async move {
            let res = app.get(&format!("{SCIM}/Users?{q}")).bearer(&token).send().await;
            assert_eq!(res.status, StatusCode::OK, "{q}: {}", res.text);
            res
        }
    };
    let names = |res: &TestResponse| -> Vec<String> {
        res.body["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap().to_owned()).collect()
    };
    let enc = |f: &str| url_encode(f);
    let res = list(&format!("filter={}", enc(r#"userName eq "BOB""#))).await;
    assert_eq!(names(&res), ["bob"]);
    assert_eq!(res.body["totalResults"], 1);
    assert_eq!(names(&list(&format!("filter={}", enc(r#"externalId eq "ext-carl""#))).await), ["carl"]);
    assert_eq!(
        names(&list(&format!("filter={}", enc(r#"emails[type eq "work"].value eq "dana@acme.io""#))).await),
        ["dana"]
    );
    assert_eq!(names(&list(&format!("filter={}", enc(r#"emails.value co "eve@""#))).await), ["eve"]);
    assert_eq!(
        names(&list(&format!("filter={}", enc(r#"userName sw "a" or userName eq "eve""#))).await),
        ["ann", "eve"]
    );
    assert_eq!(names(&list(&format!("filter={}", enc(r#"userName sw "a" and active eq true"#))).await), ["ann"]);
    assert!(names(&list(&format!("filter={}", enc(r#"userName eq "nobody""#))).await).is_empty());
    // Paging: 1-based startIndex, count, totalResults of everything.
    let res = list("startIndex=2&count=2").await;
    assert_eq!(names(&res), ["bob", "carl"]);
    assert_eq!(res.body["totalResults"], 5);
    assert_eq!(res.body["startIndex"], 2);
    assert_eq!(res.body["itemsPerPage"], 2);
    let res = list("count=0").await;
    assert_eq!(res.body["totalResults"], 5);
    assert!(names(&res).is_empty());
    assert_eq!(names(&list("startIndex=0&count=1").await), ["ann"]);
    // Bad filters.
    for bad in [r#"userName eq"#, r#"password eq "x""#, r#"userName xx "a""#, "(((", r#"active eq "yes""#] {
        let res = app.get(&format!("{SCIM}/Users?filter={}", enc(bad))).bearer(&token).send().await;
        assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    }
    let deep = format!("{}userName eq \"a\"{}", "(".repeat(500), ")".repeat(500));
    let res = app.get(&format!("{SCIM}/Users?filter={}", enc(&deep))).bearer(&token).send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    let res = app.get(&format!("{SCIM}/Users?count=abc")).bearer(&token).send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, None);
}

fn url_encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn deactivation_ends_the_users_sessions_and_reactivation_lets_it_back() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let id = create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    give_password(&app, &id).await;
    let session = app.user_token("ann@acme.io").await;
    assert_eq!(me(&app, &session).await, StatusCode::OK);

    // Okta: replace without a path.
    let res = app
        .patch(&format!("{SCIM}/Users/{id}"))
        .bearer(&token)
        .json(patch(json!([{ "op": "replace", "value": { "active": false } }])))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["active"], false);
    assert_eq!(me(&app, &session).await, StatusCode::UNAUTHORIZED, "a deactivated user's token is refused");
    let login = app
        .post("/identity/resources/auth/v1/user")
        .json(json!({ "email": "ann@acme.io", "password": PASSWORD }))
        .send()
        .await;
    assert_ne!(login.status, StatusCode::OK, "nor can it sign in: {}", login.text);

    // Entra: a path and a string boolean.
    let res = app
        .patch(&format!("{SCIM}/Users/{id}"))
        .bearer(&token)
        .json(patch(json!([{ "op": "Replace", "path": "active", "value": "True" }])))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["active"], true);
    let session = app.user_token("ann@acme.io").await;
    assert_eq!(me(&app, &session).await, StatusCode::OK);

    // PUT with active: false does it too.
    let mut body = scim_user("ann", "ann@acme.io");
    body["active"] = json!(false);
    let res = app.put(&format!("{SCIM}/Users/{id}")).bearer(&token).json(body).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(me(&app, &session).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_user_provisioned_inactive_cannot_sign_in() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let mut body = scim_user("ann", "ann@acme.io");
    body["active"] = json!(false);
    let res = app.post(&format!("{SCIM}/Users")).bearer(&token).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    give_password(&app, res.body["id"].as_str().unwrap()).await;
    let login = app
        .post("/identity/resources/auth/v1/user")
        .json(json!({ "email": "ann@acme.io", "password": PASSWORD }))
        .send()
        .await;
    assert_ne!(login.status, StatusCode::OK, "{}", login.text);
}

#[tokio::test]
async fn put_replaces_and_patch_edits_attributes() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let id = create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    let other = create_scim_user(&app, &token, "bob", "bob@acme.io").await;
    let url = format!("{SCIM}/Users/{id}");
    let res = app
        .put(&url)
        .bearer(&token)
        .json(json!({ "userName": "ann.lee", "displayName": "Ann L.", "externalId": "e-2", "active": true }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["userName"], "ann.lee");
    assert!(res.body.get("emails").is_none(), "replaced whole: {}", res.text);
    assert_eq!(app.store.get_user(UserId::parse(&id).unwrap()).await.unwrap().name.as_deref(), Some("Ann L."));
    let res = app
        .patch(&url)
        .bearer(&token)
        .json(patch(json!([
            { "op": "add", "path": "emails[type eq \"work\"].value", "value": "ann.lee@acme.io" },
            { "op": "replace", "path": "name.familyName", "value": "Lee" },
            { "op": "remove", "path": "externalId" },
        ])))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["emails"][0]["value"], "ann.lee@acme.io");
    assert_eq!(res.body["name"]["familyName"], "Lee");
    assert!(res.body.get("externalId").is_none());
    // Renaming onto another user's userName: 409, nothing changes.
    let res = app
        .patch(&url)
        .bearer(&token)
        .json(patch(json!([{ "op": "replace", "path": "userName", "value": "BOB" }])))
        .send()
        .await;
    assert_scim_error(&res, StatusCode::CONFLICT, Some("uniqueness"));
    assert_eq!(app.get(&url).bearer(&token).send().await.body["userName"], "ann.lee");
    // Malformed patches.
    for body in [json!({ "Operations": [] }), patch(json!([{ "op": "jump" }])), patch(json!([{ "op": "remove" }]))] {
        let res = app.patch(&url).bearer(&token).json(body).send().await;
        assert_scim_error(&res, StatusCode::BAD_REQUEST, None);
    }
    let res = app.patch(&url).bearer(&token).raw("nope", "application/scim+json").send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    let _ = other;
}

#[tokio::test]
async fn delete_removes_the_member_from_the_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let id = create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    give_password(&app, &id).await;
    let session = app.user_token("ann@acme.io").await;
    let res = app.delete(&format!("{SCIM}/Users/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert!(tenant_emails(&app, &vendor, &t).await.is_empty());
    assert_eq!(me(&app, &session).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&format!("{SCIM}/Users/{id}")).bearer(&token).send().await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_sync_users_are_directory_records_only() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, false).await;
    let id = create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    assert!(tenant_emails(&app, &vendor, &t).await.is_empty());
    assert!(app.store.get_user(UserId::parse(&id).unwrap()).await.is_err(), "no yolk user");
    let res = app.get(&format!("{SCIM}/Users/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let res = app
        .patch(&format!("{SCIM}/Users/{id}"))
        .bearer(&token)
        .json(patch(json!([{ "op": "replace", "path": "active", "value": false }])))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.delete(&format!("{SCIM}/Users/{id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn another_connections_token_cannot_see_or_touch_a_user_or_group() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let a = app.seed_tenant("a").await;
    let b = app.seed_tenant("b").await;
    let (_, token_a) = connection(&app, &vendor, &a, true).await;
    let (_, token_b) = connection(&app, &vendor, &b, true).await;
    let id = create_scim_user(&app, &token_a, "ann", "ann@a.io").await;
    let g = app
        .post(&format!("{SCIM}/Groups"))
        .bearer(&token_a)
        .json(json!({ "displayName": "g", "members": [{ "value": id }] }))
        .send()
        .await;
    let gid = g.body["id"].as_str().unwrap().to_owned();
    let user = format!("{SCIM}/Users/{id}");
    let group = format!("{SCIM}/Groups/{gid}");
    assert_scim_error(&app.get(&user).bearer(&token_b).send().await, StatusCode::NOT_FOUND, None);
    assert_scim_error(&app.get(&group).bearer(&token_b).send().await, StatusCode::NOT_FOUND, None);
    let off = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
    assert_scim_error(&app.patch(&user).bearer(&token_b).json(off).send().await, StatusCode::NOT_FOUND, None);
    assert_scim_error(
        &app.put(&user).bearer(&token_b).json(scim_user("x", "x@b.io")).send().await,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_scim_error(&app.delete(&user).bearer(&token_b).send().await, StatusCode::NOT_FOUND, None);
    assert_scim_error(&app.delete(&group).bearer(&token_b).send().await, StatusCode::NOT_FOUND, None);
    // Its lists do not show them, even by filter.
    let res = app.get(&format!("{SCIM}/Users?filter=userName%20eq%20%22ann%22")).bearer(&token_b).send().await;
    assert_eq!(res.body["totalResults"], 0);
    let res = app.get(&format!("{SCIM}/Groups")).bearer(&token_b).send().await;
    assert_eq!(res.body["totalResults"], 0);
    // Nor can it put A's user into its own group.
    let res = app
        .post(&format!("{SCIM}/Groups"))
        .bearer(&token_b)
        .json(json!({ "displayName": "steal", "members": [{ "value": id }] }))
        .send()
        .await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidValue"));
    // A's user is untouched and still a member of A only.
    assert_eq!(app.get(&user).bearer(&token_a).send().await.body["active"], true);
    assert_eq!(tenant_emails(&app, &vendor, &a).await, ["ann@a.io"]);
    assert!(tenant_emails(&app, &vendor, &b).await.is_empty());
}

#[tokio::test]
async fn groups_crud_members_and_filters() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    let ann = create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    let bob = create_scim_user(&app, &token, "bob", "bob@acme.io").await;
    let groups = format!("{SCIM}/Groups");
    let res = app
        .post(&groups)
        .bearer(&token)
        .json(json!({ "displayName": "Admins", "externalId": "g-1", "members": [{ "value": ann }] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let gid = res.body["id"].as_str().unwrap().to_owned();
    assert_eq!(res.body["members"][0]["value"], ann.as_str());
    let url = format!("{groups}/{gid}");
    let members = |res: &TestResponse| -> Vec<String> {
        let mut m: Vec<String> =
            res.body["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect();
        m.sort();
        m
    };
    let mut both = vec![ann.clone(), bob.clone()];
    both.sort();
    // Okta adds members.
    let res = app
        .patch(&url)
        .bearer(&token)
        .json(patch(json!([{ "op": "add", "path": "members", "value": [{ "value": bob }] }])))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(members(&res), both);
    // Entra removes one by a value path, and renames.
    let res = app
        .patch(&url)
        .bearer(&token)
        .json(patch(json!([
            { "op": "Remove", "path": format!("members[value eq \"{ann}\"]") },
            { "op": "Replace", "path": "displayName", "value": "Owners" },
        ])))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(members(&res), [bob.as_str()]);
    assert_eq!(res.body["displayName"], "Owners");
    // Filter by displayName.
    let res = app.get(&format!("{groups}?filter=displayName%20eq%20%22owners%22")).bearer(&token).send().await;
    assert_eq!(res.body["totalResults"], 1, "{}", res.text);
    assert_eq!(res.body["Resources"][0]["id"], gid.as_str());
    let res = app.get(&format!("{groups}?filter=userName%20eq%20%22x%22")).bearer(&token).send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    // PUT replaces members.
    let res = app
        .put(&url)
        .bearer(&token)
        .json(json!({ "displayName": "Owners", "members": [{ "value": ann }, { "value": bob }] }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(members(&res), both);
    // A deleted user leaves its groups.
    app.delete(&format!("{SCIM}/Users/{ann}")).bearer(&token).send().await;
    assert_eq!(members(&app.get(&url).bearer(&token).send().await), [bob.as_str()]);
    // Unknown members and bad bodies.
    let res = app
        .post(&groups)
        .bearer(&token)
        .json(json!({ "displayName": "x", "members": [{ "value": "nope" }] }))
        .send()
        .await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidValue"));
    let res = app.post(&groups).bearer(&token).json(json!({ "members": [] })).send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, None);
    // Delete.
    let res = app.delete(&url).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_scim_error(&app.get(&url).bearer(&token).send().await, StatusCode::NOT_FOUND, None);
    // The group's member is still a user.
    assert_eq!(tenant_emails(&app, &vendor, &t).await, ["bob@acme.io"]);
}

#[tokio::test]
async fn unknown_endpoints_methods_and_search() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let t = app.seed_tenant("acme").await;
    let (_, token) = connection(&app, &vendor, &t, true).await;
    create_scim_user(&app, &token, "ann", "ann@acme.io").await;
    create_scim_user(&app, &token, "bob", "bob@acme.io").await;
    let res = app.post(&format!("{SCIM}/ServiceProviderConfig")).bearer(&token).json(json!({})).send().await;
    assert_scim_error(&res, StatusCode::METHOD_NOT_ALLOWED, None);
    let res = app.delete(&format!("{SCIM}/Users")).bearer(&token).send().await;
    assert_scim_error(&res, StatusCode::METHOD_NOT_ALLOWED, None);
    let res = app.get(&format!("{SCIM}/Nope/1")).bearer(&token).send().await;
    assert_scim_error(&res, StatusCode::NOT_FOUND, None);
    // POST /Users/.search takes the list's parameters as a body.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"bob\"",
        "attributes": ["userName"],
        "count": 10,
    });
    let res = app.post(&format!("{SCIM}/Users/.search")).bearer(&token).json(body).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["totalResults"], 1);
    assert_eq!(res.body["Resources"][0]["userName"], "bob");
    assert!(res.body["Resources"][0].get("emails").is_none());
    let res = app.post(&format!("{SCIM}/Users/.search")).bearer(&token).json(json!({ "filter": "(" })).send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    let res = app.post(&format!("{SCIM}/Users/.search")).bearer("wrong").json(json!({})).send().await;
    assert_scim_error(&res, StatusCode::UNAUTHORIZED, None);
    // POST /.search: every type, users then groups; a filter applies where its attribute exists.
    let g = app.post(&format!("{SCIM}/Groups")).bearer(&token).json(json!({ "displayName": "bobs" })).send().await;
    assert_eq!(g.status, StatusCode::CREATED);
    let res =
        app.post(&format!("{SCIM}/.search")).bearer(&token).json(json!({ "startIndex": 2, "count": 5 })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["totalResults"], 3);
    let kinds: Vec<&str> =
        res.body["Resources"].as_array().unwrap().iter().map(|r| r["meta"]["resourceType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["User", "Group"]);
    let res = app
        .post(&format!("{SCIM}/.search"))
        .bearer(&token)
        .json(json!({ "filter": "userName eq \"ann\"" }))
        .send()
        .await;
    assert_eq!(res.body["totalResults"], 1, "{}", res.text);
    let res =
        app.post(&format!("{SCIM}/.search")).bearer(&token).json(json!({ "filter": "nickName eq \"x\"" })).send().await;
    assert_scim_error(&res, StatusCode::BAD_REQUEST, Some("invalidFilter"));
}
