//! Bulk invite (`POST /users/bulk/v1/invite`, `GET /users/bulk/v1/status/{id}`): each user as a single invite, a
//! per-user report, pending memberships for existing accounts, and tasks scoped to their tenant.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::identity::activation::{link_in_outbox, outbox_count};
use crate::support::{TestApp, assert_error, claims};

const INVITE: &str = "/identity/resources/users/bulk/v1/invite";
const STATUS: &str = "/identity/resources/users/bulk/v1/status";

fn emails(items: &Value) -> Vec<&str> {
    items.as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect()
}

fn token_tenants(login: &Value) -> Vec<String> {
    let c = claims(login["accessToken"].as_str().unwrap());
    c["tenantIds"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect()
}

/// New users are created and emailed an activation link, an existing account gets a pending membership and an
/// invitation (no access until accepted), bad entries fail with a reason without stopping the others; the status
/// route answers the same report.
#[tokio::test]
async fn a_bulk_invite_invites_each_user_and_reports_per_user_results() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let home = app.seed_tenant("home").await;
    let corp = app.seed_tenant("corp").await;
    app.seed_user("ann@x.io", &home, &[]).await;
    app.seed_user("member@x.io", &corp, &[]).await;

    let body = json!({"users": [
        {"email": "new@x.io", "name": "New"},
        {"email": "Ann@X.io"},
        {"email": "not-an-email"},
        {"email": "member@x.io"},
        {"email": "quiet@x.io", "skipInviteEmail": true},
        {"email": "ver@x.io", "verified": true},
    ]});
    let res = app.post(INVITE).access_token(&vendor).tenant(&corp).json(body).send().await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    let task = res.body.clone();
    assert_eq!(task["status"], "CompletedWithErrors");
    assert_eq!(task["tenantId"], corp.as_str());
    let report = &task["report"];
    assert_eq!(report["total"], 6);
    assert_eq!(emails(&report["succeeded"]), ["new@x.io", "Ann@X.io", "quiet@x.io"]);
    assert_eq!(emails(&report["failed"]), ["not-an-email", "member@x.io", "ver@x.io"]);
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed[0]["index"], 2);
    assert_eq!(failed[1]["reason"], "User is already a member of this tenant");
    assert!(report["succeeded"][0]["userId"].as_str().is_some());

    // The status route reads the same task.
    let id = task["id"].as_str().unwrap();
    let res = app.get(&format!("{STATUS}/{id}")).access_token(&vendor).tenant(&corp).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, task);

    // The new user got an activation link, the skipped one nothing; the failed ones exist nowhere.
    link_in_outbox(&app, "new@x.io", "/account/activate", 1).await;
    assert_eq!(outbox_count(&app, "quiet@x.io").await, 0);
    let res = app.get("/identity/resources/users/v1/email?email=ver@x.io").access_token(&vendor).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);

    // The existing account is pending in corp until it accepts the emailed invitation.
    let (user_id, token, _) = link_in_outbox(&app, "ann@x.io", "/account/invitation/accept", 1).await;
    assert_eq!(token_tenants(&app.login("ann@x.io").await.body), [home.as_str()], "pending: no access");
    let accept = json!({"userId": user_id, "token": token});
    let res = app.post("/identity/resources/users/v1/invitation/accept").json(accept).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(token_tenants(&app.login("ann@x.io").await.body).contains(&corp));
}

/// A member needs `fe.secure.write.users` to invite (and the roles key to choose roles) and reads only its own
/// tenant's tasks; the environment reads a task only with its tenant; unknown ids are 404s.
#[tokio::test]
async fn bulk_invites_are_authorized_and_tasks_are_scoped_to_their_tenant() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let corp = app.seed_tenant("corp").await;
    let other = app.seed_tenant("other").await;
    let (_, reader) = app.member_with("reader@x.io", &corp, &["fe.secure.read.users"]).await;
    let (_, admin) = app.member_with("admin@x.io", &corp, &["fe.secure.write.users", "fe.secure.read.users"]).await;
    let (_, outsider) = app.member_with("out@x.io", &other, &["fe.secure.write.users", "fe.secure.read.users"]).await;

    let body = json!({"users": [{"email": "a@x.io"}]});
    assert_error(&app.post(INVITE).access_token(&reader).json(body.clone()).send().await, StatusCode::FORBIDDEN);
    assert_eq!(app.store.outbox(Some("a@x.io"), 5).await.unwrap().len(), 0);

    let res = app.post(INVITE).access_token(&admin).json(body).send().await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    assert_eq!(res.body["tenantId"], corp.as_str(), "the member's tenant");
    assert_eq!(res.body["status"], "Completed");
    let id = res.body["id"].as_str().unwrap().to_owned();
    let path = format!("{STATUS}/{id}");

    // Choosing roles needs the roles key: a per-user failure.
    let role = app.seed_role("editor", None, false, &[]).await;
    let body = json!({"users": [{"email": "b@x.io", "roleIds": [role.to_string()]}]});
    let res = app.post(INVITE).access_token(&admin).json(body).send().await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    assert_eq!(res.body["report"]["failed"][0]["reason"], "Missing permission fe.secure.write.usersRoles");

    assert_eq!(app.get(&path).access_token(&reader).send().await.status, StatusCode::OK);
    assert_error(&app.get(&path).access_token(&outsider).send().await, StatusCode::NOT_FOUND);
    assert_error(&app.get(&path).access_token(&vendor).tenant(&other).send().await, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path).access_token(&vendor).tenant(&corp).send().await.status, StatusCode::OK);
    for unknown in ["nope", "00000000-0000-0000-0000-000000000000"] {
        let res = app.get(&format!("{STATUS}/{unknown}")).access_token(&vendor).tenant(&corp).send().await;
        assert_error(&res, StatusCode::NOT_FOUND);
    }
    assert_error(&app.get(&path).send().await, StatusCode::UNAUTHORIZED);
}

/// Bad bodies are 400s and change nothing: no users, too many, wrong shapes, no tenant for the environment.
#[tokio::test]
async fn bad_bulk_invites_are_refused() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let corp = app.seed_tenant("corp").await;
    let many: Vec<Value> = (0..1001).map(|i| json!({"email": format!("u{i}@x.io")})).collect();
    for body in [json!({"users": []}), json!({"users": many}), json!({}), json!({"users": [{"email": 5}]}), json!([])] {
        let res = app.post(INVITE).access_token(&vendor).tenant(&corp).json(body).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
    }
    let res = app.post(INVITE).access_token(&vendor).json(json!({"users": [{"email": "a@x.io"}]})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let res = app.post(INVITE).access_token(&vendor).tenant("missing").json(json!({"users": [{"email": "a@x.io"}]}));
    assert_error(&res.send().await, StatusCode::NOT_FOUND);
    assert_eq!(app.store.outbox(Some("u0@x.io"), 5).await.unwrap().len(), 0);
}
