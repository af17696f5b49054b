//! `PermissionStore`: key uniqueness, lookups, grants through roles, classification and read-modify-write.

use std::sync::Arc;

use yolk_domain::{AssignmentType, Permission, PermissionId, RoleId};
use yolk_store::{Constraint, Entity, PermissionStore, RoleStore, StoreError};
use yolk_store_sql::SqlStore;

use crate::{Db, assert_conflict, assert_not_found, at, permission, race, set};

contract!(
    permission_keys_are_unique,
    permissions_are_granted_through_roles,
    classifying_permissions_is_all_or_nothing,
    concurrent_permission_updates_keep_both_changes,
    permission_writes_stamp_the_given_time,
);

fn keys(permissions: Vec<Permission>) -> Vec<String> {
    permissions.into_iter().map(|p| p.key).collect()
}

async fn permission_keys_are_unique(db: Db) {
    // A batch with a duplicate creates nothing.
    assert_conflict(db.create_permissions(&[permission("p"), permission("p")]).await, Constraint::PermissionKey);
    assert!(db.list_permissions().await.unwrap().is_empty());
    let ps = db.create_permissions(&[permission("b"), permission("a")]).await.unwrap();
    assert_conflict(db.create_permissions(&[permission("c"), permission("a")]).await, Constraint::PermissionKey);
    assert_eq!(keys(db.list_permissions().await.unwrap()), ["a", "b"], "by key");
    // Taking a key by update clashes too, and changes nothing.
    let taken = db.update_permission(ps[0].id, set(|p: &mut Permission| p.key = "a".into()), at(1)).await;
    assert_conflict(taken, Constraint::PermissionKey);
    assert_eq!(db.get_permission(ps[0].id).await.unwrap().key, "b");
    let refused = db.update_permission(ps[0].id, Box::new(|_| Err(StoreError::Invalid("no".into()))), at(1));
    assert!(matches!(refused.await, Err(StoreError::Invalid(m)) if m == "no"));
    let unknown = PermissionId::new();
    assert_not_found(db.get_permission(unknown).await, Entity::Permission);
    assert_not_found(db.update_permission(unknown, set(|_: &mut Permission| ()), at(1)).await, Entity::Permission);
    assert_not_found(db.delete_permission(unknown).await, Entity::Permission);
    db.delete_permission(ps[1].id).await.unwrap();
    assert_eq!(keys(db.list_permissions().await.unwrap()), ["b"]);
    // The key is free again.
    db.create_permissions(&[permission("a")]).await.unwrap();
}

async fn permissions_are_granted_through_roles(db: Db) {
    let ps = db.create_permissions(&[permission("read"), permission("write"), permission("admin")]).await.unwrap();
    let (read, write, admin) = (ps[0].id, ps[1].id, ps[2].id);
    let r1 = db.role("r1", None, &[read]).await;
    let r2 = db.role("r2", None, &[]).await;
    let mut both = vec![r1.id, r2.id];
    both.sort();
    // Formerly `set_permission_roles`: adding roles keeps the existing grants.
    let granted = db.add_permission_roles(read, &[r2.id, r2.id], at(1)).await.unwrap();
    assert_eq!(granted.role_ids, both);
    assert_eq!(db.get_permission(read).await.unwrap().role_ids, both);
    assert_eq!(db.get_role(r2.id).await.unwrap().permission_ids, vec![read]);
    // An unknown role or permission changes nothing.
    assert_not_found(db.add_permission_roles(write, &[r1.id, RoleId::new()], at(2)).await, Entity::Role);
    assert!(db.get_permission(write).await.unwrap().role_ids.is_empty());
    assert_not_found(db.add_permission_roles(PermissionId::new(), &[r1.id], at(2)).await, Entity::Permission);
    db.add_permission_roles(write, &[r1.id], at(3)).await.unwrap();
    // Lookups: by id with roles (unknown skipped, by key), and keys alone (sorted, distinct).
    let by_ids = db.permissions_by_ids(&[write, PermissionId::new(), read, write]).await.unwrap();
    assert_eq!(
        by_ids.iter().map(|p| (p.key.as_str(), p.role_ids.len())).collect::<Vec<_>>(),
        [("read", 2), ("write", 1)]
    );
    let keys_of = db.permission_keys(&[write, admin, PermissionId::new(), read, write]).await.unwrap();
    assert_eq!(keys_of, ["admin", "read", "write"]);
    assert!(db.permission_keys(&[]).await.unwrap().is_empty());
    let listed = db.list_permissions().await.unwrap();
    assert_eq!(listed.iter().map(|p| p.role_ids.clone()).collect::<Vec<_>>(), [vec![], both, vec![r1.id]]);
    // Deleting a role or a permission takes the grants.
    db.delete_role(r2.id).await.unwrap();
    assert_eq!(db.get_permission(read).await.unwrap().role_ids, vec![r1.id]);
    db.delete_permission(read).await.unwrap();
    assert_eq!(db.get_role(r1.id).await.unwrap().permission_ids, vec![write]);
}

async fn classifying_permissions_is_all_or_nothing(db: Db) {
    let ps = db.create_permissions(&[permission("a"), permission("b"), permission("c")]).await.unwrap();
    assert_eq!(ps[0].assignment_type, AssignmentType::Assignable);
    let bad = db.classify_permissions(&[ps[0].id, PermissionId::new()], AssignmentType::Never, at(1)).await;
    assert_not_found(bad, Entity::Permission);
    assert_eq!(db.get_permission(ps[0].id).await.unwrap().assignment_type, AssignmentType::Assignable);
    let classified = db.classify_permissions(&[ps[1].id, ps[0].id], AssignmentType::Always, at(2)).await.unwrap();
    assert_eq!(
        classified.iter().map(|p| (p.key.as_str(), p.assignment_type)).collect::<Vec<_>>(),
        [("a", AssignmentType::Always), ("b", AssignmentType::Always)]
    );
    let stored: Vec<AssignmentType> = db.list_permissions().await.unwrap().iter().map(|p| p.assignment_type).collect();
    assert_eq!(stored, [AssignmentType::Always, AssignmentType::Always, AssignmentType::Assignable]);
}

async fn concurrent_permission_updates_keep_both_changes(db: Db) {
    let id = db.create_permissions(&[permission("p")]).await.unwrap()[0].id;
    let update = move |store: Arc<SqlStore>, change| async move { store.update_permission(id, change, at(1)).await };
    let describe = |p: &mut Permission| p.description = Some("described".into());
    race(&db, update, |p: &mut Permission| p.name = "Renamed".into(), describe).await;
    let p = db.get_permission(id).await.unwrap();
    assert_eq!(p.name, "Renamed", "update_permission lost the concurrent name change");
    assert_eq!(p.description.as_deref(), Some("described"), "update_permission lost the concurrent description change");
}

async fn permission_writes_stamp_the_given_time(db: Db) {
    let r = db.role("r", None, &[]).await;
    let id = db.create_permissions(&[permission("p")]).await.unwrap()[0].id;
    let read = db.get_permission(id).await.unwrap();
    assert_eq!((read.created_at, read.updated_at), (at(0), at(0)), "creation keeps the permission's times");
    let updated = db.update_permission(id, set(|p: &mut Permission| p.name = "P".into()), at(10)).await.unwrap();
    assert_eq!((updated.created_at, updated.updated_at), (at(0), at(10)));
    assert_eq!(db.get_permission(id).await.unwrap().updated_at, at(10));
    assert_eq!(db.add_permission_roles(id, &[r.id], at(20)).await.unwrap().updated_at, at(20));
    assert_eq!(db.get_permission(id).await.unwrap().updated_at, at(20));
    let classified = db.classify_permissions(&[id], AssignmentType::Never, at(30)).await.unwrap();
    assert_eq!(classified[0].updated_at, at(30));
    assert_eq!(db.get_permission(id).await.unwrap().updated_at, at(30));
}
