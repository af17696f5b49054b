//! Item 7: unbounded list parameters. A 62 KB `_externalIds` (1,200 values) used to become one statement with
//! 1,200 placeholders, and a body's `roleIds` as many statements as it had ids. Every list-valued query parameter
//! now holds at most 250 values (`MAX_LIST_VALUES` in `yolk-server/src/list.rs`) and every array of a body that
//! reaches the store at most 500 (`MAX_BATCH` in `yolk-core/src/roles/mod.rs`); more is a 400 that changes
//! nothing. The numbers are written out: they are documented (`docs/api-conventions.md`). And on PostgreSQL a
//! statement running past `store_statement_timeout_ms` is cancelled: the request is answered 503.

use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use uuid::Uuid;
use yolk_domain::User;
use yolk_server::Config;
use yolk_store::users::NewUser;

use crate::support::{TestApp, assert_error, tenant};

/// The most values of one list-valued query parameter.
const CAP: usize = 250;
/// The most items of one array in a request body.
const BODY_CAP: usize = 500;

const USERS_V3: &str = "/identity/resources/users/v3";

/// `n` comma-separated values made by `f`.
fn joined(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(",")
}

/// A user of `tenant_id` with an external id, straight into the store.
async fn user_with_external_id(app: &TestApp, email: &str, tenant_id: &str, external_id: &str) {
    let user = User {
        external_id: Some(external_id.to_owned()),
        active_tenant_id: Some(tenant(tenant_id)),
        ..User::new(email, chrono::Utc::now())
    };
    let new =
        NewUser { user, password_hash: None, tenant_id: Some(tenant(tenant_id)), role_ids: vec![], new_tenant: None };
    app.store.create_user(&new).await.expect("seed user");
}

fn emails(body: &Value) -> Vec<&str> {
    body["items"].as_array().expect("items").iter().map(|u| u["email"].as_str().expect("email")).collect()
}

/// The attack as reported: 1,200 `_externalIds` (62 KB) on the user list is a 400 naming the parameter, whether
/// comma-separated or repeated (one past the cap is enough); exactly the cap is served, and still filters.
#[tokio::test]
async fn twelve_hundred_external_ids_are_refused_and_the_cap_is_served() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    user_with_external_id(&app, "ann@acme.io", &acme, "ext-0042").await;
    user_with_external_id(&app, "bob@acme.io", &acme, "other").await;
    let message = format!("_externalIds may hold at most {CAP} values");

    let attack = joined(1200, |i| format!("ext-{i:04}-{}", "x".repeat(42)));
    assert!(attack.len() > 60_000, "the reported request was 62 KB");
    let res = app.get(&format!("{USERS_V3}?_externalIds={attack}")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.body, json!({ "errors": [message] }));

    let repeated = (0..=CAP).map(|i| format!("_externalIds={i}")).collect::<Vec<_>>().join("&");
    let res = app.get(&format!("{USERS_V3}?{repeated}")).bearer(&vendor).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), message);
    // Repeated and comma-separated values count together, `[]` suffix or not.
    let half = joined(CAP / 2 + 1, |i| format!("e{i}"));
    let res = app.get(&format!("{USERS_V3}?_externalIds={half}&_externalIds[]={half}")).bearer(&vendor).send().await;
    assert_eq!(res.error(), message);

    let at_cap = joined(CAP, |i| format!("ext-{i:04}"));
    let res = app.get(&format!("{USERS_V3}?_externalIds={at_cap}")).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(emails(&res.body), ["ann@acme.io"]);
}

/// `ids` on the user list and on the batched role lookup: one past the cap is a 400, the cap is served.
#[tokio::test]
async fn user_ids_lists_are_capped() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    let ann = app.seed_user("ann@acme.io", &acme, &[]).await;
    let ids = |n: usize| {
        let mut ids: Vec<String> = (1..n).map(|_| Uuid::new_v4().to_string()).collect();
        ids.push(ann.to_string());
        ids.join(",")
    };
    for path in [USERS_V3.to_owned(), format!("{USERS_V3}/roles")] {
        let res = app.get(&format!("{path}?ids={}", ids(CAP + 1))).bearer(&vendor).tenant(&acme).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(res.error(), format!("ids may hold at most {CAP} values"), "{path}");
        let res = app.get(&format!("{path}?ids={}", ids(CAP))).bearer(&vendor).tenant(&acme).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
    }
    let res = app.get(&format!("{USERS_V3}?ids={}", ids(CAP))).bearer(&vendor).tenant(&acme).send().await;
    assert_eq!(emails(&res.body), ["ann@acme.io"]);
}

/// `_tenantIds` on the tenant list and on the role list, and `_levels` on the role list.
#[tokio::test]
async fn tenant_and_level_lists_are_capped() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    app.seed_role("acme-role", Some(&acme), false, &[]).await;
    let tenant_ids = |n: usize| {
        let mut ids: Vec<String> = (1..n).map(|i| format!("t-{i}")).collect();
        ids.push(acme.clone());
        ids.join(",")
    };
    let levels = |n: usize| joined(n, |i| i.to_string());
    let cases = [
        ("/tenants/resources/tenants/v2", "_tenantIds", &tenant_ids as &dyn Fn(usize) -> String),
        ("/identity/resources/roles/v2", "_tenantIds", &tenant_ids),
        ("/identity/resources/roles/v2", "_levels", &levels),
    ];
    for (path, param, values) in cases {
        let res = app.get(&format!("{path}?{param}={}", values(1200))).bearer(&vendor).send().await;
        assert_error(&res, StatusCode::BAD_REQUEST);
        assert_eq!(res.error(), format!("{param} may hold at most {CAP} values"), "{path}");
        let res = app.get(&format!("{path}?{param}={}", values(CAP))).bearer(&vendor).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path} {param}: {}", res.text);
        assert_eq!(res.body["items"].as_array().map(Vec::len), Some(1), "{path} {param}: {}", res.text);
    }
}

/// A body's `roleIds` (granting, revoking, creating a user, adding one to a tenant) holds at most 500 ids: more
/// is a 400 before anything is read or written.
#[tokio::test]
async fn role_id_arrays_in_bodies_are_capped_and_change_nothing() {
    let app = TestApp::new().await;
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    let other = app.seed_tenant("other").await;
    let viewer = app.seed_role("viewer", None, false, &[]).await;
    let ann = app.seed_user("ann@acme.io", &acme, &[viewer]).await;
    let many: Vec<String> = (0..=BODY_CAP).map(|_| viewer.to_string()).collect();
    let message = format!("roleIds may hold at most {BODY_CAP} items");
    let roles = format!("/identity/resources/users/v1/{ann}/roles");

    let res = app.post(&roles).bearer(&vendor).tenant(&acme).json(json!({ "roleIds": many })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), message);
    let res = app.delete(&roles).bearer(&vendor).tenant(&acme).json(json!({ "roleIds": many })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), message);
    let res = app
        .post("/identity/resources/users/v1")
        .bearer(&vendor)
        .tenant(&acme)
        .json(json!({ "email": "new@acme.io", "roleIds": many }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), message);
    let res = app
        .post(&format!("/identity/resources/users/v1/{ann}/tenant"))
        .bearer(&vendor)
        .json(json!({ "tenantId": other, "roleIds": many }))
        .send()
        .await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), message);

    // Nothing changed: ann still holds viewer in acme only, and no user was created.
    let memberships = app.store.memberships(&[ann]).await.unwrap().remove(&ann).unwrap_or_default();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].tenant_id.as_str(), acme);
    assert_eq!(memberships[0].roles.iter().map(|r| r.id).collect::<Vec<_>>(), [viewer]);
    assert!(app.store.get_user_by_email("new@acme.io").await.is_err());

    // Exactly the cap is taken (duplicates are one role).
    let res = app.post(&roles).bearer(&vendor).tenant(&acme).json(json!({ "roleIds": &many[..BODY_CAP] })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

/// How long one request may hold the store: on PostgreSQL a statement past `store_statement_timeout_ms` (here a
/// tenant update waiting for the row another transaction holds) is cancelled and answered 503 with `Retry-After`,
/// neither a 500 nor a wait as long as the other transaction's; it wrote nothing, and the store serves on. SQLite
/// cannot interrupt a statement (ARCHITECTURE.md, Invariants): PostgreSQL only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_timeout_is_answered_503_on_postgres() {
    let app = TestApp::with_config(Config { store_statement_timeout_ms: 100, ..Config::default() }).await;
    if app.db.backend != "postgres" {
        eprintln!("skipped: the statement timeout applies to PostgreSQL only");
        return;
    }
    let vendor = app.vendor_token().await;
    let acme = app.seed_tenant("acme").await;
    let path = format!("/tenants/resources/tenants/v1/{acme}");

    // Another transaction locks acme's row and holds it (inside its mutation) until released.
    let (locked_tx, locked_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (store, id, runtime) = (app.store.clone(), tenant(&acme), tokio::runtime::Handle::current());
    let holder = tokio::task::spawn_blocking(move || {
        let hold: yolk_store::Mutation<yolk_domain::Tenant> = Box::new(move |t| {
            let _ = locked_tx.send(());
            let _ = release_rx.recv_timeout(Duration::from_secs(20));
            t.name = "Held".into();
            Ok(())
        });
        runtime.block_on(store.update_tenant(&id, hold, chrono::Utc::now()))
    });
    locked_rx.await.expect("the holder locked the row");

    let started = Instant::now();
    let res = app.put(&path).bearer(&vendor).json(json!({ "name": "Changed" })).send().await;
    let waited = started.elapsed();
    assert_error(&res, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.error(), "The store took too long to answer");
    assert_eq!(res.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}, not at the statement timeout");

    release_tx.send(()).expect("release the holder");
    holder.await.expect("holder task").expect("the holder's update commits");
    let res = app.get(&path).bearer(&vendor).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body[0]["name"], "Held", "the cancelled update wrote nothing");
}
