//! `KeyStore`: the signing key and environment credentials every node shares.

use yolk_domain::EnvironmentCredentials;
use yolk_store::KeyStore;

use crate::{Db, at};

contract!(first_signing_key_wins, concurrent_nodes_agree_on_one_signing_key, credentials_are_kept_once_created);

async fn first_signing_key_wins(db: Db) {
    assert!(db.signing_keys().await.unwrap().is_empty());
    let a = yolk_domain::SigningKey { created_at: at(0), ..yolk_testkit::signing_key() };
    let b = yolk_domain::SigningKey { kid: "other".into(), created_at: at(1), ..a.clone() };
    assert_eq!(db.ensure_signing_key(a.clone()).await.unwrap(), a);
    assert_eq!(db.ensure_signing_key(b).await.unwrap(), a, "the key in force is kept, with its creation time");
    assert_eq!(db.signing_keys().await.unwrap(), [a]);
}

async fn concurrent_nodes_agree_on_one_signing_key(db: Db) {
    let key = yolk_testkit::signing_key();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let store = db.store.clone();
        let candidate = yolk_domain::SigningKey { kid: format!("k{i}"), created_at: at(i), ..key.clone() };
        tasks.push(tokio::spawn(async move { store.ensure_signing_key(candidate).await.unwrap().kid }));
    }
    let mut kids = Vec::new();
    for t in tasks {
        kids.push(t.await.unwrap());
    }
    kids.dedup();
    assert_eq!(kids.len(), 1, "every node got the same key: {kids:?}");
    let stored: Vec<String> = db.signing_keys().await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(stored, kids);
}

async fn credentials_are_kept_once_created(db: Db) {
    assert!(db.credentials().await.unwrap().is_none());
    let a = EnvironmentCredentials { client_id: "a".into(), secret_sha256: "ha".into() };
    let b = EnvironmentCredentials { client_id: "b".into(), secret_sha256: "hb".into() };
    assert_eq!(db.ensure_credentials(&a, at(1)).await.unwrap(), (a.clone(), true));
    assert_eq!(db.ensure_credentials(&b, at(2)).await.unwrap(), (a.clone(), false));
    assert_eq!(db.credentials().await.unwrap(), Some(a));
    db.set_credentials(&b, at(3)).await.unwrap();
    assert_eq!(db.credentials().await.unwrap(), Some(b.clone()));
    assert_eq!(
        db.ensure_credentials(&EnvironmentCredentials { client_id: "c".into(), ..b.clone() }, at(4)).await.unwrap(),
        (b, false)
    );
}
