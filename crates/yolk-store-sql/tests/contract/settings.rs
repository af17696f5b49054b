//! `SettingsStore`: documents by key, changed by read-modify-write, created race-free.

use std::sync::Arc;

use serde_json::{Value, json};
use yolk_store::{Constraint, SettingsStore, StoreError, StoreResult};
use yolk_store_sql::SqlStore;

use crate::{Db, assert_conflict, at, race, race_results, set};

contract!(
    settings_round_trip,
    creating_a_setting_refuses_an_existing_one,
    concurrent_creations_of_one_setting_let_exactly_one_win,
    concurrent_setting_updates_keep_both_changes,
);

/// Creates the document unless one exists (`Conflict(Setting)`), as the services create documents race-free.
fn create(value: Value) -> impl FnOnce(&mut Option<Value>) -> StoreResult<()> + Send + 'static {
    move |doc| match doc {
        Some(_) => Err(StoreError::Conflict(Constraint::Setting)),
        None => {
            *doc = Some(value);
            Ok(())
        }
    }
}

async fn settings_round_trip(db: Db) {
    assert_eq!(db.get_setting("k").await.unwrap(), None);
    let stored = db.update_setting("k", set(|v: &mut Option<Value>| *v = Some(json!({"a": 1}))), at(1)).await;
    assert_eq!(stored.unwrap(), Some(json!({"a": 1})), "returns the document as stored");
    let seen = db
        .update_setting(
            "k",
            Box::new(|v| {
                assert_eq!(*v, Some(json!({"a": 1})), "the mutation sees the stored document");
                *v = Some(json!({"a": 2}));
                Ok(())
            }),
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(seen, Some(json!({"a": 2})));
    assert_eq!(db.get_setting("k").await.unwrap(), Some(json!({"a": 2})));
    assert_eq!(db.get_setting("other").await.unwrap(), None, "documents are by key");
    // Setting `None` removes the document.
    assert_eq!(db.update_setting("k", set(|v: &mut Option<Value>| *v = None), at(3)).await.unwrap(), None);
    assert_eq!(db.get_setting("k").await.unwrap(), None);
    // A mutation of an unset key sees `None`, and leaving it `None` stores nothing.
    let look = |v: &mut Option<Value>| assert_eq!(*v, None, "an unset key is seen as None");
    let untouched = db.update_setting("k", set(look), at(4)).await.unwrap();
    assert_eq!(untouched, None);
    assert_eq!(db.get_setting("k").await.unwrap(), None);
}

async fn creating_a_setting_refuses_an_existing_one(db: Db) {
    assert_eq!(db.update_setting("k", Box::new(create(json!(1))), at(1)).await.unwrap(), Some(json!(1)));
    assert_conflict(db.update_setting("k", Box::new(create(json!(2))), at(2)).await, Constraint::Setting);
    assert_eq!(db.get_setting("k").await.unwrap(), Some(json!(1)), "a refused mutation writes nothing");
    // A refusal on an unset key leaves it unset: the lock row the store inserted is rolled back.
    let refused = db.update_setting("new", Box::new(|_| Err(StoreError::Invalid("no".into()))), at(3)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(m)) if m == "no"));
    assert_eq!(db.get_setting("new").await.unwrap(), None);
    assert_eq!(db.update_setting("new", Box::new(create(json!(3))), at(4)).await.unwrap(), Some(json!(3)));
}

async fn concurrent_creations_of_one_setting_let_exactly_one_win(db: Db) {
    let update = |store: Arc<SqlStore>, change| async move { store.update_setting("k", change, at(1)).await };
    let (first, second) = race_results(&db, update, create(json!(1)), create(json!(2))).await;
    let (created, refused) = match (first, second) {
        (Ok(created), refused) | (refused, Ok(created)) => (created, refused),
        (Err(a), Err(b)) => panic!("no creation won: {a:?}, {b:?}"),
    };
    assert_conflict(refused, Constraint::Setting);
    assert_eq!(db.get_setting("k").await.unwrap(), created, "the winner's document is stored");
}

async fn concurrent_setting_updates_keep_both_changes(db: Db) {
    db.update_setting("k", set(|v: &mut Option<Value>| *v = Some(json!({"a": 1, "b": 1}))), at(1)).await.unwrap();
    let update = |store: Arc<SqlStore>, change| async move { store.update_setting("k", change, at(2)).await };
    let put = |field: &'static str| move |v: &mut Option<Value>| v.as_mut().unwrap()[field] = json!(2);
    race(&db, update, put("a"), put("b")).await;
    let doc = db.get_setting("k").await.unwrap().unwrap();
    assert_eq!(doc["a"], json!(2), "update_setting lost the concurrent change of a: {doc}");
    assert_eq!(doc["b"], json!(2), "update_setting lost the concurrent change of b: {doc}");
}
