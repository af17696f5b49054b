//! `CategoryStore`: id uniqueness, what deleting a category leaves, and read-modify-write.

use std::sync::Arc;

use yolk_domain::{CategoryId, Permission, PermissionCategory};
use yolk_store::{CategoryStore, Constraint, Entity, PermissionStore, StoreError};
use yolk_store_sql::SqlStore;

use crate::{Db, assert_conflict, assert_not_found, at, category, permission, race, set};

contract!(
    category_ids_are_unique_and_deleting_one_uncategorizes,
    concurrent_category_updates_keep_both_changes,
    category_writes_stamp_the_given_time,
);

async fn category_ids_are_unique_and_deleting_one_uncategorizes(db: Db) {
    let first = db.create_category(&category("First")).await.unwrap();
    let second = db.create_category(&PermissionCategory { created_at: at(1), ..category("Second") }).await.unwrap();
    let clash = PermissionCategory { id: first.id, ..category("Clash") };
    assert_conflict(db.create_category(&clash).await, Constraint::CategoryId);
    let names = |cs: Vec<PermissionCategory>| cs.into_iter().map(|c| c.name).collect::<Vec<_>>();
    assert_eq!(names(db.list_categories().await.unwrap()), ["First", "Second"], "by creation time");
    assert_eq!(db.list_categories().await.unwrap()[0], first);
    // Permissions reference known categories only.
    let unknown = CategoryId::new();
    let stray = Permission { category_id: Some(unknown), ..permission("stray") };
    assert_not_found(db.create_permissions(&[stray]).await, Entity::Category);
    assert!(db.list_permissions().await.unwrap().is_empty());
    let p = Permission { category_id: Some(first.id), ..permission("p") };
    let p = db.create_permissions(&[p]).await.unwrap().remove(0);
    let moved = db.update_permission(p.id, set(move |p: &mut Permission| p.category_id = Some(unknown)), at(1)).await;
    assert_not_found(moved, Entity::Category);
    assert_eq!(db.get_permission(p.id).await.unwrap().category_id, Some(first.id));
    // Deleting a category keeps its permissions, uncategorized.
    db.delete_category(first.id).await.unwrap();
    assert_eq!(names(db.list_categories().await.unwrap()), ["Second"]);
    assert_eq!(db.get_permission(p.id).await.unwrap().category_id, None);
    assert_not_found(db.delete_category(first.id).await, Entity::Category);
    let renamed = db.update_category(first.id, set(|c: &mut PermissionCategory| c.name = "X".into()), at(2)).await;
    assert_not_found(renamed, Entity::Category);
    let refused = db.update_category(second.id, Box::new(|_| Err(StoreError::Invalid("no".into()))), at(2));
    assert!(matches!(refused.await, Err(StoreError::Invalid(m)) if m == "no"));
    assert_eq!(db.list_categories().await.unwrap(), [second]);
}

async fn concurrent_category_updates_keep_both_changes(db: Db) {
    let id = db.create_category(&category("C")).await.unwrap().id;
    let update = move |store: Arc<SqlStore>, change| async move { store.update_category(id, change, at(1)).await };
    let describe = |c: &mut PermissionCategory| c.description = Some("described".into());
    race(&db, update, |c: &mut PermissionCategory| c.name = "Renamed".into(), describe).await;
    let c = db.list_categories().await.unwrap().remove(0);
    assert_eq!(c.name, "Renamed", "update_category lost the concurrent name change");
    assert_eq!(c.description.as_deref(), Some("described"), "update_category lost the concurrent description change");
}

async fn category_writes_stamp_the_given_time(db: Db) {
    let c = db.create_category(&category("C")).await.unwrap();
    let read = db.list_categories().await.unwrap().remove(0);
    assert_eq!((read.created_at, read.updated_at), (at(0), at(0)), "creation keeps the category's times");
    let updated =
        db.update_category(c.id, set(|c: &mut PermissionCategory| c.name = "D".into()), at(10)).await.unwrap();
    assert_eq!((updated.created_at, updated.updated_at), (at(0), at(10)));
    let read = db.list_categories().await.unwrap().remove(0);
    assert_eq!((read.name.as_str(), read.updated_at), ("D", at(10)));
}
