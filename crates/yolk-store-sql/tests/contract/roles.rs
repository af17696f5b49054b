//! `RoleStore`: key uniqueness per scope, permissions, grants to members, scope moves and read-modify-write.

use std::collections::HashMap;
use std::sync::Arc;

use yolk_domain::{PermissionId, Role, RoleId};
use yolk_store::roles::{NewRole, RoleUpdate};
use yolk_store::{Constraint, Entity, MembershipStore, Mutation, PermissionStore, RoleStore, StoreError};
use yolk_store_sql::SqlStore;

use crate::{Db, assert_conflict, assert_not_found, at, new_role, permission, race, role, set, tid};

contract!(
    role_keys_are_unique_per_scope,
    replacing_role_permissions_is_atomic,
    default_roles_are_granted_to_members_when_asked,
    moving_a_role_to_a_tenant_drops_its_other_assignments,
    concurrent_role_updates_keep_both_changes,
    role_writes_stamp_the_given_time,
);

/// A field change without granting.
fn change(change: Mutation<Role>) -> RoleUpdate {
    RoleUpdate { change, grant_to_members: false }
}

fn keys(roles: Vec<Role>) -> Vec<String> {
    roles.into_iter().map(|r| r.key).collect()
}

async fn role_keys_are_unique_per_scope(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    db.role("admin", None, &[]).await;
    assert_conflict(db.create_roles(&[new_role(role("admin", None, &[]))]).await, Constraint::RoleKey);
    // Tokens carry role keys: a tenant role must not pass for an environment role of the same key.
    assert_conflict(db.create_roles(&[new_role(role("admin", Some("t1"), &[]))]).await, Constraint::RoleKey);
    // Two tenants may each have their own role with one key, but one tenant only once.
    let editor1 = db.role("editor", Some("t1"), &[]).await;
    let editor2 = db.role("editor", Some("t2"), &[]).await;
    assert_conflict(db.create_roles(&[new_role(role("editor", Some("t1"), &[]))]).await, Constraint::RoleKey);
    // A batch with one bad role creates none.
    let batch = [new_role(role("ok", None, &[])), new_role(role("admin", None, &[]))];
    assert_conflict(db.create_roles(&batch).await, Constraint::RoleKey);
    let batch = [new_role(role("twice", None, &[])), new_role(role("twice", None, &[]))];
    assert_conflict(db.create_roles(&batch).await, Constraint::RoleKey);
    assert_eq!(keys(db.list_roles(None).await.unwrap()), ["admin", "editor", "editor"]);
    assert_eq!(keys(db.list_roles(Some(&tid("t1"))).await.unwrap()), ["admin", "editor"]);
    // Changing a key or a scope runs into the same rules, and changes nothing.
    let to_admin = || change(set(|r: &mut Role| r.key = "admin".into()));
    assert_conflict(db.update_role(editor2.id, to_admin(), at(1)).await, Constraint::RoleKey);
    let viewer = db.role("viewer", None, &[]).await;
    assert_conflict(db.update_role(viewer.id, to_admin(), at(1)).await, Constraint::RoleKey);
    assert_conflict(db.set_role_tenant(editor1.id, Some(&tid("t2")), at(1)).await, Constraint::RoleKey);
    // Nor may an environment role take a key a tenant's own role has (it would pass for that one), by creation,
    // by a key change or by moving the tenant role to the environment.
    assert_conflict(db.create_roles(&[new_role(role("editor", None, &[]))]).await, Constraint::RoleKey);
    let to_editor = || change(set(|r: &mut Role| r.key = "editor".into()));
    assert_conflict(db.update_role(viewer.id, to_editor(), at(1)).await, Constraint::RoleKey);
    assert_conflict(db.set_role_tenant(editor1.id, None, at(1)).await, Constraint::RoleKey);
    assert_eq!(db.get_role(editor2.id).await.unwrap().key, "editor");
    assert_eq!(db.get_role(viewer.id).await.unwrap().key, "viewer");
    assert_eq!(db.get_role(editor1.id).await.unwrap().tenant_id, Some(tid("t1")));
    // Unknown tenants and roles.
    assert_not_found(db.create_roles(&[new_role(role("x", Some("nope"), &[]))]).await, Entity::Tenant);
    assert_not_found(db.get_role(RoleId::new()).await, Entity::Role);
    assert_not_found(db.update_role(RoleId::new(), to_admin(), at(1)).await, Entity::Role);
    assert_not_found(db.delete_role(RoleId::new()).await, Entity::Role);
    assert_not_found(db.set_role_tenant(RoleId::new(), None, at(1)).await, Entity::Role);
    assert_not_found(db.set_role_tenant(viewer.id, Some(&tid("nope")), at(1)).await, Entity::Tenant);
    let refused = db.update_role(viewer.id, change(Box::new(|_| Err(StoreError::Invalid("no".into())))), at(1));
    assert!(matches!(refused.await, Err(StoreError::Invalid(m)) if m == "no"));
    let by_ids = db.roles_by_ids(&[viewer.id, RoleId::new(), editor1.id]).await.unwrap();
    let mut found: Vec<RoleId> = by_ids.iter().map(|r| r.id).collect();
    found.sort();
    let mut expected = vec![viewer.id, editor1.id];
    expected.sort();
    assert_eq!(found, expected, "unknown ids are skipped");
}

async fn replacing_role_permissions_is_atomic(db: Db) {
    let ps = db.create_permissions(&[permission("a"), permission("b")]).await.unwrap();
    let r = db.role("r", None, &[ps[0].id]).await;
    let bad = db.set_role_permissions(r.id, &[ps[1].id, PermissionId::new()], at(1)).await;
    assert_not_found(bad, Entity::Permission);
    assert_eq!(db.get_role(r.id).await.unwrap().permission_ids, vec![ps[0].id], "unchanged after a failure");
    let mut both = vec![ps[0].id, ps[1].id];
    both.sort();
    assert_eq!(
        db.set_role_permissions(r.id, &[ps[1].id, ps[0].id, ps[1].id], at(2)).await.unwrap().permission_ids,
        both
    );
    assert_eq!(db.get_role(r.id).await.unwrap().permission_ids, both);
    assert_eq!(db.set_role_permissions(r.id, &[], at(3)).await.unwrap().permission_ids, vec![]);
    assert_not_found(db.set_role_permissions(RoleId::new(), &[], at(4)).await, Entity::Role);
    // Creating a role with an unknown permission creates nothing.
    let bad = role("bad", None, &[PermissionId::new()]);
    assert_not_found(db.create_roles(&[new_role(bad.clone())]).await, Entity::Permission);
    assert_not_found(db.get_role(bad.id).await, Entity::Role);
}

async fn default_roles_are_granted_to_members_when_asked(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u1 = db.user_in("a@x.io", "t1", &[]).await;
    let u2 = db.user_in("b@x.io", "t2", &[]).await;
    db.add_membership(u2.id, &tid("t1"), &[], at(1)).await.unwrap();
    let default = |key: &str, tenant_id: Option<&str>| Role { is_default: true, ..role(key, tenant_id, &[]) };
    // Formerly `create_roles_migrated`: a default role created with `grant_to_members` goes to every member of its
    // scope; without it, or for a non-default role, to nobody.
    let created = db
        .create_roles(&[
            NewRole { role: default("env-granted", None), grant_to_members: true },
            NewRole { role: default("env-quiet", None), grant_to_members: false },
            NewRole { role: role("not-default", None, &[]), grant_to_members: true },
            NewRole { role: default("t1-granted", Some("t1")), grant_to_members: true },
        ])
        .await
        .unwrap();
    assert_eq!(db.held(u1.id, "t1").await, ["env-granted", "t1-granted"]);
    assert_eq!(db.held(u2.id, "t1").await, ["env-granted", "t1-granted"]);
    assert_eq!(db.held(u2.id, "t2").await, ["env-granted"], "a tenant role goes to that tenant's members only");
    let counts = db.role_assignment_counts().await.unwrap();
    let expected: HashMap<RoleId, u64> = HashMap::from([(created[0].id, 3), (created[3].id, 2)]);
    assert_eq!(counts, expected, "roles without assignments are absent");
    // Formerly `update_role_migrated`: granting applies to the role as changed, and keeps existing grants.
    let quiet = created[1].id;
    db.update_role(quiet, RoleUpdate { change: set(|_: &mut Role| ()), grant_to_members: false }, at(2)).await.unwrap();
    assert_eq!(db.held(u1.id, "t1").await, ["env-granted", "t1-granted"]);
    let not_default = created[2].id;
    let make_default = set(|r: &mut Role| r.is_default = true);
    db.update_role(not_default, RoleUpdate { change: make_default, grant_to_members: true }, at(3)).await.unwrap();
    assert_eq!(db.held(u1.id, "t1").await, ["env-granted", "not-default", "t1-granted"]);
    assert_eq!(db.held(u2.id, "t2").await, ["env-granted", "not-default"]);
    let undefault = set(|r: &mut Role| r.is_default = false);
    db.update_role(quiet, RoleUpdate { change: undefault, grant_to_members: true }, at(4)).await.unwrap();
    assert_eq!(db.held(u2.id, "t2").await, ["env-granted", "not-default"], "only honoured for a default role");
    db.update_role(quiet, RoleUpdate { change: set(|_: &mut Role| ()), grant_to_members: true }, at(5)).await.unwrap();
    assert_eq!(db.held(u2.id, "t2").await, ["env-granted", "not-default"]);
    // Deleting a role takes its assignments.
    db.delete_role(created[0].id).await.unwrap();
    assert_eq!(db.held(u2.id, "t2").await, ["not-default"]);
    assert_eq!(db.role_assignment_counts().await.unwrap().get(&created[0].id), None);
}

async fn moving_a_role_to_a_tenant_drops_its_other_assignments(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let r = db.role("r", None, &[]).await;
    let u = db.user_in("a@x.io", "t1", &[r.id]).await;
    db.add_membership(u.id, &tid("t2"), &[r.id], at(1)).await.unwrap();
    let moved = db.set_role_tenant(r.id, Some(&tid("t1")), at(2)).await.unwrap();
    assert_eq!(moved.tenant_id, Some(tid("t1")));
    assert_eq!(db.held(u.id, "t1").await, ["r"]);
    assert!(db.held(u.id, "t2").await.is_empty());
    assert_eq!(keys(db.list_roles(Some(&tid("t2"))).await.unwrap()), Vec::<String>::new());
    assert_eq!(keys(db.list_roles(Some(&tid("t1"))).await.unwrap()), ["r"]);
    // Back to the environment: visible to every tenant, assignments kept.
    assert_eq!(db.set_role_tenant(r.id, None, at(3)).await.unwrap().tenant_id, None);
    assert_eq!(keys(db.list_roles(Some(&tid("t2"))).await.unwrap()), ["r"]);
    assert_eq!(db.held(u.id, "t1").await, ["r"]);
    // The scope changes only through `set_role_tenant`: an update's change of it is ignored, so a role held in t1
    // cannot become t2's own while still assigned in t1.
    let move_and_rename = set(|r: &mut Role| {
        r.tenant_id = Some(tid("t2"));
        r.name = "Renamed".into();
    });
    let updated = db.update_role(r.id, change(move_and_rename), at(4)).await.unwrap();
    assert_eq!((updated.tenant_id, updated.name.as_str()), (None, "Renamed"));
    assert_eq!(db.get_role(r.id).await.unwrap().tenant_id, None);
    assert_eq!(db.held(u.id, "t1").await, ["r"]);
}

async fn concurrent_role_updates_keep_both_changes(db: Db) {
    let id = db.role("r", None, &[]).await.id;
    let update = move |store: Arc<SqlStore>, c| async move { store.update_role(id, change(c), at(1)).await };
    let describe = |r: &mut Role| r.description = Some("described".into());
    race(&db, update, |r: &mut Role| r.name = "Renamed".into(), describe).await;
    let r = db.get_role(id).await.unwrap();
    assert_eq!(r.name, "Renamed", "update_role lost the concurrent name change");
    assert_eq!(r.description.as_deref(), Some("described"), "update_role lost the concurrent description change");
}

async fn role_writes_stamp_the_given_time(db: Db) {
    db.tenants(&["t1"]).await;
    let p = db.create_permissions(&[permission("p")]).await.unwrap().remove(0);
    let r = db.role("r", None, &[]).await;
    let read = db.get_role(r.id).await.unwrap();
    assert_eq!((read.created_at, read.updated_at), (at(0), at(0)), "creation keeps the role's times");
    let updated = db.update_role(r.id, change(set(|r: &mut Role| r.level = 2)), at(10)).await.unwrap();
    assert_eq!((updated.created_at, updated.updated_at), (at(0), at(10)));
    assert_eq!(db.get_role(r.id).await.unwrap().updated_at, at(10));
    assert_eq!(db.set_role_tenant(r.id, Some(&tid("t1")), at(20)).await.unwrap().updated_at, at(20));
    assert_eq!(db.get_role(r.id).await.unwrap().updated_at, at(20));
    assert_eq!(db.set_role_permissions(r.id, &[p.id], at(30)).await.unwrap().updated_at, at(30));
    assert_eq!(db.get_role(r.id).await.unwrap().updated_at, at(30));
}
