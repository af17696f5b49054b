//! `GET /tenants/users/v1/statuses`: each named user's standing in each of its tenants.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, assert_error};

const STATUSES: &str = "/identity/resources/tenants/users/v1/statuses";

fn statuses_of<'a>(body: &'a Value, user: &str) -> Vec<(&'a str, &'a str)> {
    let entry = body.as_array().unwrap().iter().find(|e| e["userId"] == user).expect("the user");
    entry["tenantsStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["tenantId"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn statuses_tell_pending_invitations_unactivated_never_logged_in_and_active_members() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let home = app.seed_tenant("home").await;
    let corp = app.seed_tenant("corp").await;
    let ann = app.seed_user("ann@x.io", &home, &[]).await;
    app.login("ann@x.io").await;
    let bob = app.seed_user("bob@x.io", &home, &[]).await;
    // Ann invited to corp (an existing account: pending); a new user created by a tenant admin is unactivated.
    let res = app.post("/identity/resources/users/v1").access_token(&vendor).tenant(&corp);
    let res = res.json(json!({"email": "ann@x.io"})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.post("/identity/resources/users/v1").access_token(&vendor).tenant(&corp);
    let res = res.json(json!({"email": "new@x.io", "password": PASSWORD})).send().await;
    let new = res.body["id"].as_str().unwrap().to_owned();

    let unknown = yolk_domain::UserId::new();
    let url = format!("{STATUSES}?userIds={ann},{bob}&userIds={new}&userIds={unknown}");
    let res = app.get(&url).access_token(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 3, "unknown ids are left out");
    let mut ann_statuses = statuses_of(&res.body, &ann.to_string());
    ann_statuses.sort();
    let mut expected = vec![(home.as_str(), "Activated"), (corp.as_str(), "PendingInvitation")];
    expected.sort();
    assert_eq!(ann_statuses, expected);
    assert_eq!(statuses_of(&res.body, &bob.to_string()), [(home.as_str(), "PendingLogin")]);
    assert_eq!(statuses_of(&res.body, &new), [(corp.as_str(), "NotActivated")]);

    let res = app.get(&format!("{url}&userTenantStatuses=PendingInvitation")).access_token(&vendor).send().await;
    assert_eq!(statuses_of(&res.body, &ann.to_string()), [(corp.as_str(), "PendingInvitation")]);
    assert!(statuses_of(&res.body, &bob.to_string()).is_empty());

    // Bad input is a 400; a user token is not the environment.
    for bad in [STATUSES.to_owned(), format!("{STATUSES}?userIds=nope"), format!("{url}&userTenantStatuses=Bogus")] {
        assert_error(&app.get(&bad).access_token(&vendor).send().await, StatusCode::BAD_REQUEST);
    }
    let many: Vec<String> = (0..201).map(|_| yolk_domain::UserId::new().to_string()).collect();
    let res = app.get(&format!("{STATUSES}?userIds={}", many.join(","))).access_token(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    let (_, member) = app.member_with("admin@x.io", &home, &["fe.secure.read.users"]).await;
    let res = app.get(&url).access_token(&member).send().await;
    assert!(res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::FORBIDDEN, "{}", res.text);
}
