//! `SsoLoginStore`: a started login is spent once, only before it expires and only as its own kind; an assertion
//! is recorded once (the second is a replay, also when two nodes race), and expired entries are forgotten.

use chrono::TimeDelta;
use yolk_store::{SsoLogin, SsoLoginKind, SsoLoginStore};

use crate::{Db, at};

contract!(a_login_is_spent_once_before_it_expires, an_assertion_is_recorded_once);

async fn a_login_is_spent_once_before_it_expires(db: Db) {
    let login = SsoLogin {
        id: "_req1".into(),
        kind: SsoLoginKind::Saml,
        configuration_id: "cfg-1".into(),
        payload: Some(r#"{"nonce":"n"}"#.into()),
        expires_at: at(10),
    };
    db.start_sso_login(&login, at(1)).await.unwrap();
    assert_eq!(db.take_sso_login("_req1", SsoLoginKind::Oidc, at(2)).await.unwrap(), None, "other kind");
    assert_eq!(db.take_sso_login("_req1", SsoLoginKind::Saml, at(2)).await.unwrap(), Some(login.clone()));
    assert_eq!(db.take_sso_login("_req1", SsoLoginKind::Saml, at(2)).await.unwrap(), None, "spent");

    let late = SsoLogin { id: "_req2".into(), ..login.clone() };
    db.start_sso_login(&late, at(1)).await.unwrap();
    assert_eq!(db.take_sso_login("_req2", SsoLoginKind::Saml, at(10)).await.unwrap(), None, "expired");
    assert_eq!(db.take_sso_login("nope", SsoLoginKind::Saml, at(2)).await.unwrap(), None);

    // An expired login is forgotten when the next one starts.
    let old = SsoLogin { id: "_old".into(), ..login.clone() };
    db.start_sso_login(&old, at(1)).await.unwrap();
    db.start_sso_login(&SsoLogin { id: "_new".into(), expires_at: at(30), ..login }, at(20)).await.unwrap();
    assert_eq!(db.take_sso_login("_old", SsoLoginKind::Saml, at(2)).await.unwrap(), None, "purged");
    assert!(db.take_sso_login("_new", SsoLoginKind::Saml, at(21)).await.unwrap().is_some());
}

async fn an_assertion_is_recorded_once(db: Db) {
    assert!(db.record_assertion("a1", at(10), at(1)).await.unwrap());
    assert!(!db.record_assertion("a1", at(10), at(2)).await.unwrap(), "replay");
    // Once expired it is forgotten (its assertion is refused by its own time bound by then).
    assert!(db.record_assertion("a2", at(20), at(11)).await.unwrap());
    assert!(db.record_assertion("a1", at(30), at(12)).await.unwrap());

    // Two nodes racing with the same assertion: exactly one wins.
    let db = std::sync::Arc::new(db);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(
                async move { db.record_assertion("race", at(40) + TimeDelta::seconds(1), at(13)).await.unwrap() },
            )
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
}
